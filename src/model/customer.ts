// The canonical customer and address; customers are matched across systems by email.
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
