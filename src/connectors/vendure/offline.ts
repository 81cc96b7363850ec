// Orders and customers that start in the inventory system, written to Vendure. An offline sale
// becomes an Admin API draft order carrying the sale's ref (a custom field of Dovetail's
// DovetailOfflineOrdersPlugin), placed with a manual payment of method "offline": nothing is
// charged through the store, and Vendure allocates its stock like any placed order.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { DovetailError, permanent } from '../../errors.js';
import { fullName, type Address, type Customer } from '../../model/customer.js';
import type { OfflineSale } from '../../model/offline-order.js';
import type { OrderStatus } from '../../model/order.js';
import type { VendureClient } from './client.js';
import { toOrderStatus } from './mappers.js';

/** the shipping method only offline orders may use: no charge, the inventory system ships them */
export const OFFLINE_SHIPPING_CODE = 'dovetail-offline';
/** the payment method recorded on offline orders: money is handled by the inventory system's invoice */
export const OFFLINE_PAYMENT_METHOD = 'offline';

const ErrorResult = z.object({ __typename: z.string(), errorCode: z.string().optional(), message: z.string().optional() });
const fail = (what: string, r: z.infer<typeof ErrorResult>) =>
  permanent(`Vendure ${what} refused: ${r.errorCode ?? r.__typename} ${r.message ?? ''}`.trim());

// ---- customers ------------------------------------------------------------------------------

const CustomerRow = z.object({ id: z.string(), user: z.object({ id: z.string(), verified: z.boolean() }).nullable() });

async function customerByEmail(client: VendureClient, email: string) {
  const r = await client.admin(`query CustomerAccount($o: CustomerListOptions) { customers(options: $o) { items { id user { id verified } } } }`,
    { o: { filter: { emailAddress: { eq: email.trim().toLowerCase() } }, take: 1 } }, z.object({ customers: z.object({ items: z.array(CustomerRow) }) }));
  return r.customers.items[0] ?? null;
}

export async function findCustomerAccount(client: VendureClient, email: string) {
  const c = await customerByEmail(client, email);
  return c ? { id: c.id, hasAccount: c.user !== null } : null;
}

/**
 * `invite: false`: the account gets a long random password nobody is told, so Vendure verifies it
 * at once and sends no verification email (the customer can still use "forgot password").
 * `invite: true`: no password; the account waits for the customer to set one (inviteCustomer).
 */
export async function createCustomerAccount(client: VendureClient, c: Customer, opts: { invite: boolean }) {
  const found = await customerByEmail(client, c.email);
  if (found) return { id: found.id, created: false };
  const r = await client.admin(`mutation CreateCustomerAccount($i: CreateCustomerInput!, $p: String) { createCustomer(input: $i, password: $p) {
      __typename ... on Customer { id } ... on ErrorResult { errorCode message } } }`,
  { i: { emailAddress: c.email.trim().toLowerCase(), firstName: c.firstName, lastName: c.lastName || c.email, phoneNumber: c.phone ?? null },
    p: opts.invite ? null : randomBytes(24).toString('base64url') },
  z.object({ createCustomer: ErrorResult.extend({ id: z.string().optional() }) }));
  if (r.createCustomer.id) return { id: r.createCustomer.id, created: true };
  // made meanwhile by someone else (or a guest checkout): the one that exists is the customer
  const again = await customerByEmail(client, c.email);
  if (again) return { id: again.id, created: false };
  throw fail('createCustomer', r.createCustomer);
}

/**
 * The store's own invitation. A store that requires verification sent it already when the
 * account was made (AccountRegistrationEvent with a verification token: the customer verifies
 * and sets a password in one step); one that does not has no token, so the store is asked for
 * its "set a password" email instead (Shop API requestPasswordReset -> PasswordResetEvent).
 */
export async function inviteCustomer(client: VendureClient, email: string): Promise<{ how: string }> {
  const c = await customerByEmail(client, email);
  if (!c?.user) throw permanent(`Vendure has no customer account for ${email} to invite`);
  if (!c.user.verified) return { how: 'verification email (AccountRegistrationEvent)' };
  const r = await client.shop(`mutation RequestPasswordReset($e: String!) { requestPasswordReset(emailAddress: $e) { __typename ... on ErrorResult { errorCode message } } }`,
    { e: email.trim().toLowerCase() }, z.object({ requestPasswordReset: ErrorResult.nullable() }));
  if (r.requestPasswordReset && r.requestPasswordReset.__typename !== 'Success') throw fail('requestPasswordReset', r.requestPasswordReset);
  return { how: 'set-password email (PasswordResetEvent)' };
}

