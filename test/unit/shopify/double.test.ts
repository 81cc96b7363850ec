// The Shopify double refuses what Shopify would refuse before running anything: a document the
// published schema does not have, or variables its definitions do not accept — with Shopify's
// top-level error shape, which the client turns into a permanent failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeShopify } from '../../doubles/shopify/server.js';
import { OPERATIONS } from '../../../src/connectors/shopify/operations.js';

async function post(fake: FakeShopify, query: string, operationName: string, variables: Record<string, unknown>) {
  const res = await fetch(fake.endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, operationName, variables }) });
  return { status: res.status, body: await res.json() as { data?: unknown; errors?: { message: string; extensions: { code: string } }[] } };
}

test('a document with a field the schema lacks, or variables of the wrong type, is answered with GraphQL errors and changes nothing', async () => {
  const fake = await new FakeShopify().start();
  try {
    const order = fake.shop.placeOrder({ email: 'a@example.com', lines: [] });
    const capture = OPERATIONS.find((o) => o.name === 'OrderCapture')!;
    const renamed = await post(fake, capture.document.replace('transaction { id', 'transaction { identifier'), 'OrderCapture', { input: { id: order.id, parentTransactionId: 'x', amount: '1.00' } });
    assert.equal(renamed.status, 200);
    assert.equal(renamed.body.data, undefined);
    assert.equal(renamed.body.errors?.[0]?.extensions.code, 'GRAPHQL_VALIDATION_FAILED');
    assert.match(renamed.body.errors![0]!.message, /Cannot query field "identifier"/);

    const wrongVariables = await post(fake, capture.document, 'OrderCapture', { input: { id: order.id, amount: '1.00' } });
    assert.equal(wrongVariables.body.errors?.[0]?.extensions.code, 'INVALID_VARIABLE');
    assert.match(wrongVariables.body.errors![0]!.message, /parentTransactionId/);
    assert.equal(order.transactions.length, 1, 'only the checkout authorisation: nothing was captured');

    const ok = await post(fake, OPERATIONS.find((o) => o.name === 'ShopInfo')!.document, 'ShopInfo', {});
    assert.deepEqual(ok.body.data, { shop: { name: 'Fake', myshopifyDomain: 'fake.myshopify.com', currencyCode: 'USD' } }, 'answers hold exactly the fields asked for');
  } finally { await fake.stop(); }
});
