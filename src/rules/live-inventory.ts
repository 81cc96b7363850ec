// Whether stock counts flow to the store at all (rules.liveInventory), and so whether the
// engine reads a feed: one answer for the engine's polling, the dashboard and the stock flow.
import type { Config } from '../config/schema.js';

/** rules.liveInventory: true publishes available-to-sell to the store as stock changes; false leaves the store's counts alone. */
export const liveInventory = (rules: Pick<Config['rules'], 'liveInventory'>): boolean => rules.liveInventory;

/** Whether the engine reads a feed: the stock feed only under rules.liveInventory, any feed only when its own setting asks for it. */
export function feedIsRead(feed: { kind: string; enabled?: (config: Config) => boolean }, config: Config): boolean {
  if (feed.kind === 'stock' && !liveInventory(config.rules)) return false;
  return !feed.enabled || feed.enabled(config);
}
