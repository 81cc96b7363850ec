// `dovetail init`: the checklist's questions in plain words, one screen each with the default
// explained, then a commented dovetail.yaml that `loadConfig` accepts. Secrets are never asked:
// the file names environment variables for them.
import { existsSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseConfig } from '../config/load.js';
import { INVENTORY_SYSTEMS, STORE_SYSTEMS } from '../connectors/registry.js';
import type { SystemDescriptor } from '../connectors/types.js';
import { messageOf } from '../errors.js';

export interface Choice { value: string | boolean; label: string }

export interface Question {
  /** dotted settings key */
  key: string;
  /** the item as the checklist names it */
  topic: string;
  /** the question, in plain words */
  ask: string;
  /** choices, or free text / a whole number */
  choices?: Choice[];
  input?: 'text' | 'number';
  /** what a text answer must look like, and how to ask again when it does not */
  pattern?: RegExp;
  hint?: string;
  default: string | boolean | number;
  /** why the default is what it is */
  because: string;
  /** one-line comment written beside the key in dovetail.yaml */
  comment: string;
}

const STORE: Choice = { value: 'store', label: 'the online store' };
const INVENTORY: Choice = { value: 'inventory', label: 'the inventory system (ERP)' };
const YES_NO: Choice[] = [{ value: true, label: 'yes' }, { value: false, label: 'no' }];

const master = (key: string, topic: string, dflt: 'store' | 'inventory', because: string): Question => ({
  key: `master.${key}`, topic, ask: `Where are ${topic} edited? That system is the master: its values are copied to the other.`,
  choices: [STORE, INVENTORY], default: dflt, because, comment: `${topic}: store or inventory`,
});

const SIDES = { inventory: { systems: INVENTORY_SYSTEMS as readonly SystemDescriptor[], topic: 'inventory system', ask: 'Which inventory system (ERP) do you run?' },
  store: { systems: STORE_SYSTEMS as readonly SystemDescriptor[], topic: 'online store', ask: 'Which online store do you run?' } };
type Side = keyof typeof SIDES;

/** The questions about one system: its own connection keys (address, user…), from its descriptor. */
const connectionQuestions = (side: Side, d: SystemDescriptor): Question[] => d.setup.questions.map((q) => ({
  key: `systems.${side}.${q.key}`, topic: q.topic, ask: q.ask, input: 'text', pattern: q.pattern, hint: q.hint, default: q.default, because: q.because, comment: q.comment,
}));

/** Which system serves a side: asked only when the registry offers more than one. */
function systemChoice(side: Side): Question[] {
  const { systems, topic, ask } = SIDES[side];
  if (systems.length < 2) return [];
  return [{ key: `systems.${side}.type`, topic, ask, choices: systems.map((d) => ({ value: d.system, label: d.displayName })), default: systems[0].system,
    because: `${systems[0].displayName} carries every answer of the checklist; \`dovetail check\` says what the others cannot do yet.`, comment: systems.map((d) => d.system).join(' or ') }];
}

const chosenSystem = (side: Side, answers: ReadonlyMap<string, unknown>): SystemDescriptor =>
  SIDES[side].systems.find((d) => d.system === answers.get(`systems.${side}.type`)) ?? SIDES[side].systems[0];

