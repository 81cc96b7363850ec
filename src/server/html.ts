// A tagged template for the dashboard's server-rendered pages: every interpolated value is
// escaped unless it is already rendered HTML, so record keys and error texts cannot inject markup.
import { escapeHtml } from '../cli/report.js';

export class Html {
  constructor(readonly text: string) {}
  toString(): string { return this.text; }
}

function render(v: unknown): string {
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return v.map(render).join('');
  if (v === null || v === undefined || v === false) return '';
  return escapeHtml(String(v));
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0];
  values.forEach((v, i) => { out += render(v) + strings[i + 1]; });
  return new Html(out);
}

/** A timestamp the page's script turns into "2 min ago" in the reader's time zone; readable without it. */
export function time(iso: string | null | undefined, never = 'never'): Html {
  if (!iso) return html`<span class="muted">${never}</span>`;
  return html`<time datetime="${iso}" title="${iso}">${iso.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}</time>`;
}

export function seconds(s: number): string {
  if (s < 1) return 'none';
  if (s < 90) return `${s} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 3600)} h`;
}
