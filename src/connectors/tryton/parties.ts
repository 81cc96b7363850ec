// A customer's details kept in step after the first match (master.customers): the party's name,
// first email and phone (contact mechanisms) and its addresses, read and made equal by party id.
import { z } from 'zod';
import { permanent } from '../../errors.js';
import { fullName, type Address, type Customer } from '../../model/customer.js';
import { addresses, partyDetails, splitName } from './offline.js';
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

export async function getParty(client: TrytonClient, partyId: string): Promise<Customer | null> {
  const id = partyIdOf(partyId);
  if (!(await client.search('party.party', [['id', '=', id]], { limit: 1 })).length) return null;
  const { party, email, phone } = await partyDetails(client, id);
  const all = await addresses(client, party.addresses, party.name);
  return { email, ...splitName(party.name), phone, addresses: party.addresses.map((a) => all.get(a)).filter((a): a is Address => !!a) };
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
