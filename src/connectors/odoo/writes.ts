// Writes to Odoo. Each create is found before it is made: a partner by its email, an address by
// its fields, a sale by the store order code it carries in client_order_ref, so a retry after a
// crash finishes the half-made record (draft -> confirmed) instead of making a second one.
import { madeOnce } from '../made-once.js';
import { z } from 'zod';
import { DovetailError, permanent } from '../../errors.js';
import type { Address, Customer } from '../../model/customer.js';
import { minorToDecimal } from '../../model/money.js';
import type { Order } from '../../model/order.js';
import type { ProductFields } from '../../model/product.js';
import { action, create, read, Ref, searchRead, Text, write, type OdooCalls } from './client.js';
import { addressValues, exactLines, fromMinor, partnerName, toMinor } from './mappers.js';
import { odooNames } from './models.js';
import type { Setup } from './reads.js';

/** Looks a record up once per process, or finds / makes it. */
const once = (setup: Setup, key: string, make: () => Promise<number>): Promise<number> => madeOnce(setup.made, key, make);

/** One-to-many "create" commands, the same in every version 17–20. */
const createCommand = (values: Record<string, unknown>) => [0, 0, values];

function countryId(client: OdooCalls, setup: Setup, code: string): Promise<number> {
  if (!/^[A-Z]{2}$/.test(code)) throw permanent(`address has no valid country code (got "${code}")`, { country: code });
  return once(setup, `country:${code}`, async () => {
    const N = odooNames(client.version);
    const [found] = await searchRead(client, N.country.model, [[N.country.fields.code, '=', code]], {}, { limit: 1 });
    if (!found) throw permanent(`Odoo has no country ${code}`, { country: code });
    return found.id;
  });
}

/** The child contact of `partnerId` of this type with these address fields, added when it has none such. */
export async function ensureAddress(client: OdooCalls, setup: Setup, partnerId: number, a: Address, type: 'delivery' | 'invoice'): Promise<number> {
  const N = odooNames(client.version);
  const F = N.partner.fields;
  const values = addressValues(a, await countryId(client, setup, a.countryCode));
  const children = await searchRead(client, N.partner.model, [[F.parent, '=', partnerId], [F.type, '=', type]],
    { street: [F.street, Text], city: [F.city, Text], zip: [F.zip, Text], country: [F.country, Ref] }, { order: `${F.id} asc` });
  const same = children.find((c) => (c.street ?? '') === values.street && (c.city ?? '') === values.city && (c.zip ?? '') === values.zip && c.country?.id === values.country_id);
  if (same) return same.id;
  const [id] = await create(client, N.partner.model, [{ [F.parent]: partnerId, [F.type]: type, [F.name]: values.name, [F.street]: values.street, [F.street2]: values.street2,
    [F.city]: values.city, [F.zip]: values.zip, [F.country]: values.country_id, [F.phone]: values.phone }]);
  return id;
}

/** The company-level contact (no parent) with this email, oldest first. */
export async function findPartnerByEmail(client: OdooCalls, email: string): Promise<number | null> {
  const N = odooNames(client.version);
  const F = N.partner.fields;
  const [found] = await searchRead(client, N.partner.model, [[F.email, '=ilike', email], [F.parent, '=', false]], {}, { limit: 1, order: `${F.id} asc` });
  return found?.id ?? null;
}

export async function upsertCustomer(client: OdooCalls, setup: Setup, c: Customer): Promise<{ id: string; created: boolean }> {
  const N = odooNames(client.version);
  const F = N.partner.fields;
  let id = await findPartnerByEmail(client, c.email);
  const created = id === null;
  if (id === null) [id] = await create(client, N.partner.model, [{ [F.name]: partnerName(c), [F.email]: c.email, [F.phone]: c.phone || false, [F.isCompany]: false }]);
  for (const a of c.addresses) await ensureAddress(client, setup, id, a, 'delivery');
  return { id: String(id), created };
}

// ---- the sale of a web order -----------------------------------------------------------------

/** The service product carrying shipping charges (the delivery line), found by its reference or made once. */
export const SHIPPING_SKU = 'DOVETAIL-SHIPPING';

function shippingProduct(client: OdooCalls, setup: Setup): Promise<number> {
  return once(setup, 'shipping-product', async () => {
    const N = odooNames(client.version);
    const [found] = await searchRead(client, N.product.model, [[N.product.fields.sku, '=', SHIPPING_SKU]], {}, { limit: 1, context: { active_test: false } });
    if (found) return found.id;
    const T = N.template.fields;
    const [template] = await create(client, N.template.model, [{ [T.name]: 'Shipping (web orders)', [T.kind]: N.templateKinds.service, [T.sku]: SHIPPING_SKU, [T.listPrice]: 0, [T.saleOk]: true }]);
    const [variant] = await read(client, N.template.model, [template], { variants: [T.variants, z.array(z.number())] });
    return variant.variants[0]!;
  });
}

