// The dashboard's pages, rendered on the server from the same state the admin API returns:
// overview of the flows, the checklist, failures with Retry, a record's timeline, and drift.
import type { Config } from '../config/schema.js';
import { reportItems } from '../cli/report.js';
import { html, seconds, time, type Html } from './html.js';
import { explainMove, systemName, type DriftView, type FailureView, type FlowView, type MoveView, type ReconcileView } from './state.js';
import type { AuditRow, Job, WorkerRow } from '../store/storage.js';

export type Tab = 'overview' | 'checklist' | 'failures' | 'records' | 'drift';

export interface Chrome {
  config: Config; failures: number; drift: number;
  /** this browser session's CSRF token, carried by every form that changes something */
  csrf: string | null;
  /** signed in with the token: offer to sign out */
  signedIn: boolean;
}

/** The hidden field without which a form's POST is refused (see auth.ts). */
const csrfField = (chrome: Chrome) => (chrome.csrf ? html`<input type="hidden" name="_csrf" value="${chrome.csrf}">` : '');

export function layout(chrome: Chrome, tab: Tab | null, title: string, body: Html, opts: { refresh?: boolean } = {}): string {
  const { store, inventory } = chrome.config.systems;
  const nav: [Tab, string, string, number][] = [
    ['overview', '/', 'Overview', 0], ['checklist', '/checklist', 'Checklist', 0], ['failures', '/failures', 'Failures', chrome.failures],
    ['records', '/records', 'Record timeline', 0], ['drift', '/drift', 'Drift', chrome.drift],
  ];
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} — Dovetail</title>${chrome.csrf ? html`<meta name="csrf-token" content="${chrome.csrf}">` : ''}<link rel="stylesheet" href="/assets/dashboard.css"><script src="/assets/dashboard.js" defer></script></head>
<body${opts.refresh ? html` data-refresh="5000"` : ''}>
<header class="top"><div class="wrap top-row">
  <a class="brand" href="/"><span class="logo" aria-hidden="true">◆</span> Dovetail</a>
  <span class="systems">${systemName(store.type)} <span aria-hidden="true">⇄</span> ${systemName(inventory.type)}</span>
  ${chrome.signedIn ? html`<form class="sign-out" method="post" action="/logout">${csrfField(chrome)}<button type="submit" class="link-button">Sign out</button></form>` : ''}
