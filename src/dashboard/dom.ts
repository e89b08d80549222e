/**
 * DOM helpers. Every server string reaches the page through textContent or setAttribute on a
 * fixed list of safe attributes, never through innerHTML, so data cannot inject markup.
 */

export type Child = Node | string | number | null | undefined | false;

export interface Props {
  class?: string;
  /** Plain attributes; event handler attributes (on*) are refused. */
  attrs?: Record<string, string | undefined>;
  on?: Partial<Record<'click' | 'input' | 'submit' | 'toggle' | 'change', (ev: Event) => void>>;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  for (const [k, v] of Object.entries(props.attrs ?? {})) {
    if (v === undefined) continue;
    if (/^on/i.test(k)) throw new Error(`refusing event attribute ${k}`);
    el.setAttribute(k, v);
  }
  for (const [ev, fn] of Object.entries(props.on ?? {})) if (fn) el.addEventListener(ev, fn);
  append(el, children);
  return el;
}

export function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'number' ? String(c) : c);
  }
}

/** Replaces a container's children. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing from index.html`);
  return el as T;
}

function agoLabel(t: number, now: number): string {
  const s = Math.round((now - t) / 1000);
  const abs = Math.abs(s);
  if (abs < 45) return 'just now';
  const text =
    abs < 3600
      ? `${Math.round(abs / 60)} min`
      : abs < 86_400
        ? `${Math.round(abs / 3600)} h`
        : `${Math.round(abs / 86_400)} d`;
  return s >= 0 ? `${text} ago` : `in ${text}`;
}

/** "3 min ago" with the exact UTC time on hover and for machines. */
export function timeAgo(iso: string | null | undefined, now = Date.now()): HTMLElement | string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const at = new Date(t).toISOString();
  return h('time', { attrs: { datetime: at, title: at } }, agoLabel(t, now));
}

/** Keeps every relative time on the page true as minutes pass (sections skip unchanged re-renders). */
export function refreshTimes(now = Date.now()): void {
  for (const el of document.querySelectorAll('time[datetime]')) {
    const t = Date.parse(el.getAttribute('datetime') ?? '');
    if (!Number.isNaN(t)) el.textContent = agoLabel(t, now);
  }
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

type Tone = 'ok' | 'warn' | 'bad' | 'info' | 'muted';

const STATUS_TONE: Record<string, Tone> = {
  firing: 'bad',
  resolved: 'ok',
  critical: 'bad',
  warning: 'warn',
  info: 'info',
  awaiting_approval: 'warn',
  queued: 'info',
  approved: 'info',
  applying: 'info',
  preparing: 'info',
  proposed: 'info',
  stale: 'warn',
  applied: 'ok',
  effective: 'ok',
  rolled_back: 'warn',
  failed: 'bad',
  rollback_failed: 'bad',
  prepare_failed: 'bad',
  ineffective: 'bad',
  interrupted: 'bad',
  rejected: 'muted',
  expired: 'muted',
  obsolete: 'muted',
  superseded: 'muted',
  active: 'ok',
  uninitialised: 'warn',
  destroyed: 'muted',
  blocked_by_policy: 'warn',
};

/** A status pill: the word is always shown, colour only reinforces it. */
export function badge(status: string | null | undefined, tone?: Tone): HTMLElement {
  const s = status ?? 'unknown';
  return h('span', { class: `badge ${tone ?? STATUS_TONE[s] ?? 'muted'}` }, s.replace(/_/g, ' '));
}

/** A link to a read endpoint's JSON (opens in a new tab). Paths are built from encoded ids only. */
export function apiLink(label: string, path: string): HTMLElement {
  return h('a', { class: 'api-link', attrs: { href: path, target: '_blank', rel: 'noopener' } }, label);
}

let announcer: HTMLElement | undefined;

/** Tells screen-reader users about something new without re-reading whole lists. */
export function announce(text: string): void {
  announcer ??= byId('announcer');
  announcer.textContent = '';
  // A separate task so the same message twice is still announced.
  setTimeout(() => {
    if (announcer) announcer.textContent = text;
  }, 50);
}
