// `dovetail report`: the answered checklist as a requirements document — each item, its answer,
// what Dovetail does because of it and what the answer implies — in Markdown or a self-contained
// HTML page, for the operations manager to hand to whoever budgets the work.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { coverage, type CoverageRow } from '../config/coverage.js';
import { displayNameOf } from '../connectors/registry.js';
import type { Config } from '../config/schema.js';
import { questionFor } from './init.js';
import { settingsOrExplain } from './shared.js';

export interface ReportItem {
  section: string;
  key: string;
  /** the checklist item, e.g. "when cards are charged" */
  topic: string;
  /** the chosen answer, in words */
  answer: string;
  carriedOut: boolean;
  /** what Dovetail does because of the answer */
  does: string;
  /** what the answer means for the business, beyond Dovetail */
  implies: string | null;
}

const OTHER_TOPICS: Record<string, string> = {
  'systems.inventory.type': 'inventory system',
  'systems.store.type': 'online store',
  'master.paymentMethods': 'payment methods',
  'inventory.debounceMs': 'grouping bursts of stock changes',
  'inventory.locations': 'warehouses published',
  'rules.salespeople': 'salesperson assignment',
};

export function topicOf(key: string): string {
  return questionFor(key)?.topic ?? OTHER_TOPICS[key] ?? key;
}

function sectionOf(key: string): string {
  if (key.startsWith('systems.')) return 'Systems';
  if (key.startsWith('master.')) return 'Which system is the master of each kind of data';
  if (key === 'ownership.onConflict') return 'Which system is the master of each kind of data';
  if (/^rules\.(capture|settleFrom|refundsIn|creditMemosIn)$/.test(key)) return 'Money: payments, refunds, credit memos';
  if (/^(rules\.(liveInventory|deductAllocated)|inventory\.)/.test(key)) return 'Stock on the website';
  return 'Orders, customers, shipments and returns';
}

/** The chosen answer in words: the label `dovetail init` offered for it, or the value. */
export function answerWords(row: CoverageRow): string {
  const q = questionFor(row.key);
  const choice = q?.choices?.find((c) => String(c.value) === row.answer);
  if (choice) return choice.label;
  if (row.key === 'master.paymentMethods') return 'the online store';
  if (row.key === 'inventory.debounceMs') return `${Number(row.answer) / 1000} s`;
  if (row.key === 'inventory.safetyStock') return `${row.answer} unit${row.answer === '1' ? '' : 's'}`;
  if (row.key === 'inventory.locations') return row.answer === '[]' ? 'the default warehouse' : JSON.parse(row.answer).join(', ');
  return row.answer;
}