</div>
<nav class="wrap tabs" aria-label="Sections">${nav.map(([id, href, label, n]) => html`<a href="${href}" class="${id === tab ? 'active' : ''}"${id === tab ? html` aria-current="page"` : ''}>${label}${n ? html` <span class="count ${id === 'failures' ? 'bad' : 'warn'}">${n}</span>` : ''}</a>`)}</nav>
</header>
<main class="wrap">${body}</main>
<footer class="wrap muted">Dovetail · every answer is a setting in dovetail.yaml · <a href="/report.html">requirements report</a></footer>
</body></html>`.text;
}

// ---- overview -------------------------------------------------------------------------------

const hoursWords = (h: number) => (h === 1 ? '1 hour' : h < 1 ? `${Math.round(h * 60)} minutes` : `${h} hours`);

function flowStatus(f: FlowView): [string, string] {
  if (!f.active) return ['off', f.name === 'stock' && f.why?.startsWith('Off') ? 'Off' : 'Not carried out yet'];
  if (f.feeds.some((x) => x.lastError)) return ['bad', 'Cannot read changes'];
  if (f.counts.failed) return ['bad', `${f.counts.failed} failed`];
  if (f.retrying.count) return ['warn', 'Retrying'];
  if (f.counts.waiting || f.counts.running) return ['busy', 'Catching up'];
  return ['ok', 'Up to date'];
}

function lastMoveLine(m: MoveView, row: AuditRow): Html {
  return html`<a href="/records?q=${encodeURIComponent(row.recordKey)}">${row.recordKey}</a> · ${m.what} · ${time(row.at)}`;
}

/** `engineProblem`: why the engine is not doing its work (its passes fail, or it is stuck), shown above everything. */
export function overviewPage(chrome: Chrome, flows: FlowView[], engineProblem: string | null = null, workers: WorkerRow[] = []): string {
  const active = flows.filter((f) => f.active);
  const waiting = active.reduce((n, f) => n + f.counts.waiting + f.counts.running, 0);
  const lastPoll = active.flatMap((f) => f.feeds.map((x) => x.lastPollAt)).filter((x): x is string => !!x).sort().pop();
  const cards = flows.map((f) => {
    const [cls, label] = flowStatus(f);
    return html`<article class="card flow ${f.active ? '' : 'inactive'}" data-flow="${f.name}">
  <header><h2>${f.title}</h2><span class="pill ${cls}">${label}</span></header>
  <p class="direction">${f.direction}</p>
  ${f.active ? html`<dl class="stats">
    <div><dt>Done</dt><dd data-stat="done">${f.counts.done}</dd></div>
    <div><dt>Waiting</dt><dd data-stat="waiting">${f.counts.waiting + f.counts.running}</dd></div>
    <div><dt>Failed</dt><dd data-stat="failed" class="${f.counts.failed ? 'bad' : ''}">${f.counts.failed}</dd></div>
    <div><dt>Lag</dt><dd data-stat="lag">${seconds(f.lagSeconds)}</dd></div>
  </dl>
  <p class="small">Last read: ${f.feeds.length ? f.feeds.map((x, i) => html`${i ? ' · ' : ''}${x.name} ${x.elsewhere ? 'by another worker (see Workers)' : time(x.lastPollAt, 'not yet')}`) : 'when records of other flows need it'}</p>
  ${f.feeds.filter((x) => x.lastError).map((x) => html`<p class="error small">${x.name}: ${x.lastError}</p>`)}
  ${f.retrying.count ? html`<p class="retrying small" data-retrying="${f.retrying.count}">${f.retrying.count} record${f.retrying.count === 1 ? '' : 's'} waiting to be tried again (failing since ${time(f.retrying.since, 'a moment ago')}; Dovetail keeps trying, with longer pauses, up to ${hoursWords(chrome.config.sync.keepRetryingHours)} after the first failure): ${f.retrying.reason ?? ''}</p>` : ''}
  <p class="small last-move">${f.lastMove ? html`Last move: ${lastMoveLine(explainMove(f.lastMove), f.lastMove)}` : html`<span class="muted">Nothing has moved yet.</span>`}</p>
  ${f.counts.failed ? html`<p><a class="button small-button" href="/failures">See what failed</a></p>` : ''}` : html`<p class="small">${f.why}</p>`}
</article>`;
  });
  return layout(chrome, 'overview', 'Overview', html`
<section class="hero">
  ${engineProblem ? html`<p class="alert" role="alert"><b>Dovetail is not moving anything right now:</b> ${engineProblem}. What the systems send is kept and is worked on once this is mended.</p>` : ''}
  <h1>What is moving between the two systems</h1>
  <p class="muted">Updated every few seconds. Last read from the systems: ${time(lastPoll, 'not yet')}.</p>
  <div class="tiles">
    <a class="tile" href="/failures"><b class="${chrome.failures ? 'bad' : ''}">${chrome.failures}</b>failure${chrome.failures === 1 ? '' : 's'} to look at</a>
    <div class="tile"><b>${waiting}</b>waiting to move</div>
    <a class="tile" href="/drift"><b class="${chrome.drift ? 'warn' : ''}">${chrome.drift}</b>drift item${chrome.drift === 1 ? '' : 's'}</a>
  </div>
</section>
<div class="grid">${cards}</div>
${workers.length ? workersPanel(workers) : ''}`, { refresh: true });
}

/** The `dovetail run` processes sharing the database: several on PostgreSQL, one on SQLite. */
function workersPanel(workers: WorkerRow[]): Html {
  return html`<section class="card workers"><h2>Workers (${workers.length})</h2>
<div class="wide"><table><thead><tr><th>Worker</th><th>Host</th><th>Since</th><th>Last heard</th><th>Jobs running</th><th>Reads</th></tr></thead><tbody>
${workers.map((w) => html`<tr data-worker="${w.id}"><td><code>${w.id}</code></td><td>${w.host} (pid ${w.pid})</td><td>${time(w.startedAt, '')}</td>
<td>${time(w.heartbeatAt, '')}</td><td data-stat="jobs-running">${w.jobsRunning}</td><td class="small">${w.feeds.length ? w.feeds.join(', ') : html`<span class="muted">no feed</span>`}</td></tr>`)}
</tbody></table></div></section>`;
}

// ---- checklist ------------------------------------------------------------------------------

export function checklistPage(chrome: Chrome): string {
  const items = reportItems(chrome.config);
  const sections = new Map<string, typeof items>();
  for (const i of items) sections.set(i.section, [...(sections.get(i.section) ?? []), i]);
  const done = items.filter((i) => i.carriedOut).length;
  return layout(chrome, 'checklist', 'Checklist', html`