const sameAddress = (a: { streetLine1: string; postalCode: string | null; country: { code: string } }, b: Address) =>
  a.streetLine1.trim().toLowerCase() === b.street1.trim().toLowerCase() && (a.postalCode ?? '') === b.postalCode && a.country.code.toUpperCase() === b.countryCode;

// Vendure's address columns are NOT NULL with '' defaults: absent parts are left out, not sent as null.
export const addressInput = (a: Address) => ({ fullName: a.fullName, company: a.company, streetLine1: a.street1, streetLine2: a.street2, city: a.city,
  province: a.province, postalCode: a.postalCode, countryCode: a.countryCode, phoneNumber: a.phone });

export async function addCustomerAddresses(client: VendureClient, customerId: string, addresses: Address[]): Promise<number> {
  const r = await client.admin(`query CustomerAddresses($id: ID!) { customer(id: $id) { addresses { streetLine1 postalCode country { code } } } }`, { id: customerId },
    z.object({ customer: z.object({ addresses: z.array(z.object({ streetLine1: z.string(), postalCode: z.string().nullable(), country: z.object({ code: z.string() }) })).nullable() }).nullable() }));
  const have = r.customer?.addresses ?? [];
  let added = 0;
  for (const a of addresses) {
    if (have.some((h) => sameAddress(h, a))) continue;
    const first = have.length === 0 && added === 0;
    await client.admin(`mutation AddCustomerAddress($id: ID!, $i: CreateAddressInput!) { createCustomerAddress(customerId: $id, input: $i) { id } }`,
      { id: customerId, i: { ...addressInput(a), defaultShippingAddress: first, defaultBillingAddress: first } }, z.object({ createCustomerAddress: z.object({ id: z.string() }) }));
    added++;
  }
  return added;
}

// ---- offline orders -------------------------------------------------------------------------

/** The store order made for an offline sale, found by its ref; its state in Dovetail's words (cart until placed). */
export async function findOfflineOrder(client: VendureClient, ref: string): Promise<{ code: string; state: OrderStatus } | null> {
  const r = await client.admin(`query OfflineOrder($o: OrderListOptions) { orders(options: $o) { items { code state active orderPlacedAt } } }`,
    { o: { filter: { dovetailOfflineRef: { eq: ref } }, sort: { id: 'ASC' }, take: 1 } },
    z.object({ orders: z.object({ items: z.array(z.object({ code: z.string(), state: z.string(), active: z.boolean(), orderPlacedAt: z.string().nullable() })) }) }));
  const o = r.orders.items[0];
  return o ? { code: o.code, state: toOrderStatus(o) } : null;
}

export async function startOfflineOrder(client: VendureClient, sale: OfflineSale, opts: { ref: string }) {
  const { createDraftOrder } = await client.admin(`mutation StartOfflineOrder { createDraftOrder { id code } }`, {},
    z.object({ createDraftOrder: z.object({ id: z.string(), code: z.string() }) }));
  // The ref goes on at once: it is how a retry finds this order instead of making another.
  await client.admin(`mutation MarkOfflineOrder($id: ID!, $i: UpdateOrderInput!) { setDraftOrderCustomFields(orderId: $id, input: $i) { id } }`,
    { id: createDraftOrder.id, i: { id: createDraftOrder.id, customFields: { dovetailOfflineRef: opts.ref, placedOfflineAs: sale.number } } },
    z.object({ setDraftOrderCustomFields: z.object({ id: z.string() }) }));
  return { code: createDraftOrder.code };
}