/** What an answer implies for the business: costs, risks and manual work it brings. */
export function implications(key: string, config: Config): string | null {
  const r = config.rules;
  const m = config.master;
  switch (key) {
    case 'rules.capture':
      return r.capture === 'atShipment'
        ? 'Cards are authorised at checkout and charged per shipment, so an order shipped in three parts shows as three charges. Authorisations expire after some days (commonly 7, at most about 30 depending on card and gateway): orders that wait longer for stock must be re-authorised or charged before they ship, and a re-authorisation can be declined.'
        : 'The customer pays before anything ships. Items that are cancelled or cannot be delivered must be refunded, and most gateways keep their fee on refunded charges.';
    case 'rules.settleFrom':
      return r.settleFrom === 'inventory'
        ? 'Back-office staff decide when money is taken; the charge still runs through the store\'s payment gateway, so gateway access must be granted to Dovetail.'
        : 'Money is taken in the store; the back office only sees that it was.';
    case 'rules.refundsIn':
      return `Staff refund in ${r.refundsIn === 'store' ? 'the store' : 'the inventory system'}; the other system must receive a matching refund or credit note, or the books and the order history disagree.`;
    case 'rules.creditMemosIn':
      return `Accounting issues credit memos in ${r.creditMemosIn === 'store' ? 'the store' : 'the inventory system'}; customers see them ${r.creditMemosIn === 'store' ? 'in their account' : 'only when the other system shows them'}.`;
    case 'rules.liveInventory':
      return r.liveInventory ? `The website shows stock within seconds of a change (${config.inventory.debounceMs ? `${config.inventory.debounceMs / 1000} s grouping` : 'at the next poll'}).` : 'The website keeps its own stock counts: someone must keep them right by hand, or the store will sell what is not there.';
    case 'rules.deductAllocated':
      return r.deductAllocated ? 'The website may show fewer units than the shelf holds while phone orders wait to ship.' : 'A unit promised to a phone order can be sold again on the website: expect occasional back-orders and apologies.';
    case 'inventory.safetyStock':
      return config.inventory.safetyStock > 0 ? `The last ${config.inventory.safetyStock} of each product can only be sold by phone or in person.` : 'The website can sell the last unit, so miscounts turn into cancelled orders.';
    case 'rules.partialShipmentsToStore':
      return r.partialShipmentsToStore ? 'Customers see each parcel with its tracking number; the warehouse must record carrier and tracking on every shipment.' : 'Customers hear nothing until the whole order has left, which brings "where is my order?" calls for split orders.';
    case 'rules.shipmentEmailsFrom':
      return { store: 'Shipment emails carry the website\'s look; they go out only once shipments are reported to the store.', inventory: 'The inventory system must be set up to email customers, with its own templates.', dovetail: 'Dovetail would need mail-server settings and email templates.', none: 'Customers get no shipment email: expect more "where is my order?" contacts.' }[r.shipmentEmailsFrom];
    case 'rules.orderEditsIn':
      return `Staff must learn to change orders only in ${r.orderEditsIn === 'store' ? 'the store' : 'the inventory system'}; changes made elsewhere are refused or flagged.`;
    case 'rules.offlineOrdersToStore':
      return r.offlineOrdersToStore === 'none' ? 'Customers who also order by phone see only their web orders in their account.' : 'Customers see phone orders in their website account; those orders need a store customer to belong to.';
    case 'rules.offlineCustomerAccounts':
      return r.offlineCustomerAccounts === 'none' ? null : r.offlineCustomerAccounts === 'create' ? 'Accounts are created without the customer asking; the privacy notice should say so.' : 'Customers receive an invitation email they may ignore.';
    case 'rules.quotesFrom':
      return `Sales staff prepare quotes in ${r.quotesFrom === 'store' ? 'the store' : 'the inventory system'}; accepted quotes must become orders in the other.`;
    case 'rules.returnsIn':
      return `Returns are booked in ${r.returnsIn === 'store' ? 'the store' : 'the inventory system'}; stock counts and refunds follow from there.`;
    case 'rules.returnsToStore':
      return r.returnsToStore ? 'Customers can follow their return on the website.' : 'Customers ask by email or phone whether their return arrived.';
    case 'rules.cancellationsIn':
      return `Part-cancellations are entered in ${r.cancellationsIn === 'store' ? 'the store' : 'the inventory system'}; any refund they need follows the refund answer.`;
    case 'ownership.onConflict':
      return config.ownership.onConflict === 'revert' ? 'An edit made in the wrong system disappears shortly after; staff should be told where each kind of data is edited.' : 'Conflicts pile up on the dashboard until someone settles them.';
    case 'master.prices':
      return m.prices === 'inventory' ? 'Price changes in the store admin are undone or flagged; promotions and coupons still live in the store.' : 'Prices are set in the store; the inventory system\'s prices become a copy.';
    case 'master.customers':
      return m.customers === 'store' ? 'Customers update their own details on the website; back-office edits to web customers are not copied back.' : null;
    case 'master.paymentMethods':
      return 'No card data is kept by Dovetail or the inventory system, which keeps them out of card-industry (PCI) audits.';
    default:
      return null;
  }
}

export function reportItems(config: Config): ReportItem[] {
  return coverage(config).map((row) => ({
    section: sectionOf(row.key), key: row.key, topic: topicOf(row.key), answer: answerWords(row),
    carriedOut: row.carriedOut, does: row.note, implies: implications(row.key, config),
  }));
}

function sections(items: ReportItem[]): [string, ReportItem[]][] {
  const out = new Map<string, ReportItem[]>();
  for (const i of items) out.set(i.section, [...(out.get(i.section) ?? []), i]);
  return [...out];
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export function renderMarkdown(config: Config, items = reportItems(config)): string {
  const todo = items.filter((i) => !i.carriedOut);
  const lines = [
    '# Integration requirements',
    '',
    `${displayNameOf(config.systems.store.type)} (online store) ↔ ${displayNameOf(config.systems.inventory.type)} (inventory system), as answered in dovetail.yaml.`,
    '',
    `**${items.length - todo.length} of ${items.length} answers are carried out by Dovetail today; ${todo.length} need work (or manual steps until then).**`,
    '',
  ];
  for (const [title, rows] of sections(items)) {
    lines.push(`## ${title}`, '');
    for (const i of rows) {
      lines.push(`### ${cap(i.topic)}: ${i.answer}`, '', `*Setting \`${i.key}\` · ${i.carriedOut ? 'carried out' : '**not carried out yet**'}*`, '', `- **What Dovetail does:** ${i.does}`);
      if (i.implies) lines.push(`- **What it implies:** ${i.implies}`);
      lines.push('');
    }
  }
  lines.push('## Work to budget', '');
  if (!todo.length) lines.push('Nothing: every answer is carried out.');
  for (const i of todo) lines.push(`- ${cap(i.topic)} (\`${i.key}\` = ${i.answer})`);
  lines.push('');
  return lines.join('\n');
}

export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\'': '&#39;' })[c]!);

