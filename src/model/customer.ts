// The canonical customer and address; customers are matched across systems by email.
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';

export const Address = z.object({
  fullName: z.string(),
  company: z.string().optional(),
  street1: z.string(),
  street2: z.string().optional(),
  city: z.string(),
  province: z.string().optional(),
  postalCode: z.string(),
  /** ISO 3166-1 alpha-2; an address without one cannot be placed in Tryton */
  countryCode: z.string().length(2),
  phone: z.string().optional(),
});
export type Address = z.infer<typeof Address>;

export const Customer = z.object({
  email: z.string().email(),
  firstName: z.string(),
  lastName: z.string(),
  phone: z.string().optional(),
  addresses: z.array(Address),
  /** the store's customer groups the customer is in (rules.salespeople `customerGroup`); absent where the store has none */
  groups: z.array(z.string()).optional(),
});
export type Customer = z.infer<typeof Customer>;

export const normaliseEmail = (email: string) => email.trim().toLowerCase();

export const fullName = (c: Pick<Customer, 'firstName' | 'lastName'>) => `${c.firstName} ${c.lastName}`.trim();

/**
 * What master.customers carries after the first match: the details both systems keep, compared in
 * one shape. The name is whole (a party has one name; the store splits it), addresses are compared
 * by where they are (street, city, postcode, country), in one order, whatever either system adds.
 */
export interface CustomerDetails {
  email: string;
  name: string;
  phone: string | null;
  addresses: { street1: string; street2: string; city: string; postalCode: string; countryCode: string }[];
}

export function customerDetails(c: Customer): CustomerDetails {
  const addresses = c.addresses.map((a) => ({ street1: a.street1.trim(), street2: (a.street2 ?? '').trim(), city: a.city.trim(), postalCode: a.postalCode.trim(), countryCode: a.countryCode.toUpperCase() }));
  const unique = [...new Map(addresses.map((a) => [JSON.stringify(a), a])).values()].sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
  return { email: normaliseEmail(c.email), name: fullName(c).replace(/\s+/g, ' '), phone: c.phone?.trim() || null, addresses: unique };
}

/**
 * The master's details and what the other system shows of them: addresses the other has beyond
 * the master's (a shipping address a web order added to the party) are its own, not a difference.
 */
export function detailsAsSeen(master: Customer, other: Customer): { master: CustomerDetails; seen: CustomerDetails } {
  const m = customerDetails(master);
  const o = customerDetails(other);
  return { master: m, seen: { ...o, addresses: m.addresses.filter((a) => o.addresses.some((b) => isDeepStrictEqual(a, b))) } };
}