/** The checklist questions that follow the systems. */
const RULE_QUESTIONS: Question[] = [
  master('productNames', 'product names', 'inventory', 'product records usually start in the inventory system, where they are bought and counted.'),
  master('productAttributes', 'product attributes and variants (colour, size…)', 'inventory', 'variants are stock-keeping units, which the inventory system counts.'),
  master('productDescriptions', 'product descriptions and specifications', 'store', 'marketing text is written for the website.'),
  master('productImages', 'product images', 'store', 'images are made for the website.'),
  master('productCategories', 'product categories', 'store', 'website navigation is designed in the store.'),
  master('productDimensions', 'weights and dimensions', 'inventory', 'the warehouse measures what it ships.'),
  master('prices', 'retail prices', 'inventory', 'prices follow costs, which the inventory system knows.'),
  master('priceLevels', 'special price levels (wholesale, customer groups)', 'inventory', 'wholesale terms are negotiated in the back office.'),
  master('availability', 'whether a product is for sale on the website', 'inventory', 'the back office decides what can be supplied.'),
  master('vendorsAndCosts', 'suppliers and costs', 'inventory', 'costs are never shown on the website.'),
  master('customers', 'customer details and addresses', 'store', 'customers keep their own details up to date on the website.'),
  master('salesTaxes', 'tax rates and rules', 'store', 'the store charges the tax at checkout.'),
  master('shippingMethods', 'shipping methods and options', 'store', 'the customer chooses them at checkout.'),

  { key: 'ownership.onConflict', topic: 'edits made outside the master', ask: 'When someone changes data in the system that is NOT its master, what should Dovetail do?',
    choices: [{ value: 'revert', label: 'put the master\'s value back, and log it' }, { value: 'flag', label: 'leave it, and show a conflict on the dashboard' }],
    default: 'revert', because: 'the two systems then never disagree for long.', comment: 'revert: put the master\'s value back; flag: leave it, show a conflict' },

  { key: 'rules.offlineOrdersToStore', topic: 'offline orders on the website', ask: 'Should orders taken by phone, email or sales staff in the inventory system be shown on the website?',
    choices: [{ value: 'none', label: 'no' }, { value: 'all', label: 'yes, all of them' }, { value: 'customersWithAccount', label: 'only for customers who have a website account' }],
    default: 'none', because: 'most stores keep offline orders in the back office.', comment: 'none, all or customersWithAccount' },
  { key: 'rules.orderEditsIn', topic: 'changes to placed orders', ask: 'Once an order is placed, where may it be changed? (changes in the other system are refused and flagged)',
    choices: [STORE, INVENTORY], default: 'store', because: 'web orders start in the store.', comment: 'store or inventory' },
  { key: 'rules.offlineCustomerAccounts', topic: 'website accounts for phone customers', ask: 'Should customers who order by phone or email get a website account?',
    choices: [{ value: 'none', label: 'no' }, { value: 'create', label: 'yes, create one' }, { value: 'invite', label: 'invite them to open one' }],
    default: 'none', because: 'creating accounts people did not ask for surprises them.', comment: 'none, create or invite' },
  { key: 'rules.copyAddresses', topic: 'addresses of phone customers', ask: 'If phone customers get a website account, should their addresses be copied to it?',
    choices: YES_NO, default: true, because: 'they then do not have to type them again.', comment: 'true or false' },
  { key: 'rules.partialShipmentsToStore', topic: 'partial shipments', ask: 'Should each shipment, even a partial one, appear on the website order with its items, date, carrier and tracking number?',
    choices: YES_NO, default: true, because: 'customers want to know what is on its way.', comment: 'true or false' },
  { key: 'rules.shipmentEmailsFrom', topic: 'shipment emails', ask: 'Which system emails the customer about shipments?',
    choices: [STORE, INVENTORY, { value: 'dovetail', label: 'Dovetail itself' }, { value: 'none', label: 'nobody' }],
    default: 'store', because: 'the store\'s emails carry the website\'s look.', comment: 'store, inventory, dovetail or none' },
  { key: 'rules.quotesFrom', topic: 'quotes', ask: 'Which system are quotes sent from? (an accepted quote becomes an order in the other)',
    choices: [STORE, INVENTORY], default: 'inventory', because: 'quotes are usually prepared by sales staff.', comment: 'store or inventory' },
  { key: 'rules.liveInventory', topic: 'live stock on the website', ask: 'Should stock counts on the website follow the inventory system as they change?',
    choices: YES_NO, default: true, because: 'without it the website can sell what is not there.', comment: 'true or false' },
  { key: 'rules.deductAllocated', topic: 'stock promised to unshipped orders', ask: 'Should stock promised to unshipped phone or email orders be taken off what the website may sell?',
    choices: YES_NO, default: true, because: 'otherwise the same unit can be sold twice.', comment: 'true or false' },
  { key: 'inventory.safetyStock', topic: 'safety stock', ask: 'How many units of each product should be held back from the website, as a margin for miscounts?',
    input: 'number', default: 0, because: 'with accurate counts no margin is needed.', comment: 'units of each product held back from the website' },
  { key: 'inventory.incoming', topic: 'incoming stock on the website', ask: 'Should the website show what confirmed purchase orders will bring in (they stay in the inventory system)?',
    choices: [{ value: 'none', label: 'no' }, { value: 'show', label: 'show the quantity and the expected date' }, { value: 'backorder', label: 'show them, and sell that many ahead as back-orders' }],
    default: 'none', because: 'the website then sells only what is in stock.', comment: 'none, show or backorder: what purchase orders will bring in, on the website' },
  { key: 'rules.cancellationsIn', topic: 'partial cancellations', ask: 'Where are partial cancellations entered?',
    choices: [STORE, INVENTORY], default: 'inventory', because: 'the warehouse knows what can still be stopped.', comment: 'store or inventory' },
  { key: 'rules.returnsIn', topic: 'returns', ask: 'Where are returns entered?',
    choices: [STORE, INVENTORY], default: 'inventory', because: 'returned goods arrive at the warehouse.', comment: 'store or inventory' },
  { key: 'rules.returnsToStore', topic: 'returns shown on the website', ask: 'Should returns entered in the inventory system be shown on the website order?',
    choices: YES_NO, default: true, because: 'customers can then see their return was received.', comment: 'true or false' },
  { key: 'rules.creditMemosIn', topic: 'credit memos', ask: 'Where are credit memos managed?',
    choices: [STORE, INVENTORY], default: 'inventory', because: 'accounting happens in the back office.', comment: 'store or inventory' },
  { key: 'rules.capture', topic: 'when cards are charged', ask: 'When is the customer\'s card charged?',
    choices: [{ value: 'atOrder', label: 'when the order is placed' }, { value: 'atShipment', label: 'when each shipment leaves (authorised at order)' }],
    default: 'atOrder', because: 'it is the simplest, and authorisations cannot expire.', comment: 'atOrder or atShipment' },
  { key: 'rules.settleFrom', topic: 'settling payments', ask: 'Where are authorised payments settled (always through the store\'s payment gateway)?',
    choices: [STORE, INVENTORY], default: 'store', because: 'the store talks to the payment gateway.', comment: 'store or inventory' },
  { key: 'rules.refundsIn', topic: 'refunds', ask: 'Where are refunds made? (the other system records the refund or credit note)',
    choices: [STORE, INVENTORY], default: 'store', because: 'the money goes back through the store\'s gateway.', comment: 'store or inventory' },
  { key: 'rules.salespeople.default', topic: 'salesperson for web orders', ask: 'Which salesperson should web orders be assigned to? (rules by country, total or SKU can be added to the file later; leave empty for none)',
    input: 'text', default: '', because: 'most web orders need no salesperson.', comment: 'salesperson when no rule matches; null = none' },
];