export function renderHtml(config: Config, items = reportItems(config)): string {
  const e = escapeHtml;
  const todo = items.filter((i) => !i.carriedOut);
  const body = sections(items).map(([title, rows]) => `<section><h2>${e(title)}</h2>${rows.map((i) => `
    <article class="item ${i.carriedOut ? 'done' : 'todo'}">
      <header><h3>${e(cap(i.topic))}</h3><span class="answer">${e(i.answer)}</span><span class="badge">${i.carriedOut ? 'Carried out' : 'Not carried out yet'}</span></header>
      <p><strong>What Dovetail does.</strong> ${e(i.does)}</p>
      ${i.implies ? `<p><strong>What it implies.</strong> ${e(i.implies)}</p>` : ''}
      <p class="key">Setting <code>${e(i.key)}</code></p>
    </article>`).join('')}</section>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Integration requirements — Dovetail</title>
<style>
:root{--ink:#1d2433;--muted:#5b6475;--line:#e3e6ec;--ok:#1f7a4d;--okbg:#e6f4ec;--todo:#9a5b00;--todobg:#fff3dc;--accent:#2952cc}
*{box-sizing:border-box}body{margin:0;font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:#f6f7f9}
main{max-width:860px;margin:0 auto;padding:32px 20px 64px}h1{font-size:1.9rem;margin:0 0 4px}h2{font-size:1.25rem;margin:40px 0 12px;padding-bottom:6px;border-bottom:2px solid var(--line)}
h3{font-size:1.05rem;margin:0}.lead{color:var(--muted)}.summary{display:flex;gap:12px;flex-wrap:wrap;margin:20px 0}
.summary div{background:#fff;border:1px solid var(--line);border-radius:10px;padding:12px 16px;min-width:160px}.summary b{display:block;font-size:1.6rem}
.item{background:#fff;border:1px solid var(--line);border-left:5px solid var(--ok);border-radius:10px;padding:14px 18px;margin:12px 0}.item.todo{border-left-color:var(--todo)}
.item header{display:flex;gap:10px;align-items:baseline;flex-wrap:wrap}.answer{font-weight:600;color:var(--accent)}
.badge{margin-left:auto;font-size:.8rem;padding:2px 10px;border-radius:999px;background:var(--okbg);color:var(--ok)}.todo .badge{background:var(--todobg);color:var(--todo)}
.item p{margin:8px 0}.key{color:var(--muted);font-size:.85rem}code{background:#eef0f4;padding:1px 5px;border-radius:4px}
ul.todo-list li{margin:4px 0}@media print{body{background:#fff}.item{break-inside:avoid}}
</style></head>
<body><main>
<h1>Integration requirements</h1>
<p class="lead">${e(displayNameOf(config.systems.store.type))} (online store) ↔ ${e(displayNameOf(config.systems.inventory.type))} (inventory system), as answered in dovetail.yaml. Generated by <code>dovetail report</code>.</p>
<div class="summary"><div><b>${items.length}</b>answers</div><div><b>${items.length - todo.length}</b>carried out by Dovetail</div><div><b>${todo.length}</b>not carried out yet</div></div>
${body}
<section id="work"><h2>Work to budget</h2>${todo.length ? `<ul class="todo-list">${todo.map((i) => `<li>${e(cap(i.topic))}: ${e(i.answer)} <span class="key">(<code>${e(i.key)}</code>)</span></li>`).join('')}</ul>` : '<p>Nothing: every answer is carried out.</p>'}</section>
</main></body></html>
`;
}

export async function reportCommand(file: string, opts: { format?: string; out?: string }): Promise<number> {
  const format = opts.format ?? 'md';
  if (format !== 'md' && format !== 'html') {
    process.stderr.write(`dovetail: unknown format "${format}"; allowed: md, html\n`);
    return 2;
  }
  const config = settingsOrExplain(file);
  if (!config) return 2;
  const text = format === 'html' ? renderHtml(config) : renderMarkdown(config);
  if (opts.out) {
    try {
      // a folder that does not exist yet is made, as an operator handing the report over expects
      mkdirSync(dirname(resolve(opts.out)), { recursive: true });
      writeFileSync(opts.out, text);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = { EACCES: 'no permission to write there', EPERM: 'no permission to write there', EISDIR: 'that is a folder, not a file',
        ENOTDIR: 'part of that path is a file, not a folder', EEXIST: 'part of that path is a file, not a folder', ENOSPC: 'the disk is full', EROFS: 'that disk is read-only' }[code ?? ''] ?? (err as Error).message;
      process.stderr.write(`dovetail: could not write the report to ${opts.out}: ${why}\n`);
      return 1;
    }
    console.log(`Wrote ${opts.out}.`);
  } else {
    process.stdout.write(text);
  }
  return 0;
}