<section class="hero"><h1>Your answers to the integration checklist</h1>
<p class="muted">${done} of ${items.length} answers are carried out by Dovetail today. Change an answer in dovetail.yaml and restart Dovetail.
<a href="/report.html">Open the requirements report</a> to hand over or print.</p></section>
${[...sections].map(([title, rows]) => html`<section class="card"><h2>${title}</h2><ul class="checklist">${rows.map((i) => html`
<li class="${i.carriedOut ? 'done' : 'todo'}" data-key="${i.key}">
  <div class="q"><span class="topic">${i.topic.charAt(0).toUpperCase() + i.topic.slice(1)}</span><span class="answer">${i.answer}</span>
  <span class="pill ${i.carriedOut ? 'ok' : 'off'}">${i.carriedOut ? 'Carried out' : 'Not carried out yet'}</span></div>
  <p>${i.does}</p><p class="small muted">Setting <code>${i.key}</code></p>
</li>`)}</ul></section>`)}`);
}

// ---- failures -------------------------------------------------------------------------------

export function failuresPage(chrome: Chrome, failures: FailureView[], refused: AuditRow[], flash: string | null): string {
  return layout(chrome, 'failures', 'Failures', html`
<section class="hero"><h1>Failures</h1>
<p class="muted">Records Dovetail could not move, and why. Nothing here is dropped: fix the cause, then press Retry.</p></section>
${flash ? html`<p class="flash" role="status">${flash}</p>` : ''}
${failures.length ? '' : html`<p class="card empty">Nothing has failed. 🎉</p>`}
${failures.map((f) => html`<article class="card failure" data-failure="${f.id}" data-key="${f.key}">
  <header><h2>${f.title}</h2><span class="pill bad">${f.failureKind === 'permanent' ? 'Needs a fix' : f.failureKind === 'config' ? 'Settings' : 'Gave up retrying'}</span></header>
  <p class="reason"><strong>Why:</strong> ${f.reason}</p>
  <p class="todo"><strong>What to do:</strong> ${f.whatToDo}</p>
  <p class="small muted">System: ${f.system} · ${f.attempts} ${f.attempts === 1 ? 'try' : 'tries'} · last ${time(f.at)} · <a href="/records?q=${encodeURIComponent(f.key)}">timeline of ${f.key}</a></p>
  <form method="post" action="/failures/${f.id}/retry">${csrfField(chrome)}<button type="submit" class="button">Retry</button></form>
</article>`)}
${refused.length ? html`<section class="card"><h2>Refused deliveries</h2>
<p class="small muted">Events the store pushed that could not be read. They were not queued; polling picks up the same changes, so nothing is lost. Many of these point at a mismatched plugin version.</p>
<ul class="timeline">${refused.map((r) => { const m = explainMove(r); return html`<li><span class="when">${time(r.at)}</span><span class="what">${m.what}</span><span class="small">${m.details.join(' · ')}</span></li>`; })}</ul></section>` : ''}`);
}

// ---- record timeline ------------------------------------------------------------------------

const JOB_WORDS: Record<string, string> = { pending: 'waiting to move', running: 'moving now', failed: 'on the failure list', done: 'done' };

export function recordsPage(chrome: Chrome, q: string, moves: MoveView[], jobs: Job[]): string {
  const open = jobs.filter((j) => j.state !== 'done');
  return layout(chrome, 'records', q ? `Timeline of ${q}` : 'Record timeline', html`
<section class="hero"><h1>A record's timeline</h1>
<form class="search" method="get" action="/records" role="search">
  <label for="q" class="sr-only">Order code, SKU or email</label>
  <input id="q" name="q" type="search" value="${q}" placeholder="Order code, SKU or email" autocomplete="off" required>
  <button class="button" type="submit">Show</button>
