// A customer of the inventory system (a party with an email and a sale past draft) who is not
// known to the store gets a store account (rules.offlineCustomerAccounts): `create` makes it
// quietly, `invite` makes it and has the store invite them to set a password; their addresses
// follow when rules.copyAddresses. Exactly once per email: mappings record each step done
// (account made, invitation sent), and the store is searched by email before anything is made.
import { capability, lacking } from '../../connectors/types.js';
import { eachJob, type EngineContext, type JobHandler } from '../context.js';
import { carryCustomerEdit } from './customer-details.js';
import { failpoint } from '../failpoints.js';
import { JOB } from '../job-kinds.js';
import { MAPPING } from '../../store/mapping-kinds.js';

export const customerToStore: JobHandler = {
  kind: JOB.customerToStore,
  batch: 10,
  handle: (ctx, jobs) => eachJob(jobs, async (job) => {
    await offerAccount(ctx, job.key);
    // the party's later edits, whichever system is the master of customer details
    await carryCustomerEdit(ctx, job.key, 'inventory');
  }),
};

async function offerAccount(ctx: EngineContext, email: string): Promise<void> {
  const { offlineCustomerAccounts: mode, copyAddresses } = ctx.config.rules;
  if (mode === 'none') return;
  const store = ctx.store;
  const sys = store.system;
  const setting = `rules.offlineCustomerAccounts=${mode}, rules.copyAddresses=${copyAddresses}`;
  const audit = (action: string, result: string, detail?: object) =>
    ctx.storage.audit({ recordKind: 'customer', recordKey: email, action, fromSystem: ctx.inventory.system, toSystem: sys, setting, result, detail });
  // the rule is on but the pair cannot carry it out (`dovetail check` says so): each customer's
  // audit row says why, without a failure per customer
  const need = 'website accounts for phone customers (rules.offlineCustomerAccounts)';
  const missing = lacking([store, 'accounts'], [ctx.inventory, 'offlineSales']);
  if (missing) {
    await audit('customer.accountUnsupported', `not carried out: ${missing}`);
    return;
  }
  const accounts = capability(store, 'accounts', need);
  const found = await capability(ctx.inventory, 'offlineSales', need).getInventoryCustomer(email);
  // Only customers: a party with a sale past draft (quoted, ordered). Suppliers, carriers and
  // salespeople are parties too, and never hear from the store.
  if (!found?.hasSales) return;

  let id = await ctx.storage.mapping(sys, MAPPING.customerAccount, email);
  if (!id) {
    const existing = await accounts.findCustomerAccount(email);
    const oursFromBefore = (await ctx.storage.mapping(sys, MAPPING.customerAccountPending, email)) !== null;
    if (existing && !oursFromBefore) {
      // The store knows them already (registered, or a guest from a web order): nothing to make.
      if (!(await ctx.storage.mapping(sys, MAPPING.customerAccountExisting, email))) {
        await ctx.storage.putMapping(sys, MAPPING.customerAccountExisting, email, existing.id);
        await audit('customer.accountExists', `not made: the store already has this customer (${existing.hasAccount ? 'with an account' : 'as a guest'})`, { customer: existing.id });
      }
      return;
    }
    // Marked before the create: a retry after a crash in between knows the account it finds is ours.
    await ctx.storage.putMapping(sys, MAPPING.customerAccountPending, email, 'creating');
    const made = existing ? { id: existing.id, created: false } : await accounts.createCustomerAccount(found.customer, { invite: mode === 'invite' });
    failpoint('customer.accountCreated');
    id = made.id;
    await ctx.storage.putMapping(sys, MAPPING.customerAccount, email, id);
    await audit('customer.accountCreated', 'ok', { customer: id, invitation: mode === 'invite' ? 'follows' : 'none: no email is sent' });
  }
  if (mode === 'invite' && !(await ctx.storage.mapping(sys, MAPPING.customerInvited, email))) {
    const sent = await accounts.inviteCustomer(email);
    await ctx.storage.putMapping(sys, MAPPING.customerInvited, email, sent.how);
    await audit('customer.invited', 'ok', { customer: id, how: sent.how });
  }
  if (copyAddresses && found.customer.addresses.length) {
    const added = await accounts.addCustomerAddresses(id, found.customer.addresses);
    if (added) await audit('customer.addressesCopied', 'ok', { customer: id, added });
  }
}
