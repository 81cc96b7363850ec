// Which checklist answers this version of Dovetail actually carries out, in plain words for the
// operations manager, for `dovetail check`, `dovetail report` and the dashboard.
import { carries, inventorySystemOf, storeSystemOf } from '../connectors/registry.js';
import { ALL_CAPABILITIES, type InventoryCapability, type StoreCapability } from '../connectors/types.js';
import type { Config, MasterKey } from './schema.js';

export interface CoverageRow {
  /** the setting's dotted path, e.g. rules.capture */
  key: string;
  /** the chosen answer as written in the settings */
  answer: string;
  /** true when this version does what the answer asks (or the answer asks nothing of Dovetail) */
  carriedOut: boolean;
  /** what happens because of this answer, in plain words */
  note: string;
  /** carried out, but one of the systems does only part of it: what it cannot do (also at the end of `note`) */
  inPart?: string;
}

export const NOT_YET = 'not carried out yet by this version';

/** What an answer asks of each connector beyond the core every connector of its side carries. */
export interface Needs { store?: readonly StoreCapability[]; inventory?: readonly InventoryCapability[] }

/** What the flows beyond the core ask of the pair (the dashboard marks a flow the pair cannot carry). */
export const FLOW_NEEDS = {
  shipments: { store: ['fulfilment'], inventory: ['shipments'] },
  payments: { store: ['payments'], inventory: ['payments'] },
  orderChanges: { store: ['orderChanges'], inventory: ['orderChanges'] },
  offline: { store: ['offlineOrders'], inventory: ['offlineSales'] },
  accounts: { store: ['accounts'], inventory: ['offlineSales'] },
  images: { store: ['images'], inventory: ['images'] },
} as const satisfies Record<string, Needs>;

/** The capability groups in the words of the notes. */
const CAPABILITY_WORDS: Record<StoreCapability | InventoryCapability, string> = {
  catalogue: 'products', stock: 'stock', customers: 'customers', orders: 'orders', sales: 'sales',
  fulfilment: 'shipments on store orders', shipments: 'shipments', payments: 'payments (captures and refunds)',
  orderChanges: 'changes to placed orders', offlineOrders: 'orders placed offline', offlineSales: 'sales entered by staff',
  accounts: 'customer accounts', webhooks: 'pushed events',
  images: 'product images',
  taxes: 'tax rates', shippingMethods: 'shipping methods', incoming: 'stock on its way in from purchases',
  customerEdits: 'later edits of customer details',
  reconcile: 'store stock counts and recent orders read for reconcile',
};

/** Each system of the chosen pair with the groups `needs` asks of its side. */
function pairWithNeeds(config: Config, needs: Needs) {
  return [[storeSystemOf(config.systems.store.type), needs.store ?? []], [inventorySystemOf(config.systems.inventory.type), needs.inventory ?? []]] as const;
}

/**
 * What the chosen pair's connectors lack of `needs`, one phrase per connector; empty: nothing.
 * `key` and `answer`: the answer asking, held to what a connector says it cannot carry out
 * (`cannotCarry`, by `<key>=<answer>` or by `<key>` for every answer).
 */
export function pairLacks(config: Config, needs: Needs, key?: string, answer?: string): string[] {
  return pairWithNeeds(config, needs).flatMap(([system, groups]) => {
    const missing = groups.filter((g) => !carries(system, g));
    const cannot = key && groups.length ? system.cannotCarry?.[`${key}=${answer}`] ?? system.cannotCarry?.[key] : undefined;
    // a group left out because of the platform itself is named in the descriptor's words
    if (missing.length && cannot) return [`the ${system.displayName} connector does not carry ${missing.map((g) => `${CAPABILITY_WORDS[g]} (${g})`).join(', ')}: ${cannot}`];
    if (missing.length) return [`the ${system.displayName} connector does not carry ${missing.map((g) => `${CAPABILITY_WORDS[g]} (${g})`).join(', ')}`];
    return cannot ? [`the ${system.displayName} connector cannot: ${cannot}`] : [];
  });
}

