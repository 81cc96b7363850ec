// How many requests Dovetail keeps open to one system at once (`systems.<side>.callsAtOnce`):
// jobs in flight and feeds read together all pass through the system's one client, so this is
// what keeps a small Tryton or Odoo (a few workers) or a rate-limited Magento from being flooded.
// Shopify meters its own cost budget (shopify/client.ts) and needs no such gate.
import pLimit from 'p-limit';
import { z } from 'zod';

export const CALLS_AT_ONCE = 4;

/** The connection setting, the same for every system that has it. */
export const callsAtOnceSetting = z.number().int().min(1).max(32).default(CALLS_AT_ONCE);

/** A gate letting `n` requests through at once, the rest waiting their turn in order. */
export const callGate = (n: number = CALLS_AT_ONCE) => pLimit(n);
