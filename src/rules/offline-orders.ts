// Which sale entered in the inventory system goes to the store, and when (rules.quotesFrom,
// rules.offlineOrdersToStore). Pure: the offline-order handler gathers the facts and acts on the answer.
import type { Config } from '../config/schema.js';
import type { SaleState } from '../model/offline-order.js';

type Rules = Config['rules'];

/** The sale states that make a sale an order (the customer committed); a quotation is a quote. */
const ORDER_STATES: readonly SaleState[] = ['confirmed', 'processing', 'done'];

/**
 * What a sale in this state is to the store (rules.quotesFrom): a quote held back until the
 * customer accepts it (quotesFrom: inventory; it reserves nothing and goes nowhere yet), an
 * order to consider sending, or nothing (a draft, a cancelled sale, a quote made elsewhere).
 */
export function quotesFrom(setting: Rules['quotesFrom'], state: SaleState): 'holdQuote' | 'order' | 'nothing' {
  if (state === 'quotation') return setting === 'inventory' ? 'holdQuote' : 'nothing';
  return ORDER_STATES.includes(state) ? 'order' : 'nothing';
}

export interface OfflineSaleFacts {
  /** it was a quote Dovetail held (rules.quotesFrom: inventory) and the customer accepted it */
  acceptedQuote: boolean;
  /** the customer's email; '' when the party has none */
  email: string;
  /** the store knows the email as a customer with an account */
  hasStoreAccount: boolean;
  /** everything on the sale has left the warehouse already */
  shipped: boolean;
  /** how many store products it carries */
  lineCount: number;
}

/**
 * Whether an offline sale that is not in the store yet is placed there (rules.offlineOrdersToStore):
 * none keeps them all in the inventory system, customersWithAccount sends only those of customers
 * with a store account, all sends every one. An accepted quote goes whatever the setting. A sale
 * with no email, already shipped or without store products is never sent: the store could not
 * file it, or would hold stock that never leaves.
 */
export function offlineOrdersToStore(setting: Rules['offlineOrdersToStore'], sale: OfflineSaleFacts): { send: true } | { send: false; why: string } {
  const refusal = sale.acceptedQuote ? null
    : setting === 'none' ? 'orders entered in the inventory system stay there'
    : setting === 'customersWithAccount' && !sale.hasStoreAccount ? `${sale.email || 'the customer'} has no store account`
    : null;
  const why = refusal ?? (!sale.email ? 'the customer has no email address, so the store cannot file the order under anyone'
    : sale.shipped ? 'everything on it has shipped already: the store would hold stock for it that never leaves'
    : !sale.lineCount ? 'it has no products the store sells' : null);
  return why ? { send: false, why } : { send: true };
}