/** What the chosen pair's connectors carry of this answer only in part (`carriesInPart`), one sentence per connector. */
function pairCarriesInPart(config: Config, needs: Needs, key: string, answer: string): string[] {
  return pairWithNeeds(config, needs).flatMap(([system, groups]) => {
    const part = groups.length ? system.carriesInPart?.[`${key}=${answer}`] ?? system.carriesInPart?.[key] : undefined;
    return part ? [`With ${system.displayName}, only in part: ${part}.`] : [];
  });
}

/** What each kind of master data is, for the notes. */
const MASTER_DATA: Record<MasterKey, string> = {
  productNames: 'product names',
  productAttributes: 'product attributes and variants (colour, size…)',
  productDescriptions: 'product descriptions and specifications',
  productImages: 'product images',
  productCategories: 'product categories',
  productDimensions: 'weights and dimensions',
  prices: 'retail prices',
  priceLevels: 'special price levels (wholesale, customer groups)',
  availability: 'whether a product is for sale on the website',
  vendorsAndCosts: 'suppliers and costs',
  customers: 'customer details and addresses',
  salesTaxes: 'tax rates and rules',
  shippingMethods: 'shipping methods',
  purchaseOrders: 'purchase orders',
  paymentMethods: 'payment methods',
};

/** Master keys whose data Dovetail copies from the master to the other system today. */
const MASTERS_CARRIED_OUT: ReadonlySet<MasterKey> = new Set(['productNames', 'productDescriptions', 'prices', 'availability', 'productDimensions', 'productCategories', 'customers']);

const systemWord = (side: 'store' | 'inventory') => (side === 'store' ? 'the online store' : 'the inventory system');
const otherSide = (side: 'store' | 'inventory') => (side === 'store' ? 'inventory' : 'store');
const units = (n: number) => (n === 1 ? '1 unit' : `${n} units`);

function masterRow(config: Config, key: MasterKey): CoverageRow {
  const answer = config.master[key];
  const data = MASTER_DATA[key];
  const row = (carriedOut: boolean, note: string): CoverageRow => ({ key: `master.${key}`, answer, carriedOut, note });
  const owner = systemWord(answer);
  const other = systemWord(otherSide(answer));

  if (key === 'priceLevels') return priceLevelsRow(config);
  if (MASTERS_CARRIED_OUT.has(key)) {
    if (key === 'customers') return customersRow(config, row);
    return row(true, `${cap(data)} are edited in ${owner} and copied to ${other}; a change made in ${other} is ${config.ownership.onConflict === 'revert' ? 'put back' : 'shown as a conflict'} (see ownership.onConflict).`);
  }
  if (key === 'productAttributes') return attributesRow(config, row);
  if (key === 'salesTaxes' || key === 'shippingMethods') return referenceSetRow(config, key);
  switch (key) {
    case 'paymentMethods':
      return row(true, 'Payment methods stay with the online store\'s payment gateway; Dovetail keeps references only and never sees card data.');
    case 'vendorsAndCosts':
      return vendorsAndCostsRow(config, row);
    case 'productImages': {
      const note = `Product images are kept in ${owner} and copied to ${other} in the same order, the featured one marked; each picture is uploaded once (found again by a fingerprint of its bytes), moved or removed as ${owner} changes; images added, moved or removed in ${other} are ${config.ownership.onConflict === 'revert' ? 'put back' : 'shown as a conflict'} (see ownership.onConflict).${answer === 'inventory' ? ' An image deleted in the inventory system alone reaches the store with the next change to that product\'s images.' : ''}`;
      const lacks = pairLacks(config, FLOW_NEEDS.images, `master.${key}`, answer);
      return lacks.length ? row(false, `With these two systems this answer is ${NOT_YET}: ${lacks.join('; ')}. What it would do: ${note}`) : row(true, note);
    }
    case 'purchaseOrders':
      // the settings refuse `store`: no store keeps purchase orders
      return row(true, `Purchase orders stay in the inventory system and are not copied to the store; ${config.inventory.incoming === 'none'
        ? 'what they will bring in is not shown there either (inventory.incoming: none).'
        : 'what they will bring in is shown on the store (see inventory.incoming).'}`);
    default:
      return row(false, `${cap(data)} would be kept in ${owner} and copied to ${other}: ${NOT_YET}. Until then, keep them up to date in both systems by hand.`);
  }
}