/**
 * The sale tax of this rate: a percentage tax for sales, not included in the price (the store's
 * line amounts are net). Dovetail does not make taxes in Odoo: they carry accounts and fiscal
 * rules only the accountant can set, so a missing one is a config error saying which.
 */
export function saleTax(client: OdooCalls, setup: Setup, ratePercent: number): Promise<number> {
  return once(setup, `tax:${ratePercent}`, async () => {
    const N = odooNames(client.version);
    const X = N.tax.fields;
    const taxes = await searchRead(client, N.tax.model, [[X.amountType, '=', 'percent'], [X.use, '=', 'sale'], [X.amount, '=', ratePercent]],
      { priceInclude: [X.priceInclude, z.boolean()] }, { order: `${X.id} asc` });
    const tax = taxes.find((t) => !t.priceInclude);
    if (!tax) throw new DovetailError('config', `Odoo has no sale tax of ${ratePercent}% excluded from the price: create one (Invoicing › Configuration › Taxes) so web orders can carry it`, { detail: { ratePercent } });
    return tax.id;
  });
}

/** The salesperson's user, by login or name (rules.salespeople names people as the store knows them). */
function salespersonUser(client: OdooCalls, setup: Setup, who: string): Promise<number> {
  return once(setup, `user:${who}`, async () => {
    const N = odooNames(client.version);
    const U = N.user.fields;
    const [user] = await searchRead(client, N.user.model, ['|', [U.login, '=', who], [U.name, '=', who]], {}, { limit: 1, order: `${U.id} asc` });
    if (!user) throw new DovetailError('config', `rules.salespeople names ${who}, but Odoo has no user with that login or name`, { detail: { salesperson: who } });
    return user.id;
  });
}

/** The web order's sale (client_order_ref = order code), not cancelled, oldest first. */
export async function findSale(client: OdooCalls, setup: Setup, orderCode: string): Promise<{ id: number; state: string; totalMinor: number } | null> {
  const N = odooNames(client.version);
  const S = N.sale.fields;
  const [sale] = await searchRead(client, N.sale.model, [[S.reference, '=', orderCode], [S.state, '!=', 'cancel']],
    { state: [S.state, z.string()], total: [S.total, z.number()] }, { limit: 1, order: `${S.id} asc` });
  return sale ? { id: sale.id, state: sale.state, totalMinor: toMinor(sale.total, setup.currency.decimals) } : null;
}

export async function importOrder(client: OdooCalls, setup: Setup, order: Order, opts: { customerId: string; salesperson?: string }): Promise<{ id: string; created: boolean; totalMinor: number }> {
  const N = odooNames(client.version);
  const S = N.sale.fields, L = N.saleLine.fields;
  if (order.currency !== setup.currency.code) {
    throw permanent(`order ${order.code} is in ${order.currency} but the Odoo company keeps its books in ${setup.currency.code}`, { order: order.code });
  }
  let sale = await findSale(client, setup, order.code);
  const created = !sale;
  if (!sale) {
    const products = await searchRead(client, N.product.model, [[N.product.fields.sku, 'in', [...new Set(order.lines.map((l) => l.sku))]]], { sku: [N.product.fields.sku, Text] });
    const productOf = new Map(products.flatMap((p) => (p.sku ? [[p.sku, p.id] as const] : [])));
    const unknown = [...new Set(order.lines.map((l) => l.sku))].filter((sku) => !productOf.has(sku));
    if (unknown.length) {
      throw permanent(`order ${order.code} has ${unknown.length > 1 ? 'SKUs' : 'SKU'} ${unknown.join(', ')}, which Odoo does not know: create the product there (or fix the SKU in the store), then retry`, { order: order.code, skus: unknown });
    }
    const partner = Number(opts.customerId);
    const shipTo = order.shippingAddress ?? order.billingAddress;
    if (!shipTo) throw permanent(`order ${order.code} has no address to ship to`, { order: order.code });
    const shippingAddress = await ensureAddress(client, setup, partner, shipTo, 'delivery');
    const invoiceAddress = await ensureAddress(client, setup, partner, order.billingAddress ?? shipTo, 'invoice');
    const taxes = async (rate: number) => (rate ? [[6, 0, [await saleTax(client, setup, rate)]]] : [[6, 0, []]]);
    const lines: unknown[] = [];
    for (const l of order.lines) {
      for (const part of exactLines(l.lineNetMinor, l.quantity)) {
        lines.push(createCommand({ [L.product]: productOf.get(l.sku), [L.name]: l.name, [L.quantity]: part.quantity,
          [L.priceUnit]: fromMinor(part.unitMinor, setup.currency.decimals), [L.taxes]: await taxes(l.taxRatePercent) }));
      }
    }
    for (const s of order.shipping) {
      if (!s.netMinor && !s.taxMinor) continue;
      lines.push(createCommand({ [L.product]: await shippingProduct(client, setup), [L.name]: `Shipping: ${s.name}`, [L.quantity]: 1,
        [L.priceUnit]: fromMinor(s.netMinor, setup.currency.decimals), [L.taxes]: await taxes(s.taxRatePercent), [L.isDelivery]: true }));
    }
    const discounts = order.discounts.map((d) => `${d.description} ${minorToDecimal(d.amountMinor)}`).join('; ');
    const [id] = await create(client, N.sale.model, [{
      [S.partner]: partner, [S.invoiceAddress]: invoiceAddress, [S.shippingAddress]: shippingAddress, [S.reference]: order.code,
      [S.warehouse]: setup.warehouseIds[0], [S.lines]: lines,
      ...(opts.salesperson ? { [S.salesperson]: await salespersonUser(client, setup, opts.salesperson) } : {}),
    }]);
    if (discounts) await postNote(client, id!, `Store discounts (already in the line prices): ${discounts}`);
    sale = { id, state: 'draft', ...await saleTotal(client, setup, id) };
  }
  if (sale.state === 'draft' || sale.state === 'sent') {
    // Odoo rounds tax per line (or globally, per company setting) and the store its own way: a
    // sale that does not add up to what the customer was charged is left for a person to settle.
    if (sale.totalMinor !== order.totalMinor) {
      throw permanent(`order ${order.code}: Odoo's quotation ${sale.id} totals ${minorToDecimal(sale.totalMinor)} but the store charged ${minorToDecimal(order.totalMinor)} ${order.currency}; `
        + 'it is left unconfirmed: check the taxes and their rounding (Invoicing › Settings › Rounding Method: per line)', { order: order.code, conflict: true, odooMinor: sale.totalMinor, storeMinor: order.totalMinor });
    }
    await action(client, N.sale.model, N.sale.methods.confirm, [sale.id]);
  }
  // confirming does not change a sale's amounts
  return { id: String(sale.id), created, totalMinor: sale.totalMinor };
}

