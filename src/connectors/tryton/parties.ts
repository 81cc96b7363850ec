// A customer's details kept in step after the first match (master.customers): the party's name,
// first email and phone (contact mechanisms) and its addresses, read and made equal by party id.
import { z } from 'zod';
import { permanent } from '../../errors.js';
import { fullName, type Address, type Customer } from '../../model/customer.js';
import { addressOf, partyDetails, splitName } from './offline.js';
import { ensureAddresses, findPartyByEmail, type Company } from './writes.js';
import type { TrytonClient } from './client.js';

export async function findParty(client: TrytonClient, email: string): Promise<string | null> {
  const id = await findPartyByEmail(client, email.trim());
  return id === null ? null : String(id);
}

const partyIdOf = (partyId: string) => {
  if (!/^\d+$/.test(partyId)) throw permanent(`not a Tryton party id: ${partyId}`);
  return Number(partyId);
};

/**
 * The party with its addresses and contact mechanisms in one call: Tryton reads dotted names
 * through relations ("addresses.country.code"), active records only, as a search would. This is
 * what recognising the echo of Dovetail's own customer writes costs, once per party change.
 */
const PartyRead = z.object({
  name: z.string(),
  'addresses.': z.array(z.object({ id: z.number(), party_name: z.string().nullable().optional(), street: z.string().nullable(), city: z.string().nullable(),
    postal_code: z.string().nullable(), 'country.': z.object({ code: z.string().nullable() }).nullable() })),
  'contact_mechanisms.': z.array(z.object({ id: z.number(), type: z.string(), value: z.string() })),
});

export async function getParty(client: TrytonClient, partyId: string): Promise<Customer | null> {
  const id = partyIdOf(partyId);
  const [party] = z.array(PartyRead).parse(await client.searchRead('party.party', [['id', '=', id]], ['name', 'addresses.party_name', 'addresses.street',
    'addresses.city', 'addresses.postal_code', 'addresses.country.code', 'contact_mechanisms.type', 'contact_mechanisms.value'], { limit: 1 }));
  if (!party) return null;
  // the first of each kind by id, as partyDetails reads them
  const mechanisms = party['contact_mechanisms.'].filter((m) => ['email', 'phone', 'mobile'].includes(m.type)).sort((a, b) => a.id - b.id);
  const addresses = party['addresses.'].map((a) => addressOf(a, a['country.']?.code ?? '', party.name)).filter((a): a is Address => !!a);
  return { email: (mechanisms.find((m) => m.type === 'email')?.value ?? '').trim().toLowerCase(), ...splitName(party.name),
    phone: mechanisms.find((m) => m.type !== 'email')?.value, addresses };
}

const Mechanism = z.object({ id: z.number(), type: z.string(), value: z.string() });

/**
 * Writes only what differs: the name, the first email and phone mechanisms (made when missing, a
 * phone archived when cleared) and the addresses missing. Addresses are only added: the party's
 * others (a web order's shipping address, ones sales still point at) are left as they are.
 */
export async function updateParty(client: TrytonClient, company: Company, partyId: string, wanted: Customer): Promise<void> {
  const id = partyIdOf(partyId);
  const { party } = await partyDetails(client, id);
  const name = fullName(wanted) || wanted.email;
  if (party.name !== name) await client.write('party.party', [id], { name });
  const mechanisms = z.array(Mechanism).parse(await client.searchRead('party.contact_mechanism',
    [['party', '=', id], ['type', 'in', ['email', 'phone', 'mobile']]], ['type', 'value'], { order: [['id', 'ASC']] }));
  const email = mechanisms.find((m) => m.type === 'email');
  const wantedEmail = wanted.email.trim().toLowerCase();
  if (!email) await client.create('party.contact_mechanism', [{ party: id, type: 'email', value: wantedEmail }]);
  else if (email.value.trim().toLowerCase() !== wantedEmail) await client.write('party.contact_mechanism', [email.id], { value: wantedEmail });
  const phone = mechanisms.find((m) => m.type !== 'email');
  const wantedPhone = wanted.phone?.trim() || null;
  if (!phone && wantedPhone) await client.create('party.contact_mechanism', [{ party: id, type: 'phone', value: wantedPhone }]);
  else if (phone && !wantedPhone) await client.write('party.contact_mechanism', [phone.id], { active: false });
  else if (phone && wantedPhone && phone.value !== wantedPhone) await client.write('party.contact_mechanism', [phone.id], { value: wantedPhone });

  await ensureAddresses(client, id, wanted.addresses, company);
}
