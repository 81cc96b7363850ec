// Writes of more than a page go through Magento's asynchronous bulk API: one POST or PUT of many
// operations, answered with a bulk_uuid, then the bulk's status read until every operation ended.
import { z } from 'zod';
import { DovetailError, transient } from '../../errors.js';
import type { MagentoContext } from './reads.js';

const AsyncAnswer = z.object({
  bulk_uuid: z.string(),
  request_items: z.array(z.object({ id: z.number().int(), status: z.string(), error_message: z.string().nullish() })),
});
const BulkStatus = z.object({
  operations_list: z.array(z.object({ id: z.number().int(), status: z.number().int(), result_message: z.string().nullish() })),
});

/** Operation statuses of GET /V1/bulk/{bulkUuid}/status. */
const OP = { complete: 1, retriable: 2, mustChange: 3, open: 4, rejected: 5 } as const;

export type BulkOutcome = { ok: true } | { ok: false; error: DovetailError };

/** Seconds between status reads: 1, 2, 4, 8, then 10 each. */
const pause = (look: number) => Math.min(10, 2 ** look) * 1000;

/**
 * Sends `bodies` (each one call's body of `method path`) as one bulk and waits for it: one outcome
 * per body, in order. Magento lists a bulk's operations in the order they were asked, so sorted
 * by id they line up with the accepted request items. A bulk still open after `bulkLooks` reads is
 * transient: the engine's next attempt reads what it did before writing again.
 */
export async function bulkWrite(ctx: MagentoContext, method: 'POST' | 'PUT', path: string, bodies: unknown[], scope: 'store' | 'all' = 'store'): Promise<BulkOutcome[]> {
  const answer = await ctx.client.request(method, path, AsyncAnswer, { body: bodies, bulk: true, scope });
  const outcomes: (BulkOutcome | null)[] = bodies.map((_, i) => {
    const item = answer.request_items.find((r) => r.id === i);
    if (!item) return { ok: false, error: new DovetailError('permanent', `bulk ${method} ${path}: Magento did not list operation ${i} as accepted`) };
    return item.status === 'accepted' ? null : { ok: false, error: new DovetailError('permanent', `bulk ${method} ${path}: operation ${i} ${item.status}: ${item.error_message ?? ''}`.trim()) };
  });
  const accepted = outcomes.flatMap((o, i) => (o === null ? [i] : []));
  if (!accepted.length) return outcomes as BulkOutcome[];
  for (let look = 0; ; look++) {
    const status = await ctx.client.request('GET', `/bulk/${encodeURIComponent(answer.bulk_uuid)}/status`, BulkStatus);
    const ops = [...status.operations_list].sort((a, b) => a.id - b.id);
    const open = ops.length < accepted.length ? accepted.length : ops.filter((o) => o.status === OP.open).length;
    if (!open) {
      accepted.forEach((at, k) => { outcomes[at] = outcomeOf(ops[k]!, `bulk ${method} ${path}`); });
      return outcomes as BulkOutcome[];
    }
    if (look + 1 >= ctx.bulkLooks) {
      throw transient(`bulk ${answer.bulk_uuid} (${method} ${path}): ${open} of ${accepted.length} operations still open after ${look + 1} looks; is Magento's async.operations.all consumer running?`, { retryAfterSeconds: 60 });
    }
    await ctx.sleep(pause(look));
  }
}

function outcomeOf(op: { status: number; result_message?: string | null }, what: string): BulkOutcome {
  if (op.status === OP.complete) return { ok: true };
  const message = `${what}: ${op.result_message ?? `operation status ${op.status}`}`;
  return { ok: false, error: new DovetailError(op.status === OP.retriable ? 'transient' : 'permanent', message) };
}
