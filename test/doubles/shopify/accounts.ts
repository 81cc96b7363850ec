// The double's customers: found by email, created (no account until invited), invited by
// Shopify's account invitation, addresses added; and the customer reads of the order flows.
import type { Handler } from './server.js';
import { listingPage } from './listing.js';
import type { Address, Customer, ShopState } from './state.js';
import { addressNode } from './orders.js';

function customerNode(c: Customer) {
  return {
    id: c.id, firstName: c.firstName, lastName: c.lastName, updatedAt: c.updatedAt, state: c.state,
    defaultEmailAddress: c.email === null ? null : { emailAddress: c.email }, defaultPhoneNumber: c.phone ? { phoneNumber: c.phone } : null,
    addressesV2: { nodes: c.addresses.map(addressNode) },
  };
}
const byEmail = (shop: ShopState, email: unknown) => shop.customerByEmail(String(email));

export const ACCOUNTS: Record<string, Handler> = {
  CustomerAccount: (v, shop) => { const c = byEmail(shop, v.email); return { customerByIdentifier: c ? customerNode(c) : null }; },
  CustomerByEmail: (v, shop) => { const c = byEmail(shop, v.email); return { customerByIdentifier: c ? customerNode(c) : null }; },
  CustomerAddresses: (v, shop) => { const c = shop.customers.get(String(v.id)); return { customer: c ? customerNode(c) : null }; },
  CustomersUpdatedSince: (args, shop) => ({ customers: listingPage([...shop.customers.values()].map(customerNode), args, (c) => ({ updatedAt: c.updatedAt, id: c.id })) }),
  CustomerEmailPage: (_v, shop) => ({ customers: { nodes: [...shop.customers.values()].map(customerNode), pageInfo: { hasNextPage: false, endCursor: null } } }),

  CustomerCreate: (v, shop) => {
    const input = v.input as { email?: string; firstName?: string; lastName?: string; phone?: string };
    if (!input.email) return { customerCreate: { customer: null, userErrors: [{ field: ['email'], message: 'Email can\'t be blank' }] } };
    if (byEmail(shop, input.email)) return { customerCreate: { customer: null, userErrors: [{ field: ['email'], message: 'Email has already been taken' }] } };
    const c = shop.addCustomer({ email: input.email, firstName: input.firstName, lastName: input.lastName });
    c.phone = input.phone ?? null;
    return { customerCreate: { customer: { id: c.id, state: c.state }, userErrors: [] } };
  },
  CustomerInvite: (v, shop) => {
    const c = shop.customers.get(String(v.customerId));
    if (!c) return { customerSendAccountInviteEmail: { customer: null, userErrors: [{ code: 'INVALID', field: ['customerId'], message: 'Customer does not exist' }] } };
    if (c.state === 'ENABLED') return { customerSendAccountInviteEmail: { customer: null, userErrors: [{ code: 'INVALID', field: ['customerId'], message: 'Account is already enabled' }] } };
    c.state = 'INVITED';
    c.invitationsSent++;
    c.updatedAt = shop.now();
    return { customerSendAccountInviteEmail: { customer: { id: c.id, state: c.state }, userErrors: [] } };
  },
  CustomerAddressCreate: (v, shop) => {
    const c = shop.customers.get(String(v.customerId));
    if (!c) return { customerAddressCreate: { address: null, userErrors: [{ field: ['customerId'], message: 'Customer does not exist' }] } };
    const a = v.address as Address;
    if (v.setAsDefault) c.addresses.unshift({ ...a }); else c.addresses.push({ ...a });
    c.updatedAt = shop.now();
    return { customerAddressCreate: { address: { id: shop.nextId('MailingAddress') }, userErrors: [] } };
  },
};
