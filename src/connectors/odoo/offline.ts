// Sales and customers that start in Odoo and go to the store: changed sales (quotations and
// orders, keyed by sale id), changed customers (keyed by email), each read as the canonical model.
import { z } from 'zod';
import type { Address } from '../../model/customer.js';
import type { InventoryCustomer, OfflineSale, SaleState } from '../../model/offline-order.js';
import type { ChangePage, ChangeRef } from '../types.js';
import { read, Ref, searchRead, Text, type OdooCalls } from './client.js';
import { toMinor } from './mappers.js';
import { odooNames } from './models.js';
import { changedRows, stampOf, type Setup } from './reads.js';

/** Odoo's sale states that the store hears of: a quotation (draft or sent) or a confirmed order. */
const LIVE_SALE_STATES = ['draft', 'sent', 'sale'];

/** Odoo's sale state, with how much has left the warehouse, in Dovetail's words. */
export function toSaleState(state: string, delivered: 'none' | 'some' | 'all'): SaleState {
  if (state === 'draft' || state === 'sent') return 'quotation';
  if (state === 'cancel') return 'cancelled';
  return delivered === 'all' ? 'done' : delivered === 'some' ? 'processing' : 'confirmed';
}

/** Sales past nothing (quotations and orders) whose record changed: one change per sale id, versioned by stamp and state. */
export function saleChanges(client: OdooCalls, cursor: string | null): Promise<ChangePage> {
  const N = odooNames(client.version);
  return changedRows(client, cursor, { sales: { model: N.sale.model, domain: [[N.sale.fields.state, 'in', LIVE_SALE_STATES]], fields: { state: [N.sale.fields.state, z.string()] } } },
    ({ sales }) => sales.map((s): ChangeRef => ({ kind: 'order', key: String(s.id), sourceVersion: `sale:${stampOf(s.writeDate)}:${s.state}` })));
}

/** Customers whose contact or sales changed, keyed by email; a contact without an email is left out (the store cannot know it). */
export function customerChanges(client: OdooCalls, cursor: string | null): Promise<ChangePage> {
  const N = odooNames(client.version);
  const F = N.partner.fields;
  return changedRows(client, cursor, {
    partners: { model: N.partner.model, domain: [[F.parent, '=', false], [F.email, '!=', false]], fields: { email: [F.email, Text] } },
    sales: { model: N.sale.model, domain: [[N.sale.fields.state, 'in', LIVE_SALE_STATES]], fields: { partner: [N.sale.fields.partner, Ref] } },
  }, async ({ partners, sales }) => {
    const stampByPartner = new Map<number, string>();
    const note = (id: number, s: string) => { if ((stampByPartner.get(id) ?? '') < s) stampByPartner.set(id, s); };
    for (const p of partners) note(p.id, stampOf(p.writeDate));
    for (const s of sales) if (s.partner) note(s.partner.id, stampOf(s.writeDate));
    const emails = await read(client, N.partner.model, [...stampByPartner.keys()], { email: [F.email, Text] });
    const newestByEmail = new Map<string, string>();
    for (const e of emails) {
      const email = e.email?.trim().toLowerCase();
      const s = stampByPartner.get(e.id) ?? '';
      if (email && (newestByEmail.get(email) ?? '') < s) newestByEmail.set(email, s);
    }
    return [...newestByEmail].map(([email, s]): ChangeRef => ({ kind: 'customer', key: email, sourceVersion: `partner:${s}` }));
  });
}

/** "Ada Lovelace" -> Ada / Lovelace; a single word is the last name (the store requires one). */
export function splitName(name: string): { firstName: string; lastName: string } {
  const parts = name.trim().split(/\s+/);
  if (parts.length < 2) return { firstName: '', lastName: parts[0] ?? '' };
  return { firstName: parts.slice(0, -1).join(' '), lastName: parts.at(-1)! };
}

function partnerSpec(client: OdooCalls) {
  const F = odooNames(client.version).partner.fields;
  return { name: [F.name, z.string()], email: [F.email, Text], phone: [F.phone, Text], street: [F.street, Text], street2: [F.street2, Text], city: [F.city, Text],
    zip: [F.zip, Text], country: [F.country, Ref], parent: [F.parent, Ref], type: [F.type, Text] } as const;
}

/** Contacts as canonical addresses; one without a street or a country cannot be placed in the store and is left out. */
async function addresses(client: OdooCalls, ids: number[]): Promise<Map<number, Address>> {
  const N = odooNames(client.version);
  const rows = await read(client, N.partner.model, [...new Set(ids)], partnerSpec(client));
  const codes = new Map((await read(client, N.country.model, [...new Set(rows.flatMap((r) => (r.country ? [r.country.id] : [])))], { code: [N.country.fields.code, z.string()] }))
    .map((c) => [c.id, c.code]));
  const out = new Map<number, Address>();
  for (const r of rows) {
    const countryCode = (r.country && codes.get(r.country.id)) ?? '';
    if (!r.street || countryCode.length !== 2) continue;
    out.set(r.id, { fullName: r.name, street1: r.street, street2: r.street2 ?? undefined, city: r.city ?? '', postalCode: r.zip ?? '', countryCode, phone: r.phone ?? undefined });
  }
  return out;
}

