// A sale entered in the inventory system (phone, email, sales staff, an accepted quote) appears
// in the customer's store order history (rules.offlineOrdersToStore, rules.quotesFrom), placed
// as paid offline: nothing is charged through the store. Exactly once rests on the order's ref
// (found before one is made), the mapping ('sale', store code -> sale id) and one job per sale.
// The same mapping tells the stock flow that the store now reserves the sale's stock itself,
// and tells the web-order import that this store order is not a new sale.
import { offlineOrdersToStore, quotesFrom } from '../../rules/offline-orders.js';
import type { Job } from '../../store/storage.js';
import { capability, hasCapability, lacking } from '../../connectors/types.js';
import { eachJob, type EngineContext, type JobHandler } from '../context.js';
import { failpoint } from '../failpoints.js';
import { JOB } from '../job-kinds.js';
import { MAPPING } from '../../store/mapping-kinds.js';
import { stockToStore } from './stock.js';

export const offlineOrderToStore: JobHandler = {
  kind: JOB.offlineOrder,
  // most are web sales known by their mapping, skipped without a call
  batch: 5,
  handle: (ctx, jobs) => eachJob(jobs, async (job) => {
    const { rules } = ctx.config;
    const inv = ctx.inventory.system;
    const store = ctx.store;
    const saleId = job.key;
    const audit = (action: string, result: string, detail?: object, setting = `rules.offlineOrdersToStore=${rules.offlineOrdersToStore}`) =>
      ctx.storage.audit({ recordKind: 'sale', recordKey: saleId, action, fromSystem: inv, toSystem: store.system, setting, result, detail });
    // the rule is on but the pair cannot carry it out (`dovetail check` says so): each sale's audit row says why
    const need = 'offline orders and accepted quotes shown in the store (rules.offlineOrdersToStore, quotesFrom)';
    const missing = lacking([store, 'offlineOrders'], [ctx.inventory, 'offlineSales']);
    if (missing) {
      await audit('offlineOrder.unsupported', `not carried out: ${missing}`);
      return;
    }
    const offline = capability(store, 'offlineOrders', need);
    // Web orders come the other way: a sale Dovetail imported is known by its store order code
    // (checked before reading the sale: every amendment of a web sale passes through here).
    const mappedCode = (await ctx.storage.keysForExternalIds(inv, MAPPING.sale, [saleId])).get(saleId) ?? null;
    if (mappedCode !== null && !(await ctx.storage.mapping(inv, MAPPING.offlineOrder, mappedCode))) return;
    const sale = await capability(ctx.inventory, 'offlineSales', need).getOfflineSale(saleId);
    if (!sale) return; // deleted since the change was read
    const ref = `${inv}:${saleId}`;
    if (mappedCode === null && sale.reference && (await store.getOrder(sale.reference))) return; // its import is being recorded

    const kind = quotesFrom(rules.quotesFrom, sale.state);
    if (kind === 'holdQuote') {
      if (!(await ctx.storage.mapping(inv, MAPPING.quote, saleId))) {
        await ctx.storage.putMapping(inv, MAPPING.quote, saleId, sale.number);
        await audit('quote.pending', 'a quote: nothing sent to the store, no stock held, until the customer accepts it', { sale: sale.number }, 'rules.quotesFrom=inventory');
      }
      return;
    }
    if (kind === 'nothing') return;

    const found = await offline.findOfflineOrder(ref);
    // a cart is started but not placed yet
    if (found && found.state !== 'cart') {
      if (mappedCode !== found.code) { // placed before a crash: record it
        await ctx.storage.putMapping(inv, MAPPING.offlineOrder, found.code, saleId);
        await ctx.storage.putMapping(inv, MAPPING.sale, found.code, saleId);
      }
      return;
    }
    // without accounts every offline order goes to the store as a guest's
    const account = sale.customer.email && hasCapability(store, 'accounts') ? await capability(store, 'accounts', need).findCustomerAccount(sale.customer.email) : null;
    if (!found) {
      const acceptedQuote = rules.quotesFrom === 'inventory' && (await ctx.storage.mapping(inv, MAPPING.quote, saleId)) !== null;
      const decision = offlineOrdersToStore(rules.offlineOrdersToStore, { acceptedQuote, email: sale.customer.email,
        hasStoreAccount: account?.hasAccount ?? false, shipped: sale.shipped, lineCount: sale.lines.length });
      if (!decision.send) {
        const { why } = decision;
        if (!(await ctx.storage.mapping(inv, MAPPING.offlineOrderSkipped, `${saleId}:${why}`))) {
          await ctx.storage.putMapping(inv, MAPPING.offlineOrderSkipped, `${saleId}:${why}`, sale.number);
          await audit('offlineOrder.notSent', `not sent to the store: ${why}`, { sale: sale.number, acceptedQuote });
        }
        return;
      }
    }
    const code = found?.code ?? (await offline.startOfflineOrder(sale, { ref })).code;
    failpoint('offlineOrder.started');
    // From here the store's order stands for the sale: the stock flow stops deducting the sale
    // (the store reserves it once placed) and the web-order import knows the code.
    // 'offlineOrder' tells the money flows that this store order charged nothing (its payment is a marker)
    if (mappedCode !== code) {
      await ctx.storage.putMapping(inv, MAPPING.offlineOrder, code, saleId);
      await ctx.storage.putMapping(inv, MAPPING.sale, code, saleId);
    }
    const skus = sale.lines.map((l) => l.sku);
    // Make room first: the store refuses an order for more than it shows, and it still shows the
    // sale's quantity deducted. Published with the sale counted as the store's own.
    await publishStock(ctx, skus, `offline sale ${sale.number} goes to the store`);
    const placed = await offline.placeOfflineOrder(code, sale, { customerId: account?.id ?? null });
    // A store whose placed order has a code of its own (Shopify: the draft's id, then the order's)
    // is known under that one too before this job ends, so the web-order import leaves it alone.
    const now = await offline.findOfflineOrder(ref);
    if (now && now.code !== code) {
      await ctx.storage.putMapping(inv, MAPPING.offlineOrder, now.code, saleId);
      await ctx.storage.putMapping(inv, MAPPING.sale, now.code, saleId);
    }
    const acceptedQuote = (await ctx.storage.mapping(inv, MAPPING.quote, saleId)) !== null;
    await audit(acceptedQuote && rules.quotesFrom === 'inventory' ? 'quote.accepted' : 'offlineOrder.placed', 'ok', {
      sale: sale.number, storeOrder: code, storeState: placed.state, inventoryTotal: sale.totalMinor, storeTotal: placed.totalMinor,
      customer: account ? (account.hasAccount ? 'store account' : 'store customer without account') : 'new guest customer',
      charged: 0, payment: 'offline',
    }, acceptedQuote && rules.quotesFrom === 'inventory' ? 'rules.quotesFrom=inventory' : undefined);
    await ctx.storage.audit({ recordKind: 'order', recordKey: code, action: 'order.placedOffline', fromSystem: inv, toSystem: store.system, result: 'ok', detail: { sale: sale.number, saleId } });
    for (const sku of skus) await ctx.storage.enqueue({ kind: JOB.stock, key: sku, reason: `offline sale ${sale.number} placed in the store`, delayMs: ctx.config.inventory.debounceMs });
  }),
};

/** Runs the stock flow for these SKUs now (not queued), so its numbers and audit are the usual ones. */
async function publishStock(ctx: EngineContext, skus: string[], reason: string): Promise<void> {
  const now = new Date().toISOString();
  const jobs: Job[] = skus.map((sku, i) => ({ id: -1 - i, kind: JOB.stock, key: sku, state: 'running', attempts: 1, runAfter: now,
    lastError: null, failureKind: null, failingSince: null, reason, createdAt: now, updatedAt: now }));
  const outcomes = await stockToStore.handle(ctx, jobs);
  const err = [...outcomes.values()].find((e) => e !== null);
  if (err) throw err;
}
