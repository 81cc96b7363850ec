// A customer's details after the first match (master.customers): name, email, phone and addresses
// go from the master to the other system, and an edit made by the other is reverted or flagged
// per ownership.onConflict. Once linked, a customer is known by the party id and the store's id
// (mappings both ways), never again by email, so an email changed on either side keeps the link.
import { createHash } from 'node:crypto';
import { customerDetails, detailsAsSeen, type Customer } from '../../model/customer.js';
import { decideCustomerChange, type Side } from '../../rules/ownership.js';
import { capability, lacking } from '../../connectors/types.js';
import { MAPPING } from '../../store/mapping-kinds.js';
import type { EngineContext } from '../context.js';
import type { Storage } from '../../store/storage.js';

const NEED = 'later edits of customer details (master.customers)';
/** the conflicts list's field group for a customer's details */
const CONFLICT_GROUP = 'details';

/** What the pair lacks to carry customer edits, in words; null: it carries them. */
export function customerEditsLacking(ctx: EngineContext): string | null {
  return lacking([ctx.store, 'customerEdits'], [ctx.inventory, 'customerEdits']);
}

/** The party a store customer is linked to, if Dovetail linked them (or matched them by email for a web order). */
async function linkedParty(ctx: EngineContext, storeId: string, email: string): Promise<string | null> {
  return (await ctx.storage.mapping(ctx.inventory.system, MAPPING.partyOfCustomer, storeId)) ?? ctx.storage.mapping(ctx.inventory.system, MAPPING.party, email);
}

/**
 * What each side showed of a linked customer when Dovetail last saw both agree, by party id: a
 * digest of its details per side. A change whose side still shows that is nothing new (most
 * often Dovetail's own write coming back) and needs no read of the other side.
 */
const SNAPSHOT = 'customerDetails';
const digestOf = (c: Customer) => createHash('sha1').update(JSON.stringify(customerDetails(c))).digest('hex');

/**
 * A party Dovetail has just made from the store's `customer`: both sides hold those details, so
 * they are noted as agreed, and the store's and the party's own change events for this creation
 * are recognised without reading the other side. Where the party shows them differently (a
 * system that reshapes an address), its first change is compared in full, as before.
 */
export async function noteMadeFromStore(ctx: EngineContext, storage: Storage, partyId: string, customer: Customer): Promise<void> {
  if (customerEditsLacking(ctx)) return;
  const digest = digestOf(customer);
  await storage.putSnapshots(SNAPSHOT, partyId, { store: digest, inventory: digest });
}

/**
 * The customer with `email` changed in `changedIn`: finds the pair of records (by the link when
 * there is one, else by email) and carries, reverts or flags the change. A customer only one
 * system knows is left alone: making records is the other rules' work. `storeId`: the store's id
 * for the email when the caller has just looked it up; `storeCustomer`: that customer, just read.
 */
export async function carryCustomerEdit(ctx: EngineContext, email: string, changedIn: Side, known: { storeId?: string | null; storeCustomer?: Customer } = {}): Promise<void> {
  if (customerEditsLacking(ctx)) return;
  const store = capability(ctx.store, 'customerEdits', NEED);
  const inventory = capability(ctx.inventory, 'customerEdits', NEED);
  let partyId: string | null;
  let storeId: string | null;
  if (changedIn === 'inventory') {
    partyId = await inventory.findParty(email);
    storeId = partyId && ((await ctx.storage.mapping(ctx.store.system, MAPPING.customerOfParty, partyId)) ?? await store.findCustomerId(email));
  } else {
    storeId = known.storeId !== undefined ? known.storeId : await store.findCustomerId(email);
    partyId = storeId && ((await linkedParty(ctx, storeId, email)) ?? await inventory.findParty(email));
  }
  if (!partyId || !storeId) return;
  await ctx.storage.putMapping(ctx.store.system, MAPPING.customerOfParty, partyId, storeId);
  await ctx.storage.putMapping(ctx.inventory.system, MAPPING.partyOfCustomer, storeId, partyId);

  // the side that changed first: when it shows what it showed last time both agreed, nothing changed there
  const read = (side: Side) => (side === 'inventory' ? inventory.getParty(partyId) : store.getCustomerById(storeId));
  const changed = changedIn === 'store' && known.storeCustomer ? known.storeCustomer : await read(changedIn);
  if (!changed) return;
  const agreed = await ctx.storage.snapshots(SNAPSHOT, partyId);
  if (agreed.get(changedIn) === digestOf(changed)) return;
  const otherSide = await read(other(changedIn));
  if (!otherSide) return;
  const sides = { [changedIn]: changed, [other(changedIn)]: otherSide } as Record<Side, Customer>;
  const master = ctx.config.master.customers;
  const { master: masterDetails, seen } = detailsAsSeen(sides[master], sides[other(master)]);
  const decision = decideCustomerChange({ changedIn, value: changedIn === master ? masterDetails : seen, lastSynced: changedIn === master ? seen : masterDetails, config: ctx.config });
  const setting = `master.customers=${master}`;
  const audit = { recordKind: 'customer', recordKey: normalised(email), detail: { party: partyId, storeCustomer: storeId } };
  if (decision.action === 'ignore') {
    await ctx.storage.putSnapshots(SNAPSHOT, partyId, { store: digestOf(sides.store), inventory: digestOf(sides.inventory) });
    return;
  }
  if (decision.action === 'flag') {
    const flagged = await ctx.storage.flagConflict({ recordKind: 'customer', recordKey: audit.recordKey, fieldGroup: CONFLICT_GROUP,
      masterSystem: systemOf(ctx, master), masterValue: JSON.stringify(masterDetails), otherValue: JSON.stringify(seen) });
    if (flagged) await ctx.storage.audit({ ...audit, action: 'customer.conflict', fromSystem: systemOf(ctx, changedIn), setting: `${setting}, ownership.onConflict=flag`, result: 'flagged',
      detail: { ...audit.detail, master: masterDetails, other: seen, why: decision.why } });
    return;
  }
  // propagate (the master's edit) and revert (the other's edit) both write the master's details to the other system
  const target = other(master);
  if (target === 'store') await store.updateCustomerDetails(storeId, sides[master]);
  else await inventory.updateParty(partyId, sides[master]);
  await ctx.storage.transaction(async (tx) => {
    // the master's side is as read; the other's is known once its own change comes back and is compared
    await tx.putSnapshot(SNAPSHOT, partyId, master, digestOf(sides[master]));
    await tx.forgetSnapshot(SNAPSHOT, partyId, target);
    await tx.resolveConflicts('customer', audit.recordKey, CONFLICT_GROUP);
    await tx.audit({ ...audit, action: decision.action === 'propagate' ? 'customer.updated' : 'customer.reverted', fromSystem: systemOf(ctx, master), toSystem: systemOf(ctx, target),
      setting: decision.action === 'propagate' ? setting : `${setting}, ownership.onConflict=revert`, result: 'ok', detail: { ...audit.detail, details: masterDetails, ...('why' in decision ? { why: decision.why } : {}) } });
  });
}

const other = (side: Side): Side => (side === 'store' ? 'inventory' : 'store');
const systemOf = (ctx: EngineContext, side: Side) => (side === 'store' ? ctx.store.system : ctx.inventory.system);
const normalised = (email: string) => email.trim().toLowerCase();
