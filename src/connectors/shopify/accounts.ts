// Website accounts for customers of the inventory system: found by email, made with
// customerCreate (no email sent), invited by Shopify's own account invitation, addresses added
// only where the customer lacks them.
import { z } from 'zod';
import { permanent } from '../../errors.js';
import type { Address, Customer } from '../../model/customer.js';
import { userErrorFailure } from './client.js';
import { addressToMailing, hasAccount } from './mappers.js';
import { CustomerAccount, CustomerAddressCreate, CustomerAddresses, CustomerCreate, CustomerInvite } from './operations.js';
import type { ShopifyContext } from './reads.js';
import { UserErrors } from './user-errors.js';

const KnownAddress = z.object({ address1: z.string().nullable(), zip: z.string().nullable(), countryCodeV2: z.string().nullable() });

async function byEmail(ctx: ShopifyContext, email: string) {
  const d = await ctx.client.request(CustomerAccount, { email: email.trim().toLowerCase() }, z.object({ customerByIdentifier: z.object({
    id: z.string(), state: z.string(), addressesV2: z.object({ nodes: z.array(KnownAddress) }) }).nullable() }));
  return d.customerByIdentifier;
}

export async function findCustomerAccount(ctx: ShopifyContext, email: string): Promise<{ id: string; hasAccount: boolean } | null> {
  const c = await byEmail(ctx, email);
  return c ? { id: c.id, hasAccount: hasAccount(c.state) } : null;
}

/**
 * Shopify sends nothing when a customer is created through the Admin API. `invite: false`: the
 * customer signs in with the one-time code Shopify's customer accounts email on request.
 * `invite: true`: Shopify's account invitation goes out at once (customerSendAccountInviteEmail),
 * so the account waits for its password from the start, as the contract asks; a crash in between
 * leaves a customer inviteCustomer still invites.
 */
export async function createCustomerAccount(ctx: ShopifyContext, c: Customer, opts: { invite: boolean }): Promise<{ id: string; created: boolean }> {
  const found = await byEmail(ctx, c.email);
  if (found) return { id: found.id, created: false };
  const d = await ctx.client.request(CustomerCreate, { input: { email: c.email.trim().toLowerCase(), firstName: c.firstName, lastName: c.lastName, ...(c.phone ? { phone: c.phone } : {}) } },
    z.object({ customerCreate: z.object({ customer: z.object({ id: z.string(), state: z.string() }).nullable(), userErrors: UserErrors }) }));
  const made = d.customerCreate.customer;
  if (!made) {
    // made meanwhile (a checkout as guest, a person): the one there is the customer
    const again = await byEmail(ctx, c.email);
    if (again) return { id: again.id, created: false };
    throw userErrorFailure('customerCreate', d.customerCreate.userErrors, { email: c.email });
  }
  if (opts.invite) await sendInvitation(ctx, made.id, c.email);
  return { id: made.id, created: true };
}

async function sendInvitation(ctx: ShopifyContext, customerId: string, email: string): Promise<void> {
  const d = await ctx.client.request(CustomerInvite, { customerId }, z.object({ customerSendAccountInviteEmail: z.object({
    customer: z.object({ id: z.string(), state: z.string() }).nullable(), userErrors: UserErrors }) }));
  if (d.customerSendAccountInviteEmail.userErrors.length) throw userErrorFailure('customerSendAccountInviteEmail', d.customerSendAccountInviteEmail.userErrors, { email });
}

/** Shopify's invitation, unless it went out when the account was made or the customer has activated it. */
export async function inviteCustomer(ctx: ShopifyContext, email: string): Promise<{ how: string }> {
  const c = await byEmail(ctx, email);
  if (!c) throw permanent(`Shopify has no customer ${email} to invite`, { email });
  if (c.state === 'ENABLED') return { how: 'none: the customer has already activated their account' };
  if (c.state === 'INVITED') return { how: 'account invitation email (customerSendAccountInviteEmail), sent when the account was made' };
  await sendInvitation(ctx, c.id, email);
  return { how: 'account invitation email (customerSendAccountInviteEmail)' };
}

const sameAddress = (a: z.infer<typeof KnownAddress>, b: Address) =>
  (a.address1 ?? '').trim().toLowerCase() === b.street1.trim().toLowerCase() && (a.zip ?? '') === b.postalCode && (a.countryCodeV2 ?? '').toUpperCase() === b.countryCode;

export async function addCustomerAddresses(ctx: ShopifyContext, customerId: string, addresses: Address[]): Promise<number> {
  const d = await ctx.client.request(CustomerAddresses, { id: customerId }, z.object({ customer: z.object({ id: z.string(), addressesV2: z.object({ nodes: z.array(KnownAddress) }) }).nullable() }));
  if (!d.customer) throw permanent(`Shopify has no customer ${customerId} to add addresses to`, { customerId });
  const have = d.customer.addressesV2.nodes;
  let added = 0;
  for (const a of addresses) {
    if (have.some((h) => sameAddress(h, a))) continue;
    const r = await ctx.client.request(CustomerAddressCreate, { customerId, address: addressToMailing(a), setAsDefault: have.length === 0 && added === 0 },
      z.object({ customerAddressCreate: z.object({ address: z.object({ id: z.string() }).nullable(), userErrors: UserErrors }) }));
    if (r.customerAddressCreate.userErrors.length || !r.customerAddressCreate.address) throw userErrorFailure('customerAddressCreate', r.customerAddressCreate.userErrors, { customerId });
    added++;
  }
  return added;
}