/**
 * master.productAttributes: carried where both connectors can (Tryton's attribute sets and
 * Vendure's option groups); a connector that cannot says why in its `cannotCarry`.
 */
function attributesRow(config: Config, row: (carriedOut: boolean, note: string) => CoverageRow): CoverageRow {
  const answer = config.master.productAttributes;
  const owner = systemWord(answer);
  const other = systemWord(otherSide(answer));
  const note = `Attributes and variants (colour, size…) are edited in ${owner} and copied to ${other}: each attribute of a product's attribute set becomes an option group of the store, its values the options (matched by code, so a renamed value is renamed, not added); a new variant joins its existing product, an archived one is disabled in the store; a variant's option changed in ${other} is ${config.ownership.onConflict === 'revert' ? 'put back' : 'shown as a conflict'} (see ownership.onConflict). Products without an attribute set keep one option per variant.`;
  const lacks = pairLacks(config, { store: ['catalogue'], inventory: ['catalogue'] }, 'master.productAttributes', answer);
  return lacks.length ? row(false, `With these two systems this answer is ${NOT_YET}: ${lacks.join('; ')}. What it would do: ${note}`) : row(true, note);
}

/** master.salesTaxes and master.shippingMethods: sets kept equal in both systems on a schedule (engine/handlers/reference-sets.ts). */
function referenceSetRow(config: Config, key: 'salesTaxes' | 'shippingMethods'): CoverageRow {
  const answer = config.master[key];
  const group = key === 'salesTaxes' ? 'taxes' : 'shippingMethods';
  const lacks = pairLacks(config, { store: [group], inventory: [group] }, `master.${key}`, answer);
  const owner = systemWord(answer);
  const other = systemWord(otherSide(answer));
  const every = seconds(config.sync.referenceSetsEveryMs);
  const onChange = `a change made in ${other} is ${config.ownership.onConflict === 'revert' ? 'put back' : 'shown as a conflict'} (see ownership.onConflict); nothing is ever deleted: an item removed from one side is shown as a conflict`;
  const note = key === 'salesTaxes'
    ? `Tax rates (one per store tax category and zone) are edited in ${owner} and copied to ${other} every ${every} (sync.referenceSetsEveryMs) and on \`dovetail sync salesTaxes\`; ${onChange}. Web orders are imported with the rates they were charged, so their totals agree to the cent before and after a rate change.`
    : `Shipping methods (code, name and flat price before tax) are edited in ${owner} and copied to ${other} every ${every} (sync.referenceSetsEveryMs) and on \`dovetail sync shippingMethods\`; ${onChange}. A web order's sale gets the carrier of its shipping method, and its shipments report that carrier back to the store order.`;
  return lacks.length
    ? { key: `master.${key}`, answer, carriedOut: false, note: `With these two systems this answer is ${NOT_YET}: ${lacks.join('; ')}. Until then, keep ${MASTER_DATA[key]} up to date in both systems by hand.` }
    : { key: `master.${key}`, answer, carriedOut: true, note };
}

/**
 * master.priceLevels: a level is an inventory price list and the store's customer group of the same
 * name. Held to what each connector of the pair says it cannot carry (`cannotCarry`).
 */
