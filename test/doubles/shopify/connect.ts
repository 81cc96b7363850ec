// A Shopify connector pointed at a fresh double, for the per-capability tests.
import { ShopifyConnector } from '../../../src/connectors/shopify/index.js';
import { FakeShopify, VirtualClock } from './server.js';

export const LOCATION = 'gid://shopify/Location/1';

export async function shopifyOnDouble(): Promise<{ fake: FakeShopify; connector: ShopifyConnector; stop(): Promise<void> }> {
  const clock = new VirtualClock();
  const fake = await new FakeShopify(clock).start();
  // a bucket large enough that pacing never enters these tests
  fake.bucket = { maximumAvailable: 1_000_000, currentlyAvailable: 1_000_000, restoreRate: 1_000_000, at: 0 };
  const connector = new ShopifyConnector({
    shop: 'fake.myshopify.com', accessToken: 'shpat_test', endpoint: fake.endpoint, appSecret: 'secret',
    locations: { Main: LOCATION }, defaultWarehouse: 'Main', now: clock.now, sleep: clock.sleep,
  });
  return { fake, connector, stop: () => fake.stop() };
}
