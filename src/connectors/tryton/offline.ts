// Sales and customers that start in Tryton and go to the store: changed sales (quotes and orders,
// keyed by sale id), changed customers (keyed by email), and each read as the canonical model.
import { z } from 'zod';
import type { Address } from '../../model/customer.js';
import { decimalToMinor } from '../../model/money.js';
import type { InventoryCustomer, OfflineSale } from '../../model/offline-order.js';
import type { ChangePage, ChangeRef } from '../types.js';
import { decimalString, type TrytonClient } from './client.js';
import { toSaleState } from './mappers.js';
import { changedRows, stampOf } from './reads.js';

/** a sale past draft: quoted to the customer, or an order */
export const LIVE_SALE_STATES = ['quotation', 'confirmed', 'processing', 'done'];

/** Sales past draft whose record changed: one change per sale id, versioned by stamp and state. */
export function saleChanges(client: TrytonClient, cursor: string | null): Promise<ChangePage> {
  return changedRows(client, cursor, { sales: { model: 'sale.sale', domain: [['state', 'in', LIVE_SALE_STATES]], shape: { state: z.string() } } },
    ({ sales }) => sales.map((s): ChangeRef => ({ kind: 'order', key: String(s.id), sourceVersion: `sale:${stampOf(s)}:${s.state}` })));
}

/**
 * Customers whose party, email or sales changed, keyed by email (the key customers share across
 * systems). A party without an email is left out: the store cannot know it.
 */
export function customerChanges(client: TrytonClient, cursor: string | null): Promise<ChangePage> {
  return changedRows(client, cursor, {
    parties: { model: 'party.party', domain: [], shape: {} },
    // any email, phone or address edited: the party's details changed (master.customers)
    mechanisms: { model: 'party.contact_mechanism', domain: [], shape: { party: z.number() } },
    addresses: { model: 'party.address', domain: [], shape: { party: z.number() } },
    sales: { model: 'sale.sale', domain: [['state', 'in', LIVE_SALE_STATES]], shape: { party: z.number() } },
  }, async ({ parties, mechanisms, addresses: partyAddresses, sales }) => {
    const stampByParty = new Map<number, string>();
    const note = (id: number, s: string) => { if ((stampByParty.get(id) ?? '') < s) stampByParty.set(id, s); };
    for (const p of parties) note(p.id, stampOf(p));
    for (const m of [...mechanisms, ...partyAddresses]) note(m.party, stampOf(m));
    for (const s of sales) note(s.party, stampOf(s));
    if (!stampByParty.size) return [];
    const emails = z.array(z.object({ party: z.number(), value: z.string() })).parse(await client.searchRead('party.contact_mechanism',
      [['type', '=', 'email'], ['party', 'in', [...stampByParty.keys()]]], ['party', 'value'], { order: [['id', 'ASC']] }));
    const newestByEmail = new Map<string, string>();
    for (const e of emails) {
      const email = e.value.trim().toLowerCase();
      const s = stampByParty.get(e.party) ?? '';
      if (email && (newestByEmail.get(email) ?? '') < s) newestByEmail.set(email, s);
    }
    return [...newestByEmail].map(([email, s]): ChangeRef => ({ kind: 'customer', key: email, sourceVersion: `party:${s}` }));
  });
}

const AddressRecord = z.object({ id: z.number(), party_name: z.string().nullable().optional(), street: z.string().nullable(), city: z.string().nullable(),
  postal_code: z.string().nullable(), country: z.number().nullable(), subdivision: z.number().nullable().optional() });

export async function addresses(client: TrytonClient, ids: number[], partyName: string): Promise<Map<number, Address>> {
  if (!ids.length) return new Map();
  const rows = z.array(AddressRecord).parse(await client.read('party.address', ids, ['party_name', 'street', 'city', 'postal_code', 'country']));
  const countryIds = [...new Set(rows.map((r) => r.country).filter((c): c is number => c !== null))];
  const codes = new Map(countryIds.length ? z.array(z.object({ id: z.number(), code: z.string().nullable() })).parse(
    await client.read('country.country', countryIds, ['code'])).map((c) => [c.id, c.code ?? '']) : []);
  const out = new Map<number, Address>();
  for (const r of rows) {
    const address = addressOf(r, r.country === null ? '' : (codes.get(r.country) ?? ''), partyName);
    if (address) out.set(r.id, address);
  }
  return out;
}

/** A party address as the model's, or null: one without a street or country cannot be placed in the store. */
export function addressOf(r: { party_name?: string | null; street: string | null; city: string | null; postal_code: string | null }, countryCode: string, partyName: string): Address | null {
  const [street1, ...rest] = (r.street ?? '').split('\n');
  if (!street1 || countryCode.length !== 2) return null;
  return { fullName: r.party_name || partyName, street1, street2: rest.join(', ') || undefined, city: r.city ?? '', postalCode: r.postal_code ?? '', countryCode };
}