/** The contact and its delivery / invoice children, as a canonical customer. */
async function customerOf(client: OdooCalls, partnerId: number) {
  const N = odooNames(client.version);
  const F = N.partner.fields;
  const [partner] = await read(client, N.partner.model, [partnerId], partnerSpec(client));
  if (!partner) return null;
  const children = await searchRead(client, N.partner.model, [[F.parent, '=', partnerId], [F.type, 'in', ['delivery', 'invoice']]], {}, { order: `${F.id} asc` });
  const ids = [partnerId, ...children.map((c) => c.id)];
  const all = await addresses(client, ids);
  return {
    partner,
    customer: { email: (partner.email ?? '').trim().toLowerCase(), ...splitName(partner.name), phone: partner.phone ?? undefined,
      addresses: ids.map((id) => all.get(id)).filter((a): a is Address => !!a) },
    all,
  };
}

export async function offlineSale(client: OdooCalls, setup: Setup, saleId: number): Promise<OfflineSale | null> {
  const N = odooNames(client.version);
  const S = N.sale.fields, L = N.saleLine.fields;
  const [sale] = await read(client, N.sale.model, [saleId], { name: [S.name, z.string()], state: [S.state, z.string()], reference: [S.reference, Text],
    partner: [S.partner, Ref], shipping: [S.shippingAddress, Ref], invoice: [S.invoiceAddress, Ref], total: [S.total, z.number()], lines: [S.lines, z.array(z.number())] });
  if (!sale?.partner) return null;
  const who = await customerOf(client, sale.partner.id);
  if (!who) return null;
  const lines = await read(client, N.saleLine.model, sale.lines, { product: [L.product, Ref], quantity: [L.quantity, z.number()], delivered: [L.delivered, z.number()],
    isDelivery: [L.isDelivery, z.boolean()], displayType: [L.displayType, Text] });
  const goods = lines.filter((l) => l.product && !l.isDelivery && !l.displayType && l.quantity > 0);
  const P = N.product.fields;
  const products = new Map((await read(client, N.product.model, [...new Set(goods.map((l) => l.product!.id))], { sku: [P.sku, Text], template: [P.template, Ref] }, { active_test: false }))
    .map((p) => [p.id, p]));
  const services = new Set((await read(client, N.template.model, [...new Set([...products.values()].flatMap((p) => (p.template ? [p.template.id] : [])))],
    { kind: [N.template.fields.kind, z.string()] }, { active_test: false })).filter((t) => t.kind === N.templateKinds.service).map((t) => t.id));
  const bySku = new Map<string, { name: string; quantity: number; delivered: number }>();
  for (const l of goods) {
    const p = products.get(l.product!.id);
    // services and products without a SKU are not store products
    if (!p?.sku || (p.template && services.has(p.template.id))) continue;
    const prev = bySku.get(p.sku);
    bySku.set(p.sku, { name: l.product!.name, quantity: (prev?.quantity ?? 0) + Math.round(l.quantity), delivered: (prev?.delivered ?? 0) + Math.round(l.delivered) });
  }
  const counted = [...bySku.values()];
  const delivered = counted.every((l) => l.delivered >= l.quantity) && counted.length ? 'all' : counted.some((l) => l.delivered > 0) ? 'some' : 'none';
  const extra = await addresses(client, [sale.shipping?.id, sale.invoice?.id].filter((id): id is number => id !== undefined && !who.all.has(id)));
  const addressOf = (ref: { id: number } | null) => (ref ? who.all.get(ref.id) ?? extra.get(ref.id) ?? null : null);
  return {
    id: String(sale.id), number: sale.name, state: toSaleState(sale.state, delivered), shipped: delivered === 'all', reference: sale.reference?.trim() || null,
    customer: who.customer, shippingAddress: addressOf(sale.shipping), billingAddress: addressOf(sale.invoice),
    lines: [...bySku].map(([sku, l]) => ({ sku, name: l.name, quantity: l.quantity })),
    currency: setup.currency.code, totalMinor: toMinor(sale.total, setup.currency.decimals),
  };
}

/** The company-level contact with this email, with its addresses, and whether it has a quotation sent or an order. */
export async function inventoryCustomer(client: OdooCalls, email: string): Promise<InventoryCustomer | null> {
  const N = odooNames(client.version);
  const F = N.partner.fields;
  const [found] = await searchRead(client, N.partner.model, [[F.email, '=ilike', email.trim()], [F.parent, '=', false]], {}, { limit: 1, order: `${F.id} asc` });
  const who = found && await customerOf(client, found.id);
  if (!who) return null;
  const sales = await searchRead(client, N.sale.model, [[N.sale.fields.partner, '=', found.id], [N.sale.fields.state, 'in', ['sent', 'sale']]], {}, { limit: 1 });
  return { customer: { ...who.customer, email: email.trim().toLowerCase() }, hasSales: sales.length > 0 };
}
