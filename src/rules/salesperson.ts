// Which salesperson a web order gets (rules.salespeople): ordered rules, first match wins, then
// the default. The Tryton connector sets the result as the sale's agent.
import { decimalToMinor } from '../model/money.js';
import type { SalespeopleConfig } from '../config/schema.js';
import type { Order } from '../model/order.js';

export interface OrderForSalesperson {
  channel: string;
  /** ISO 3166-1 alpha-2 of the shipping (else billing) address; '' when unknown */
  countryCode: string;
  /** province / state / region of that address */
  region?: string;
  customerGroups?: string[];
  /** order total in integer minor units (2-decimal currencies) */
  totalMinor: number;
  skus: string[];
}

/** What the rules read of a canonical web order: the shipping (else billing) address's place, the customer's groups, the total, the SKUs. */
export function salespersonOrderOf(order: Order): OrderForSalesperson {
  const address = order.shippingAddress ?? order.billingAddress;
  return {
    channel: order.channel, countryCode: address?.countryCode ?? '', region: address?.province,
    customerGroups: order.customer.groups ?? [], totalMinor: order.totalMinor, skus: [...new Set(order.lines.map((l) => l.sku))],
  };
}

export interface SalespersonAssignment {
  salesperson: string | null;
  /** index in rules.salespeople.rules of the rule that matched; null when the default applied */
  matchedRule: number | null;
  why: string;
}

const same = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/**
 * Every condition a rule's `when` names must hold (a `when` with none matches every order).
 * Text is compared ignoring case and surrounding spaces; SKUs exactly. minTotal and maxTotal are
 * inclusive, in major units, compared with the order total in minor units (no floating point).
 */
export function assignSalesperson(settings: SalespeopleConfig, order: OrderForSalesperson): SalespersonAssignment {
  if (!Number.isInteger(order.totalMinor)) throw new RangeError(`assignSalesperson: totalMinor must be an integer, got ${order.totalMinor}`);
  for (const [index, rule] of settings.rules.entries()) {
    const w = rule.when;
    const reasons: string[] = [];
    const holds = (ok: boolean, reason: string) => { if (ok) reasons.push(reason); return ok; };
    const matches =
      (w.channel === undefined || holds(same(w.channel, order.channel), `channel ${w.channel}`)) &&
      (w.country === undefined || holds(same(w.country, order.countryCode), `country ${w.country}`)) &&
      (w.region === undefined || holds(order.region !== undefined && same(w.region, order.region), `region ${w.region}`)) &&
      (w.customerGroup === undefined || holds((order.customerGroups ?? []).some((g) => same(g, w.customerGroup!)), `customer group ${w.customerGroup}`)) &&
      (w.minTotal === undefined || holds(order.totalMinor >= decimalToMinor(w.minTotal), `total at least ${w.minTotal}`)) &&
      (w.maxTotal === undefined || holds(order.totalMinor <= decimalToMinor(w.maxTotal), `total at most ${w.maxTotal}`)) &&
      (w.sku === undefined || holds(order.skus.includes(w.sku), `contains SKU ${w.sku}`));
    if (matches) {
      const conditions = reasons.length ? reasons.join(', ') : 'no conditions (matches every order)';
      return { salesperson: rule.assign, matchedRule: index, why: `rule ${index + 1} of rules.salespeople matched: ${conditions}` };
    }
  }
  const none = settings.rules.length === 0 ? 'there are no salesperson rules' : 'no salesperson rule matched';
  return settings.default === null
    ? { salesperson: null, matchedRule: null, why: `${none} and there is no default salesperson` }
    : { salesperson: settings.default, matchedRule: null, why: `${none}: the default salesperson applies` };
}
