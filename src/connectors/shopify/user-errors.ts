// The shape of the userErrors every Shopify mutation answers, coded or not, parsed once here.
import { z } from 'zod';

export const UserErrors = z.array(z.object({ code: z.string().nullable().optional(), field: z.array(z.string()).nullable(), message: z.string() }));