/** The questions asked for these answers so far: the systems chosen decide which connection keys are asked. */
export function questionsFor(answers: ReadonlyMap<string, unknown>): Question[] {
  return [...systemChoice('inventory'), ...connectionQuestions('inventory', chosenSystem('inventory', answers)),
    ...systemChoice('store'), ...connectionQuestions('store', chosenSystem('store', answers)), ...RULE_QUESTIONS];
}

/** Every question `dovetail init` asks when each default is kept, in the order of the checklist. The dashboard and the report name items with `topic`. */
export const QUESTIONS: Question[] = questionsFor(new Map());

/** Any question init may ask, whichever systems are chosen. */
const EVERY_QUESTION: Question[] = [...(Object.keys(SIDES) as Side[]).flatMap((side) => [...systemChoice(side), ...SIDES[side].systems.flatMap((d) => connectionQuestions(side, d))]), ...RULE_QUESTIONS];
export const questionFor = (key: string) => EVERY_QUESTION.find((q) => q.key === key);

const show = (v: string | boolean | number) => (v === '' ? '(none)' : String(v));

/** The screen for one question: the question, numbered choices and what Enter does. */
export function screen(q: Question, index: number, total: number): string {
  const lines = ['', '─'.repeat(64), `Question ${index + 1} of ${total}: ${q.topic}`, '', q.ask, ''];
  if (q.choices) q.choices.forEach((c, i) => lines.push(`  ${i + 1}) ${c.label}${c.value === q.default ? '   ← default' : ''}`));
  lines.push('', `Press Enter for the default (${q.choices?.find((c) => c.value === q.default)?.label ?? show(q.default)}): ${q.because}`);
  return lines.join('\n');
}