</form></section>
${q ? html`<section class="card" data-timeline="${q}">
  <h2>${q}</h2>
  ${open.length ? html`<p class="small">Now: ${open.map((j, i) => html`${i ? ', ' : ''}<span class="pill ${j.state === 'failed' ? 'bad' : 'busy'}">${JOB_WORDS[j.state]}</span>`)}${open.some((j) => j.state === 'failed') ? html` — <a href="/failures">see why</a>` : ''}</p>` : ''}
  ${moves.length ? html`<ol class="timeline">${moves.map((m) => html`<li class="${m.ok ? 'ok' : 'bad'}" data-move="${m.id}">
    <span class="when">${time(m.at)}</span>
    <span class="what">${m.what}</span>
    ${m.from || m.to ? html`<span class="route">${m.from || '—'} → ${m.to || '—'}</span>` : ''}
    ${m.result !== 'done' ? html`<span class="small">${m.result}</span>` : ''}
    ${m.details.length ? html`<span class="small muted">${m.details.join(' · ')}</span>` : ''}
    ${m.setting ? html`<span class="setting">because of <code>${m.setting}</code></span>` : ''}
  </li>`)}</ol>` : html`<p class="empty">Nothing has moved for ${q} yet. Check the spelling; emails are matched in lower case.</p>`}
</section>` : html`<p class="muted">Type a store order code (e.g. AB12CD34EF56GH78), a SKU or a customer's email to see every move Dovetail made for it, newest first, with the setting that caused it.</p>`}`);
}

// ---- drift ----------------------------------------------------------------------------------

export function driftPage(chrome: Chrome, drift: DriftView[], reconciled: ReconcileView | null = null): string {
  return layout(chrome, 'drift', 'Drift', html`
<section class="hero"><h1>Drift</h1>
<p class="muted">What <code>dovetail reconcile</code> found comparing both systems record by record (on a schedule: <code>reconcile.everyHours</code>), and the differences Dovetail noticed while moving records: edits made outside the master (with <code>ownership.onConflict: flag</code>) and order totals that disagree.</p></section>
${reconcileSection(reconciled)}
<h2>Noticed while moving records</h2>
${drift.length ? drift.map((d) => html`<article class="card drift" data-conflict="${d.id}">
  <header><h2>${d.record}</h2><span class="pill warn">Open</span></header>
  <p>${d.what}.</p>
  <dl class="compare"><div><dt>${d.master} (master)</dt><dd>${d.masterValue}</dd></div><div><dt>${d.other}</dt><dd>${d.otherValue}</dd></div></dl>
  <p class="small muted">Noticed ${time(d.since)}.</p>
</article>`) : html`<p class="card empty">No drift noticed: the two systems agree on everything Dovetail has moved.</p>`}`);
}

function reconcileSection(r: ReconcileView | null): Html {
  if (!r) return html`<section class="card reconcile"><h2>Last reconcile</h2><p class="empty">Never run: <code>dovetail reconcile</code> compares both systems now.</p></section>`;
  const state = r.error ? html`<span class="pill bad">Stopped: ${r.error}</span>` : r.finishedAt ? html`<span class="pill ${r.drift.length ? 'warn' : 'ok'}">${r.drift.length} open</span>` : html`<span class="pill">Running</span>`;
  return html`<section class="card reconcile" data-reconcile="${r.startedAt}">
  <header><h2>Last reconcile</h2>${state}</header>
  <p class="small muted">Started ${time(r.startedAt)}${r.finishedAt ? html`, finished ${time(r.finishedAt)}` : ''}${r.repair ? ', with repairs' : ''}.
  Compared: ${Object.entries(r.compared).map(([k, n]) => `${n} ${k}`).join(', ') || 'nothing yet'}.</p>
  ${r.drift.length ? html`<table class="drift-table"><thead><tr><th>Kind</th><th>Record</th><th>What differs</th><th>Master</th><th>Master value</th><th>Other value</th><th>Repair</th></tr></thead>
  <tbody>${r.drift.map((d) => html`<tr><td>${d.kind}</td><td>${d.record}</td><td>${d.aspect}</td><td>${d.master}</td><td>${d.masterValue}</td><td>${d.otherValue}</td><td>${d.repair}</td></tr>`)}</tbody></table>`
    : html`<p class="empty">No drift: both systems agree on every record compared.</p>`}
</section>`;
}

export function loginPage(next: string, error: string | null): string {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in — Dovetail</title><link rel="stylesheet" href="/assets/dashboard.css"></head>
<body class="login"><main class="card login-card"><h1><span class="logo">◆</span> Dovetail</h1>
<p class="muted">This dashboard is open to the network, so it asks for the access token (<code>server.token</code> in dovetail.yaml).</p>
${error ? html`<p class="error">${error}</p>` : ''}
<form method="post" action="/login"><input type="hidden" name="next" value="${next}">
<label for="token">Access token</label><input id="token" name="token" type="password" autocomplete="current-password" required>
<button class="button" type="submit">Sign in</button></form></main></body></html>`.text;
}