/** "Ada Lovelace" -> Ada / Lovelace; a single word is the last name (the store requires one). */
export function splitName(name: string): { firstName: string; lastName: string } {
  const parts = name.trim().split(/\s+/);
  if (parts.length < 2) return { firstName: '', lastName: parts[0] ?? '' };
  return { firstName: parts.slice(0, -1).join(' '), lastName: parts.at(-1)! };
}

export async function partyDetails(client: TrytonClient, partyId: number) {
  const [party] = z.array(z.object({ id: z.number(), name: z.string(), addresses: z.array(z.number()) })).parse(
    await client.read('party.party', [partyId], ['name', 'addresses']));
  const mechanisms = z.array(z.object({ type: z.string(), value: z.string() })).parse(await client.searchRead('party.contact_mechanism',
    [['party', '=', partyId], ['type', 'in', ['email', 'phone', 'mobile']]], ['type', 'value'], { order: [['id', 'ASC']] }));
  return {
    party,
    email: (mechanisms.find((m) => m.type === 'email')?.value ?? '').trim().toLowerCase(),
    phone: mechanisms.find((m) => m.type !== 'email')?.value,
  };
}

const SaleRecord = z.object({
  id: z.number(), number: z.string().nullable(), state: z.string(), shipment_state: z.string(), reference: z.string().nullable(), party: z.number(),
  shipment_address: z.number().nullable(), invoice_address: z.number().nullable(), total_amount: z.unknown(), currency: z.number(), lines: z.array(z.number()),
});

export async function offlineSale(client: TrytonClient, saleId: number, currencyCode: string): Promise<OfflineSale | null> {
  const [sale] = z.array(SaleRecord).parse(await client.search('sale.sale', [['id', '=', saleId]]).then((ids) => ids.length
    ? client.read('sale.sale', ids, ['number', 'state', 'shipment_state', 'reference', 'party', 'shipment_address', 'invoice_address', 'total_amount', 'currency', 'lines']) : []));
  if (!sale) return null;
  const { party, email, phone } = await partyDetails(client, sale.party);
  const lines = z.array(z.object({ type: z.string(), product: z.number().nullable(), quantity: z.number().nullable(), description: z.string().nullable() })).parse(
    await client.read('sale.line', sale.lines, ['type', 'product', 'quantity', 'description']));
  const goods = lines.filter((l) => l.type === 'line' && l.product !== null && (l.quantity ?? 0) > 0);
  const productIds = [...new Set(goods.map((l) => l.product!))];
  const products = new Map(productIds.length ? z.array(z.object({ id: z.number(), code: z.string().nullable(), type: z.string(), name: z.string() })).parse(
    await client.read('product.product', productIds, ['code', 'type', 'name'], { active_test: false })).map((p) => [p.id, p]) : []);
  const bySku = new Map<string, { name: string; quantity: number }>();
  for (const l of goods) {
    const p = products.get(l.product!);
    // services (shipping charges) and products without a SKU are not store products
    if (!p?.code || p.type !== 'goods') continue;
    const prev = bySku.get(p.code);
    bySku.set(p.code, { name: p.name, quantity: (prev?.quantity ?? 0) + Math.round(l.quantity!) });
  }
  const addressIds = [sale.shipment_address, sale.invoice_address].filter((a): a is number => a !== null);
  const all = await addresses(client, [...new Set([...addressIds, ...party.addresses])], party.name);
  return {
    id: String(sale.id), number: sale.number ?? `#${sale.id}`, state: toSaleState(sale.state), shipped: sale.shipment_state === 'sent', reference: sale.reference?.trim() || null,
    customer: { email, ...splitName(party.name), phone, addresses: party.addresses.map((id) => all.get(id)).filter((a): a is Address => !!a) },
    shippingAddress: (sale.shipment_address !== null ? all.get(sale.shipment_address) : undefined) ?? null,
    billingAddress: (sale.invoice_address !== null ? all.get(sale.invoice_address) : undefined) ?? null,
    lines: [...bySku].map(([sku, l]) => ({ sku, name: l.name, quantity: l.quantity })),
    currency: currencyCode, totalMinor: decimalToMinor(decimalString(sale.total_amount)),
  };
}

/** The (first) party with this email, with its addresses, and whether it has a sale past draft. */
export async function inventoryCustomer(client: TrytonClient, email: string): Promise<InventoryCustomer | null> {
  const [m] = z.array(z.object({ party: z.number() })).parse(await client.searchRead('party.contact_mechanism',
    [['type', '=', 'email'], ['value', 'ilike', email]], ['party'], { limit: 1, order: [['id', 'ASC']] }));
  if (!m) return null;
  const { party, phone } = await partyDetails(client, m.party);
  const all = await addresses(client, party.addresses, party.name);
  const sales = await client.search('sale.sale', [['party', '=', party.id], ['state', 'in', LIVE_SALE_STATES]], { limit: 1 });
  return {
    customer: { email: email.trim().toLowerCase(), ...splitName(party.name), phone, addresses: party.addresses.map((id) => all.get(id)).filter((a): a is Address => !!a) },
    hasSales: sales.length > 0,
  };
}