/** Reads one answer: a choice's number or value, a text or number; null when it is not allowed. */
export function parseAnswer(q: Question, line: string): string | boolean | number | null {
  const a = line.trim();
  if (a === '') return q.default;
  if (q.choices) {
    const n = Number(a);
    if (Number.isInteger(n) && n >= 1 && n <= q.choices.length) return q.choices[n - 1].value;
    const byValue = q.choices.find((c) => String(c.value).toLowerCase() === a.toLowerCase() || c.label.toLowerCase() === a.toLowerCase()
      || (typeof c.value === 'boolean' && ((c.value && /^(y|yes)$/i.test(a)) || (!c.value && /^(n|no)$/i.test(a)))));
    return byValue ? byValue.value : null;
  }
  if (q.input === 'number') return /^\d+$/.test(a) ? Number(a) : null;
  if (q.pattern) return q.pattern.test(a) ? a : null;
  return a;
}

const yamlScalar = (v: string | boolean | number) => {
  if (typeof v !== 'string') return String(v);
  if (v === '') return 'null';
  return /^[\w.:/@-]+$/.test(v) && !/^(true|false|null|yes|no|~|\d.*)$/i.test(v) ? v : JSON.stringify(v);
};

/** A commented dovetail.yaml holding the answers; everything not asked keeps its default. */
export function renderYaml(answers: Map<string, string | boolean | number>): string {
  const get = (key: string) => answers.get(key) ?? questionFor(key)!.default;
  const section = (prefix: string, indent: number) => RULE_QUESTIONS.filter((q) => q.key.startsWith(prefix) && q.key.split('.').length === prefix.split('.').length).map((q) => line(indent, q.key));
  const line = (indent: number, key: string) => {
    const q = questionFor(key)!;
    const name = key.split('.').pop()!;
    const comment = key.startsWith('rules.') && !key.startsWith('rules.salespeople') ? `${q.topic}: ${q.comment}` : q.comment;
    return `${' '.repeat(indent)}${`${name}: ${yamlScalar(get(key))}`.padEnd(38 - indent)} # ${comment}`;
  };
  return [
    '# dovetail.yaml — written by `dovetail init`. Every answer of the integration checklist is one key.',
    '# Change any answer here (docs/settings.md explains every key), then run `dovetail check`.',
    '# Secrets are never written in this file: ${NAME} is replaced from the environment at start.',
    '',
    'database:',
    '  driver: sqlite',
    '  path: dovetail.sqlite                 # relative to this file\'s folder',
    '',
    'systems:',
    ...(Object.keys(SIDES) as Side[]).flatMap((side) => {
      const d = chosenSystem(side, answers);
      return [`  ${side}:`, `    type: ${d.system}`, ...connectionQuestions(side, d).map((q) => line(4, q.key)),
        ...d.setup.secrets.map((s) => `    ${`${s.key}: \${${s.env}}`.padEnd(34)}${s.comment ? ` # ${s.comment}` : ''}`.trimEnd())];
    }),
    '',
    '# Which system is the master (where it is edited) of each kind of data.',
    'master:',
    ...section('master.', 2),
    '  purchaseOrders: inventory             # always: no store keeps them; inventory.incoming shows what they bring in',
    '  paymentMethods: store                 # always: card data stays with the store\'s payment gateway',
    '',
    'ownership:',
    ...section('ownership.', 2),
    '',
    '# What happens when an order is placed, changed, shipped, cancelled, returned or refunded.',
    'rules:',
    ...section('rules.', 2),
    '  salespeople:',
    '    rules: []                           # first match wins, e.g. - when: { country: DE, minTotal: 1000 }',
    '                                        #                        assign: Dieter',
    line(4, 'rules.salespeople.default'),
    '',
    'inventory:',
    ...section('inventory.', 2),
    '  debounceMs: 2000                      # wait for more stock changes of a product before updating the store (ms)',
    '  locations: []                         # warehouses whose stock is published; empty = the default warehouse',
    '',
    'server:',
    '  host: 127.0.0.1                       # the dashboard; any other address needs a token',
    '  port: 8790',
    '',
  ].join('\n');
}

/** Asks every question on `input`, writes the file; returns the exit code. */
export async function initCommand(file: string, opts: { force?: boolean; input?: NodeJS.ReadableStream; output?: NodeJS.WritableStream } = {}): Promise<number> {
  const out = opts.output ?? process.stdout;
  const say = (s: string) => out.write(`${s}\n`);
  if (existsSync(file) && !opts.force) {
    say(`${file} exists already; nothing was changed. Use --force to replace it, or edit it.`);
    return 1;
  }
  say('Dovetail asks the integration checklist\'s questions, one at a time. Press Enter to keep the default.');
  // The async iterator buffers lines, so answers piped in all at once are not lost between questions.
  const rl = createInterface({ input: opts.input ?? process.stdin, terminal: false });
  const lines = rl[Symbol.asyncIterator]();
  const answers = new Map<string, string | boolean | number>();
  try {
    // the list is read again after each answer: choosing a system changes the questions about it
    for (let i = 0, flow = questionsFor(answers); i < flow.length; i++, flow = questionsFor(answers)) {
      const q = flow[i];
      say(screen(q, i, flow.length));
      for (;;) {
        out.write('> ');
        const next = await lines.next();
        if (next.done) { say('\nStopped before the last question; nothing was written.'); return 1; }
        const answer = parseAnswer(q, String(next.value));
        if (answer !== null) { answers.set(q.key, answer); say(`  → ${q.choices?.find((c) => c.value === answer)?.label ?? show(answer)}`); break; }
        say(q.choices ? `  Please type a number from 1 to ${q.choices.length}, or press Enter for the default.`
          : q.input === 'number' ? '  Please type a whole number, or press Enter for the default.' : `  Please type ${q.hint ?? 'an answer'}.`);
      }
    }
  } finally {
    rl.close();
  }
  const text = renderYaml(answers);
  const secrets = (Object.keys(SIDES) as Side[]).flatMap((side) => chosenSystem(side, answers).setup.secrets.map((s) => s.env));
  try {
    // the file must load as written; secrets are stand-ins here, read from the environment at start
    parseConfig(text, Object.fromEntries(secrets.map((env) => [env, 'x'.repeat(32)])));
  } catch (err) {
    say(`These answers do not make valid settings (a bug in init): ${messageOf(err)}`);
    return 1;
  }
  writeFileSync(file, text);
  say(`\nWrote ${file}. Next: set ${secrets.slice(0, -1).join(', ')} and ${secrets.at(-1)}, then run \`dovetail check\` and \`dovetail report\`.`);
  return 0;
}