/** Dovetail's words on a sale, as an internal note in its chatter: never on the customer's documents, never emailed. */
export async function postNote(client: OdooCalls, saleId: number, text: string): Promise<void> {
  const N = odooNames(client.version);
  await client.call(N.sale.model, N.sale.methods.postNote, { ids: [saleId], body: text, message_type: 'comment', subtype_xmlid: 'mail.mt_note' });
}

async function saleTotal(client: OdooCalls, setup: Setup, saleId: number): Promise<{ totalMinor: number }> {
  const N = odooNames(client.version);
  const [s] = await read(client, N.sale.model, [saleId], { total: [N.sale.fields.total, z.number()] });
  if (!s) throw permanent(`Odoo sale ${saleId} is gone`);
  return { totalMinor: toMinor(s.total, setup.currency.decimals) };
}

// ---- product fields the inventory does not own ---------------------------------------------------

/** Writes the given field groups on the variants' templates (Odoo keeps names, prices and descriptions there). */
export async function writeProductFields(client: OdooCalls, setup: Setup, rows: { sku: string; fields: Partial<ProductFields> }[]): Promise<void> {
  if (!rows.length) return;
  const N = odooNames(client.version);
  const P = N.product.fields, T = N.template.fields;
  const variants = await searchRead(client, N.product.model, [[P.sku, 'in', rows.map((r) => r.sku)]], { sku: [P.sku, Text], template: [P.template, Ref] }, { context: { active_test: false } });
  const templateOf = new Map(variants.flatMap((v) => (v.sku && v.template ? [[v.sku, v.template.id] as const] : [])));
  for (const { sku, fields } of rows) {
    const template = templateOf.get(sku);
    if (template === undefined) continue;
    const values: Record<string, unknown> = {};
    if (fields.descriptions) values[T.descriptionSale] = fields.descriptions.description;
    if (fields.names) values[T.name] = fields.names.name;
    if (fields.prices) values[T.listPrice] = fromMinor(fields.prices.priceMinor, setup.currency.decimals);
    if (fields.availability) values[T.saleOk] = fields.availability.enabled;
    if (fields.categories?.names.length) values[T.category] = await categoryId(client, setup, fields.categories.names[0]!);
    if (Object.keys(values).length) await write(client, N.template.model, [template], values);
  }
}

/** Odoo gives a product one internal category: the first name, found or made once. */
function categoryId(client: OdooCalls, setup: Setup, name: string): Promise<number> {
  return once(setup, `category:${name}`, async () => {
    const N = odooNames(client.version);
    const [found] = await searchRead(client, N.category.model, [[N.category.fields.name, '=', name]], {}, { limit: 1, order: `${N.category.fields.id} asc` });
    return found?.id ?? (await create(client, N.category.model, [{ [N.category.fields.name]: name }]))[0]!;
  });
}
