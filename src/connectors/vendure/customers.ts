// A customer's details kept in step after the first match (master.customers): found by Vendure's
// own id, so an email changed on either side keeps the link; addresses missing are added.
import { z } from 'zod';
import { permanent } from '../../errors.js';
import { customerDetails, type Customer } from '../../model/customer.js';
import type { VendureClient } from './client.js';
import { CUSTOMER_FIELDS, CustomerNode, toCustomer } from './mappers.js';
import { addressInput } from './offline.js';

export async function findCustomerId(client: VendureClient, email: string): Promise<string | null> {
  const r = await client.admin(`query CustomerId($o: CustomerListOptions) { customers(options: $o) { items { id } } }`,
    { o: { filter: { emailAddress: { eq: email.trim().toLowerCase() } }, sort: { id: 'ASC' }, take: 1 } }, z.object({ customers: z.object({ items: z.array(z.object({ id: z.string() })) }) }));
  return r.customers.items[0]?.id ?? null;
}

async function customerById(client: VendureClient, id: string) {
  const r = await client.admin(`query CustomerById($id: ID!) { customer(id: $id) { ${CUSTOMER_FIELDS} } }`, { id }, z.object({ customer: CustomerNode.nullable() }));
  return r.customer;
}

export async function getCustomerById(client: VendureClient, id: string): Promise<Customer | null> {
  const c = await customerById(client, id);
  return c ? toCustomer(c) : null;
}

const addressKey = (a: Customer['addresses'][number]) => JSON.stringify(customerDetails({ email: 'x@x.x', firstName: '', lastName: '', addresses: [a] }).addresses[0]);

/**
 * One updateCustomer when a field differs, then a create per address missing. Addresses are only
 * added: the customer's own (or ones they stopped using) are theirs to remove.
 */
export async function updateCustomerDetails(client: VendureClient, id: string, wanted: Customer): Promise<void> {
  const node = await customerById(client, id);
  if (!node) throw permanent(`Vendure has no customer ${id} any more`, { customer: id });
  const now = toCustomer(node);
  const fields = { firstName: wanted.firstName, lastName: wanted.lastName || wanted.email, emailAddress: wanted.email.trim().toLowerCase(), phoneNumber: wanted.phone ?? '' };
  if (fields.firstName !== now.firstName || fields.lastName !== now.lastName || fields.emailAddress !== now.email.toLowerCase() || fields.phoneNumber !== (now.phone ?? '')) {
    const r = await client.admin(`mutation UpdateCustomerDetails($i: UpdateCustomerInput!) { updateCustomer(input: $i) { __typename ... on ErrorResult { errorCode message } } }`,
      { i: { id, ...fields } }, z.object({ updateCustomer: z.object({ __typename: z.string(), errorCode: z.string().optional(), message: z.string().optional() }) }));
    if (r.updateCustomer.__typename !== 'Customer') {
      throw permanent(`Vendure refused the details of customer ${id}: ${r.updateCustomer.errorCode ?? r.updateCustomer.__typename} ${r.updateCustomer.message ?? ''}`.trim(), { customer: id });
    }
  }
  const have = (node.addresses ?? []).map((a) => toCustomer({ ...node, addresses: [a] }).addresses[0]);
  const haveKeys = new Set(have.filter((h) => h !== undefined).map(addressKey));
  for (const a of wanted.addresses) {
    if (haveKeys.has(addressKey(a))) continue;
    haveKeys.add(addressKey(a));
    await client.admin(`mutation AddAddress($id: ID!, $i: CreateAddressInput!) { createCustomerAddress(customerId: $id, input: $i) { id } }`,
      { id, i: addressInput(a) }, z.object({ createCustomerAddress: z.object({ id: z.string() }) }));
  }
}