function priceLevelsRow(config: Config): CoverageRow {
  const answer = config.master.priceLevels;
  const key = 'master.priceLevels';
  const note = answer === 'inventory'
    ? `Special price levels are kept in the inventory system: each of its sale price lists is a level, and every product's price in it, as the inventory system computes it, becomes the price the store charges the customer group of the same name (wholesale, say) when one of its customers is signed in; guests pay the retail price. A level price changed in the store is ${config.ownership.onConflict === 'revert' ? 'put back' : 'shown as a conflict'} (see ownership.onConflict). A web order priced by a level comes in at the prices paid, with that price list on the sale.`
    : 'Special price levels are kept in the online store as prices per customer group; each is copied to the inventory system as a fixed price of the product in the price list of the same name (made when missing), so phone sales to those customers get the same price. Changes made to those price lines in the inventory system are not copied back. A web order priced by a level comes in at the prices paid, with that price list on the sale.';
  const lacks = pairLacks(config, { store: ['catalogue'], inventory: ['catalogue'] }, key, answer);
  return lacks.length
    ? { key, answer, carriedOut: false, note: `With these two systems this answer is ${NOT_YET}: ${lacks.join('; ')}. What it would do: ${note}` }
    : { key, answer, carriedOut: true, note };
}

/** master.customers: the first match by email, then each linked customer's later edits. */
function customersRow(config: Config, row: (carriedOut: boolean, note: string) => CoverageRow): CoverageRow {
  const onConflict = config.ownership.onConflict === 'revert' ? 'put back' : 'shown as a conflict';
  const store = config.master.customers === 'store';
  const first = store
    ? 'Customers are kept in the online store; when a web order arrives, its customer and addresses are found (by email) or created in the inventory system.'
    : 'Customers are kept in the inventory system; the customer of each web order is matched by email to an existing one there.';
  const edits = `Once a customer is known to both systems, later changes of their name, email, phone and addresses made in ${store ? 'the store account reach the inventory system' : 'the inventory system reach their store account'} (the two stay linked by their own ids, so a changed email keeps the link; addresses are added, never removed), and such a change made in ${store ? 'the inventory system' : 'the store'} is ${onConflict}.`;
  const missing = pairLacks(config, { store: ['customerEdits'], inventory: ['customerEdits'] }, 'master.customers', config.master.customers);
  if (!missing.length) return row(true, `${first} ${edits}`);
  const inPart = `later edits of their details are not carried: ${missing.join('; ')}`;
  return { ...row(true, `${first} With these two systems, only in part: ${inPart}; keep them up to date in both by hand.`), inPart };
}

/** master.vendorsAndCosts: each variant's cost and supplier, kept on the store's products or in the inventory system. */
function vendorsAndCostsRow(config: Config, row: (carriedOut: boolean, note: string) => CoverageRow): CoverageRow {
  const onConflict = config.ownership.onConflict === 'revert' ? 'put back' : 'shown as a conflict';
  if (config.master.vendorsAndCosts === 'inventory') {
    return row(true, `Suppliers and costs are kept in the inventory system; where the store has fields for them (admin-only fields on each variant, never shown to customers) they are copied there, and a cost typed into the store is ${onConflict}.`);
  }
  const does = `Each variant's cost and supplier are kept in the online store (admin-only fields on each variant, never shown to customers) and copied to the inventory system as the product's cost price and its supplier (the supplier found by name or made once, with a purchase price at that cost); a cost changed in the inventory system is ${onConflict}.`;
  const missing = pairLacks(config, { store: ['catalogue'], inventory: ['catalogue'] }, 'master.vendorsAndCosts', 'store');
  return missing.length ? row(false, `With these two systems this answer is ${NOT_YET}: ${missing.join('; ')}. What it would do: ${does}`) : row(true, does);
}