const DraftNode = z.object({
  id: z.string(), code: z.string(), state: z.string(), totalWithTax: z.number().int(),
  customer: z.object({ id: z.string() }).nullable(),
  shippingAddress: z.object({ streetLine1: z.string().nullable() }).partial().nullable(),
  billingAddress: z.object({ streetLine1: z.string().nullable() }).partial().nullable(),
  lines: z.array(z.object({ id: z.string() })), shippingLines: z.array(z.object({ id: z.string() })),
  payments: z.array(z.object({ id: z.string(), method: z.string(), state: z.string() })).nullable(),
});
type DraftNode = z.infer<typeof DraftNode>;
const DRAFT_FIELDS = 'id code state totalWithTax customer { id } shippingAddress { streetLine1 } billingAddress { streetLine1 } lines { id } shippingLines { id } payments { id method state }';

async function orderByCode(client: VendureClient, code: string): Promise<DraftNode> {
  const r = await client.admin(`query OfflineOrderByCode($o: OrderListOptions) { orders(options: $o) { items { ${DRAFT_FIELDS} } } }`,
    { o: { filter: { code: { eq: code } }, take: 1 } }, z.object({ orders: z.object({ items: z.array(DraftNode) }) }));
  const o = r.orders.items[0];
  if (!o) throw new DovetailError('transient', `Vendure order ${code} is not there (yet)`);
  return o;
}

const ORDER_OR_ERROR = `__typename ... on Order { id } ... on ErrorResult { errorCode message }`;
const OrderOrError = ErrorResult.extend({ id: z.string().optional() });
const must = (what: string, r: z.infer<typeof OrderOrError>) => { if (r.__typename !== 'Order') throw fail(what, r); };

async function offlineShippingMethodId(client: VendureClient): Promise<string> {
  const r = await client.admin(`query OfflineShipping($o: ShippingMethodListOptions) { shippingMethods(options: $o) { items { id } } }`,
    { o: { filter: { code: { eq: OFFLINE_SHIPPING_CODE } }, take: 1 } }, z.object({ shippingMethods: z.object({ items: z.array(z.object({ id: z.string() })) }) }));
  if (r.shippingMethods.items[0]) return r.shippingMethods.items[0].id;
  const c = await client.admin(`mutation CreateOfflineShipping($i: CreateShippingMethodInput!) { createShippingMethod(input: $i) { id } }`, { i: {
    code: OFFLINE_SHIPPING_CODE, fulfillmentHandler: 'manual-fulfillment',
    checker: { code: 'dovetail-offline-order', arguments: [] },
    calculator: { code: 'default-shipping-calculator', arguments: [{ name: 'rate', value: '0' }, { name: 'includesTax', value: 'exclude' }, { name: 'taxRate', value: '0' }] },
    translations: [{ languageCode: 'en', name: 'As arranged (order placed offline)', description: 'Shipped by the warehouse as agreed when the order was taken' }],
  } }, z.object({ createShippingMethod: z.object({ id: z.string() }) }));
  return c.createShippingMethod.id;
}

export async function placeOfflineOrder(client: VendureClient, code: string, sale: OfflineSale, opts: { customerId: string | null }) {
  let o = await orderByCode(client, code);
  if (o.state === 'Draft') {
    if (!o.customer) {
      if (!opts.customerId && !sale.customer.email) throw permanent(`sale ${sale.number} has a customer without an email: the store cannot file the order under anyone`);
      const r = await client.admin(`mutation OfflineOrderCustomer($id: ID!, $c: ID, $i: CreateCustomerInput) { setCustomerForDraftOrder(orderId: $id, customerId: $c, input: $i) { ${ORDER_OR_ERROR} } }`,
        { id: o.id, c: opts.customerId, i: opts.customerId ? null : { emailAddress: sale.customer.email, firstName: sale.customer.firstName, lastName: sale.customer.lastName || fullName(sale.customer) || sale.customer.email } },
        z.object({ setCustomerForDraftOrder: OrderOrError }));
      must('setCustomerForDraftOrder', r.setCustomerForDraftOrder);
    }
    const shipTo = sale.shippingAddress ?? sale.billingAddress ?? sale.customer.addresses[0] ?? null;
    if (shipTo && !o.shippingAddress?.streetLine1) {
      await client.admin(`mutation OfflineShipTo($id: ID!, $i: CreateAddressInput!) { setDraftOrderShippingAddress(orderId: $id, input: $i) { id } }`,
        { id: o.id, i: addressInput(shipTo) }, z.object({ setDraftOrderShippingAddress: z.object({ id: z.string() }) }));
    }
    const billTo = sale.billingAddress ?? shipTo;
    if (billTo && !o.billingAddress?.streetLine1) {
      await client.admin(`mutation OfflineBillTo($id: ID!, $i: CreateAddressInput!) { setDraftOrderBillingAddress(orderId: $id, input: $i) { id } }`,
        { id: o.id, i: addressInput(billTo) }, z.object({ setDraftOrderBillingAddress: z.object({ id: z.string() }) }));
    }
    if (!o.lines.length) {
      if (!sale.lines.length) throw permanent(`sale ${sale.number} has no store products to show`);
      const v = await client.admin(`query OfflineVariants($o: ProductVariantListOptions) { productVariants(options: $o) { items { id sku } } }`,
        { o: { filter: { sku: { in: sale.lines.map((l) => l.sku) } }, take: sale.lines.length } },
        z.object({ productVariants: z.object({ items: z.array(z.object({ id: z.string(), sku: z.string() })) }) }));
      const ids = new Map(v.productVariants.items.map((x) => [x.sku, x.id]));
      const unknown = sale.lines.filter((l) => !ids.has(l.sku)).map((l) => l.sku);
      if (unknown.length) throw permanent(`sale ${sale.number} has ${unknown.join(', ')}, which the store does not sell: create it there, then retry`, { skus: unknown });
      for (const l of sale.lines) {
        const r = await client.admin(`mutation OfflineLine($id: ID!, $i: AddItemToDraftOrderInput!) { addItemToDraftOrder(orderId: $id, input: $i) { ${ORDER_OR_ERROR} } }`,
          { id: o.id, i: { productVariantId: ids.get(l.sku), quantity: l.quantity } }, z.object({ addItemToDraftOrder: OrderOrError }));
        must(`addItemToDraftOrder(${l.sku})`, r.addItemToDraftOrder);
      }
    }
    if (!o.shippingLines.length) {
      const methodId = await offlineShippingMethodId(client);
      const r = await client.admin(`mutation OfflineShipping($id: ID!, $m: ID!) { setDraftOrderShippingMethod(orderId: $id, shippingMethodId: $m) { ${ORDER_OR_ERROR} } }`,
        { id: o.id, m: methodId }, z.object({ setDraftOrderShippingMethod: OrderOrError }));
      must('setDraftOrderShippingMethod', r.setDraftOrderShippingMethod);
    }
    const t = await client.admin(`mutation OfflineToPayment($id: ID!) { transitionOrderToState(id: $id, state: "ArrangingPayment") {
        __typename ... on Order { id } ... on OrderStateTransitionError { errorCode message transitionError } } }`,
    { id: o.id }, z.object({ transitionOrderToState: ErrorResult.extend({ transitionError: z.string().optional() }).nullable() }));
    if (t.transitionOrderToState && t.transitionOrderToState.__typename !== 'Order') {
      // most often: the store shows less stock than the sale needs; a stock refresh and a retry settle it
      throw new DovetailError('transient', `Vendure would not move order ${code} to ArrangingPayment: ${t.transitionOrderToState.transitionError ?? t.transitionOrderToState.message ?? ''}`);
    }
    o = await orderByCode(client, code);
  }
  if (o.state === 'ArrangingPayment') {
    const r = await client.admin(`mutation OfflinePayment($i: ManualPaymentInput!) { addManualPaymentToOrder(input: $i) { ${ORDER_OR_ERROR} } }`,
      { i: { orderId: o.id, method: OFFLINE_PAYMENT_METHOD, transactionId: sale.number,
        metadata: { placedOffline: true, sale: sale.number, note: 'Order placed offline; invoiced and paid through the inventory system. Nothing was charged through the store.' } } },
      z.object({ addManualPaymentToOrder: OrderOrError }));
    must('addManualPaymentToOrder', r.addManualPaymentToOrder);
    await client.admin(`mutation OfflineNote($i: AddNoteToOrderInput!) { addNoteToOrder(input: $i) { id } }`,
      { i: { id: o.id, isPublic: true, note: `Placed offline (phone, email or sales staff) as ${sale.number}. Nothing was charged through the store.` } },
      z.object({ addNoteToOrder: z.object({ id: z.string() }) }));
    o = await orderByCode(client, code);
  }
  return { state: o.state, totalMinor: o.totalWithTax };
}