/** One row per checklist answer (systems, masters, ownership, every transfer rule, stock settings). */
export function coverage(config: Config): CoverageRow[] {
  const r = config.rules;
  const inv = config.inventory;
  const rows: CoverageRow[] = [];
  /** `needs`: what the answer asks of the connectors; when the chosen pair lacks it, the answer is not carried out. */
  const add = (key: string, answer: unknown, carriedOut: boolean, note: string, needs: Needs = {}) => {
    const written = typeof answer === 'string' ? answer : JSON.stringify(answer);
    const missing = carriedOut ? pairLacks(config, needs, key, written) : [];
    const inPart = carriedOut && !missing.length ? pairCarriesInPart(config, needs, key, written).join(' ') : '';
    rows.push({ key, answer: written, carriedOut: missing.length === 0 && carriedOut,
      note: missing.length ? `With these two systems this answer is ${NOT_YET}: ${missing.join('; ')}. What it would do: ${note}` : inPart ? `${note} ${inPart}` : note,
      ...(inPart ? { inPart } : {}) });
  };
  const systemNote = (what: string, type: string, side: 'store' | 'inventory') => {
    const system = side === 'store' ? storeSystemOf(type) : inventorySystemOf(type);
    const absent = (ALL_CAPABILITIES[side] as (StoreCapability | InventoryCapability)[]).filter((g) => !carries(system, g));
    return `${what} is ${system.displayName}.${absent.length ? ` Its connector does not carry ${absent.map((g) => CAPABILITY_WORDS[g]).join(', ')} yet: the answers that need them say so.` : ''}`;
  };
  add('systems.inventory.type', config.systems.inventory.type, true, systemNote('The inventory system', config.systems.inventory.type, 'inventory'));
  add('systems.store.type', config.systems.store.type, true, systemNote('The online store', config.systems.store.type, 'store'));

  const { payments: PAYMENTS, orderChanges: ORDER_CHANGES, shipments: SHIPMENTS, offline: OFFLINE, accounts: ACCOUNTS } = FLOW_NEEDS;

  for (const key of Object.keys(config.master) as MasterKey[]) rows.push(masterRow(config, key));

  add('ownership.onConflict', config.ownership.onConflict, true, config.ownership.onConflict === 'revert'
    ? 'When a system changes data it is not the master of, Dovetail writes the master\'s value back and records that it did.'
    : 'When a system changes data it is not the master of, Dovetail leaves it and shows a conflict on the dashboard for someone to settle.');

  // 1
  add('rules.offlineOrdersToStore', r.offlineOrdersToStore, true, r.offlineOrdersToStore === 'none'
    ? 'Orders taken by phone, email or sales staff stay in the inventory system; customers do not see them on the website.'
    : `Orders taken by phone, email or sales staff in the inventory system appear in the customer's order history on the website${r.offlineOrdersToStore === 'customersWithAccount' ? ' (only for customers who can log in there)' : ''}, marked as placed offline with the inventory system's order number; nothing is charged through the store, and the store then holds their stock itself, so it is counted once; when they ship, the store order is fulfilled, so the store stops holding it. Orders that have already shipped in full are not copied.`,
    r.offlineOrdersToStore === 'none' ? {} : r.offlineOrdersToStore === 'all' ? OFFLINE : { store: ['offlineOrders', 'accounts'], inventory: ['offlineSales'] });
  // 2
  add('rules.orderEditsIn', r.orderEditsIn, true,
    `Units added to a placed order, or a product added to it, are entered in ${systemWord(r.orderEditsIn)} and copied to ${systemWord(otherSide(r.orderEditsIn))}${r.orderEditsIn === 'inventory' ? ' (when that raises the total, the order waits for the customer to pay the difference and the dashboard says how much)' : ' (the store collects any difference itself; the sale\'s total follows)'}; a lowered quantity is a cancellation, whichever way it was entered, and follows rules.cancellationsIn. An edit made in ${systemWord(otherSide(r.orderEditsIn))} is not copied: it is shown on the dashboard as a conflict.`, ORDER_CHANGES);
  // 3
  add('rules.offlineCustomerAccounts', r.offlineCustomerAccounts, true, r.offlineCustomerAccounts === 'none'
    ? 'Phone and email customers do not get a website account.'
    : `Customers of the inventory system (anyone with an email address and a quote or order there) whom the website does not know get a website account, once; ${r.offlineCustomerAccounts === 'create' ? 'no email is sent to them (they can use "forgot password" to log in)' : 'the website emails them an invitation to set their password'}.`, r.offlineCustomerAccounts === 'none' ? {} : ACCOUNTS);
  const accounts = r.offlineCustomerAccounts !== 'none';
  add('rules.copyAddresses', r.copyAddresses, true, !accounts
    ? 'Has no effect while phone customers get no website account (rules.offlineCustomerAccounts: none).'
    : r.copyAddresses ? 'Addresses of phone customers are copied to their website account (new ones too, later).' : 'Addresses of phone customers are not copied to the website.',
    accounts && r.copyAddresses ? ACCOUNTS : {});
  // 4
  add('rules.partialShipmentsToStore', r.partialShipmentsToStore, true, r.partialShipmentsToStore
    ? 'Each shipment the warehouse completes, even a partial one, appears on the store order as a shipped fulfilment with its items and quantities, ship date, carrier and tracking code; the rest follows as further fulfilments when it ships.'
    : 'Nothing is shown on the store order while part of it waits; once everything has left the warehouse, the store order gets one shipped fulfilment with every item, the last carrier and every tracking code.', SHIPMENTS);
  // 5
  const emails = r.shipmentEmailsFrom;
  add('rules.shipmentEmailsFrom', emails, true, {
    store: 'The online store emails the customer about each shipment Dovetail reports to it (the fulfilment is marked for the store to notify); Dovetail sends nothing itself.',
    inventory: 'Dovetail sends no shipment emails and tells the store not to; the inventory system must be set up to email customers itself.',
    dovetail: `Dovetail emails the customer about each shipment itself, once, through the SMTP server in email: (${config.email.host}:${config.email.port}); the store is told not to.`,
    none: 'Nobody emails customers about shipments: Dovetail sends nothing and tells the store not to.',
  }[emails], SHIPMENTS);
  // 6
  add('rules.quotesFrom', r.quotesFrom, true, r.quotesFrom === 'inventory'
    ? 'Quotes are made in the inventory system (a sale in the quotation state, seen there by Dovetail); while it is a quote nothing goes to the website and no stock is held. Once the customer accepts (the sale is confirmed) it appears in their website order history as an order placed offline, whatever rules.offlineOrdersToStore says.'
    : 'Quotes are made in the online store as draft orders; a draft holds no stock and charges nothing, and only once it is completed (placed) does it become a sale in the inventory system. Quotations typed into the inventory system are treated as ordinary offline orders.',
    r.quotesFrom === 'inventory' ? OFFLINE : {});
  // 7
  add('rules.liveInventory', r.liveInventory, true, r.liveInventory
    ? `Stock counts are pushed to the store as they change in the inventory system (${inv.debounceMs ? `after a pause of ${seconds(inv.debounceMs)} to group bursts of changes` : 'as soon as Dovetail reads the change'}).`
    : 'Stock counts are not pushed to the store; the store keeps its own counts.');
  add('inventory.debounceMs', inv.debounceMs, true, r.liveInventory
    ? (inv.debounceMs ? `After a stock change, Dovetail waits ${seconds(inv.debounceMs)} for more changes to the same product before updating the store.`
      : 'Dovetail updates the store as soon as it reads a stock change: the changes one poll reads go together, with no further wait.')
    : 'Has no effect while stock counts are not pushed (rules.liveInventory: false).');
  const locations = inv.locations;
  add('inventory.locations', locations, true, locations.length === 0
    ? `Stock of ${config.systems.inventory.warehouse ? `the warehouse ${config.systems.inventory.warehouse}` : 'the first warehouse of the inventory system'} is what the store may sell.`
    : locations.length === 1 ? `Stock of the warehouse ${locations[0]} is what the store may sell.`
      : `Stock of the warehouses ${locations.join(', ')} is added up: the store may sell their sum (web orders are booked from ${locations[0]}).`);
  add('inventory.incoming', inv.incoming, true, incomingNote(inv.incoming, r.liveInventory),
    inv.incoming === 'none' || !r.liveInventory ? {} : { store: ['incoming'], inventory: ['incoming'] });
  // 8
  const deducted = [r.deductAllocated ? 'minus unshipped offline orders' : null, inv.safetyStock > 0 ? `minus ${units(inv.safetyStock)} of safety stock` : null].filter(Boolean);
  const formula = `Stock pushed to the store is on-hand${deducted.length ? ` ${deducted.join(' ')}` : ''} (never below zero); the store itself holds back what its own open orders need.`;
  add('rules.deductAllocated', r.deductAllocated, true, r.deductAllocated
    ? formula
    : `${formula} Stock promised to phone and email orders that have not shipped is still offered on the website, so it can be sold twice.`);
  add('inventory.safetyStock', inv.safetyStock, true, inv.safetyStock > 0
    ? `${units(inv.safetyStock)} of each product ${inv.safetyStock === 1 ? 'is' : 'are'} held back from the website, as a margin for miscounts.`
    : 'No safety stock: the website may sell down to the last unit.');
  // 9-12
  add('rules.cancellationsIn', r.cancellationsIn, true,
    `Units that have not shipped are cancelled in ${systemWord(r.cancellationsIn)} (${r.cancellationsIn === 'inventory' ? 'an amendment, or cancelling them on the shipment' : 'cancelling order lines'}) and Dovetail cancels them in ${systemWord(otherSide(r.cancellationsIn))}, so their stock is freed; ${r.capture === 'atOrder' ? 'what the customer paid for them is refunded once through the store and recorded against the sale' : 'nothing was charged for them, and once nothing is left to ship what is still authorised is released'}. A cancellation made in ${systemWord(otherSide(r.cancellationsIn))} is not copied: it is shown on the dashboard as a conflict.`,
    r.capture === 'atOrder' ? { store: ['orderChanges', 'payments'], inventory: ['orderChanges', 'payments'] } : ORDER_CHANGES);
  add('rules.returnsIn', r.returnsIn, true, r.returnsIn === 'inventory'
    ? 'Returns are booked in the inventory system (a return of the sale, its goods received back into stock); returns entered in the store are not copied but shown on the dashboard as a conflict.'
    : 'Returns are entered in the online store (shipped items taken off the order, with a reason starting "Return"); Dovetail books them in the inventory system as a customer return received back into stock. Returns booked in the inventory system are not copied: they are shown as a conflict.', ORDER_CHANGES);
  add('rules.returnsToStore', r.returnsToStore, true, r.returnsIn === 'store'
    ? 'Has no effect while returns are entered in the store (they are on the store order already).'
    : r.returnsToStore ? 'Each return booked in the inventory system is shown on the store order: the items are taken off it, with the reason "Returned", where the customer sees them.'
      : 'Returns booked in the inventory system are not shown on the website; the stock they bring back is.',
    r.returnsIn === 'inventory' && r.returnsToStore ? ORDER_CHANGES : {});
  add('rules.creditMemosIn', r.creditMemosIn, true, r.creditMemosIn === 'store'
    ? `The store's refund is the credit memo of record: Dovetail makes the matching credit note in the inventory system${r.refundsIn === 'inventory' ? ' (with refunds made from the inventory system, its credit note is what starts the refund)' : ''}.`
    : `Credit memos are made in the inventory system by the accountant${r.refundsIn === 'store' ? '; for a refund made in the store, Dovetail records only the refund payment and leaves the credit note to them' : ', and a posted one is what makes Dovetail refund the customer'}.`, PAYMENTS);
  // 13-15
  add('rules.capture', r.capture, true, r.capture === 'atOrder'
    ? 'The customer\'s card is charged when the order is placed; each payment the online store captures is recorded once against the sale in the inventory system, as a succeeded payment.'
    : `The card is only authorised at order; each shipment made in the inventory system captures the amount of what it shipped (its lines with tax; the shipping charge goes with the first shipment), once, never more than was authorised${r.settleFrom === 'inventory' ? ', when an operator processes the payment Dovetail proposes for it in the inventory system' : ''}; each capture is recorded against the sale.`,
    r.capture === 'atOrder' ? PAYMENTS : { store: ['payments'], inventory: ['payments', 'shipments'] });
  add('rules.settleFrom', r.settleFrom, true, r.settleFrom === 'store'
    ? `Payments are settled in the online store${r.capture === 'atShipment' ? ' (per shipment, through its payment API)' : ''}; Dovetail records them in the inventory system.`
    : 'Payments are settled from the inventory system: a payment for a web sale processed there makes Dovetail capture that amount through the store\'s payment gateway, once, and mark it succeeded (or failed, when the store refuses it).', PAYMENTS);
  add('rules.refundsIn', r.refundsIn, true, r.refundsIn === 'store'
    ? 'Refunds are made in the online store; each one is recorded once in the inventory system as a refund payment against the sale (and a credit note, per rules.creditMemosIn).'
    : 'Refunds are made from the inventory system: a credit note posted there for a web sale makes Dovetail refund that amount once through the store\'s payment gateway, never more than was captured, and record the refund payment against the sale.', PAYMENTS);
  // reconcile (not a checklist question: how drift is found and mended)
  const rc = config.reconcile;
  const reconcileLacks = pairLacks(config, { store: ['reconcile'] });
  add('reconcile.everyHours', rc.everyHours, true, `${rc.everyHours ? `Every ${rc.everyHours} h \`dovetail run\` compares both systems record by record` : 'Both systems are compared only when someone runs `dovetail reconcile`'}`
    + ` (products per field group, stock as published, web orders and phone sales shown in the store of the last ${rc.orderDays} days) and shows the drift on the dashboard; ${rc.repair ? 'the scheduled run also queues what makes the non-master agree' : 'repairs wait for `dovetail reconcile --repair`'}.`
    + (reconcileLacks.length ? ` Only products are compared with these two systems: ${reconcileLacks.join('; ')}.` : ''));
  // 16
  const sp = r.salespeople;
  add('rules.salespeople', sp.rules.length === 0 && sp.default === null ? 'none' : `${sp.rules.length} rule${sp.rules.length === 1 ? '' : 's'}, default ${sp.default ?? 'none'}`, true,
    sp.rules.length === 0 && sp.default === null
      ? 'Web orders get no salesperson in the inventory system.'
      : `Each web order gets the salesperson of the first matching rule${sp.default ? `, otherwise ${sp.default}` : ', otherwise none'}; it is set on the sale in the inventory system.`);
  return rows;
}

/**
 * The answers this version does not carry out. Note that even the defaults have some (quotes,
 * order edits, shipments, returns, refunds…), so a caller should refuse to start only on the ones
 * it cannot run without (settingsThisVersionCannotRun) and show the rest as warnings.
 */
export function unsupportedAnswers(config: Config): CoverageRow[] {
  return coverage(config).filter((row) => !row.carriedOut);
}

/**
 * Settings this version cannot run with at all. None today: both storages (sqlite, postgres) run,
 * every system the settings accept is in the registry, and what a connector lacks is shown per
 * answer. `run` stops on these at start, so `check` (offline too) fails on them first.
 */
export function settingsThisVersionCannotRun(_config: Config): CoverageRow[] {
  return [];
}

/** What inventory.incoming does, in words. */
function incomingNote(incoming: Config['inventory']['incoming'], liveInventory: boolean): string {
  if (incoming === 'none') return 'What open purchase orders will bring in is not shown on the store; it sells only what is in stock.';
  if (!liveInventory) return 'Has no effect while stock counts are not pushed (rules.liveInventory: false).';
  const shown = 'Each product shows how many units confirmed purchase orders will bring in and the first day they are expected; when the purchase is received (the units then count as stock) or cancelled, that goes back to nothing';
  return incoming === 'show'
    ? `${shown}. The store sells only what is in stock.`
    : `${shown}, and so do the back-orders: until then customers may order up to that many units beyond the stock, as back-orders.`;
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function seconds(ms: number): string {
  if (ms === 0) return 'no time';
  const s = ms / 1000;
  return s === 1 ? '1 second' : `${s} seconds`;
}
