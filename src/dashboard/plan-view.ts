import { list, num, obj, str, type Json } from './api.js';
import { h } from './dom.js';

const SYMBOL: Record<string, string> = { create: '+', update: '~', delete: '−', replace: '±', read: '↻', 'no-op': '=' };

function summaryItems(summary: unknown): Json[] {
  return list(summary, 'items', 'changes', 'resources');
}

const DISRUPTION: Record<string, string> = { replace: 'replaces', stop_start: 'stops and starts' };

/** A replacement or stop/start (plan/disruption.ts): a badge on the resource line, then its sentence. */
function disruptionView(it: Json): HTMLElement[] {
  const kind = str(it, 'disruption');
  if (!kind) return [];
  const label = DISRUPTION[kind] ?? kind;
  return [
    h(
      'span',
      { class: 'disruption-badge', attrs: { 'data-disruption': kind, title: str(it, 'warning') ?? label } },
      `⚠ disruptive: ${label}`,
    ),
    h('p', { class: 'disruption-note', attrs: { role: 'note' } }, str(it, 'warning') ?? ''),
  ];
}

/** The plan summary: one line per resource, then attribute before → after. */
export function planSummaryView(summary: unknown): HTMLElement {
  const items = summaryItems(summary);
  if (items.length === 0)
    return h('p', { class: 'muted' }, summary ? 'No resource changes in the plan.' : 'Plan summary not available.');
  return h(
    'ul',
    { class: 'plan' },
    ...items.map((it) => {
      const action = str(it, 'action') ?? 'change';
      return h(
        'li',
        {},
        h('span', { class: `plan-action ${action}` }, `${SYMBOL[action] ?? '•'} ${action}`),
        ' ',
        h('code', {}, str(it, 'address') ?? '?'),
        str(it, 'reason') ? h('span', { class: 'muted' }, ` (${str(it, 'reason')})`) : null,
        ...disruptionView(it),
        h(
          'ul',
          {},
          ...list(it, 'changes', 'attributes').map((c) =>
            h(
              'li',
              {},
              h('code', {}, str(c, 'path') ?? ''),
              ': ',
              h('span', { class: 'before' }, display(c.before)),
              ' → ',
              h('span', { class: 'after' }, display(c.after)),
            ),
          ),
        ),
      );
    }),
  );
}

/**
 * Where each edited value comes from (`value_chains` of GET /ops/actions/:id): from the resource's
 * attribute back to the literal that is edited, its file line, and its value before → after. Reads
 * as the chain's one-line text (`a ← b ← c (line 12): 3 → 4`); each step's file:line is its tooltip.
 * Null when the action has no chain (older actions, no edit).
 */
export function valueChainsView(chains: unknown): HTMLElement | null {
  const items = list(chains);
  if (items.length === 0) return null;
  return h(
    'ul',
    { class: 'value-chains', attrs: { 'aria-label': 'Where the edited values come from' } },
    ...items.map((c) => {
      const steps = list(c, 'steps');
      const last = steps[steps.length - 1];
      const line = last ? num(last, 'line') : null;
      return h(
        'li',
        { class: 'value-chain', attrs: { 'data-text': str(c, 'text') ?? '' } },
        ...steps.flatMap((s, i) => {
          const file = str(s, 'file');
          const at = num(s, 'line');
          const where = h(
            'code',
            {
              class: 'chain-step',
              attrs: { 'data-kind': str(s, 'kind') ?? '', title: file ? `${file}${at ? `:${at}` : ''}` : '' },
            },
            str(s, 'where') ?? '?',
          );
          return i === 0 ? [where] : [h('span', { class: 'chain-arrow' }, ' ← '), where];
        }),
        line !== null ? h('span', { class: 'chain-line' }, ` (line ${line})`) : null,
        ': ',
        h('span', { class: 'before' }, display(c.from)),
        ' → ',
        h('span', { class: 'after' }, display(c.to)),
      );
    }),
  );
}

function display(v: unknown): string {
  if (typeof v === 'string') return v;
  return JSON.stringify(v) ?? '(none)';
}

/** A unified diff with added and removed lines marked by class (and by their +/− sign). */
export function diffView(diff: string | null): HTMLElement {
  if (!diff) return h('p', { class: 'muted' }, 'No diff recorded.');
  const pre = h('pre', { class: 'diff', attrs: { tabindex: '0', 'aria-label': 'HCL diff' } });
  for (const line of diff.split('\n')) {
    const cls =
      line.startsWith('+++') || line.startsWith('---')
        ? 'file'
        : line.startsWith('+')
          ? 'add'
          : line.startsWith('-')
            ? 'del'
            : line.startsWith('@@')
              ? 'hunk'
              : '';
    pre.append(h('span', { class: cls }, line));
  }
  return pre;
}

/** Terraform output records ({command, exit_code, stdout, stderr, duration_ms}) or plain text. */
export function tfOutputView(out: unknown): HTMLElement {
  if (typeof out === 'string') return h('pre', { class: 'tf-output', attrs: { tabindex: '0' } }, out || '(empty)');
  const runs = list(out);
  if (runs.length === 0) return h('p', { class: 'muted' }, 'No Terraform output recorded.');
  return h(
    'div',
    {},
    ...runs.map((r) => {
      const text = [str(r, 'stdout'), str(r, 'stderr'), str(r, 'output', 'text')].filter(Boolean).join('\n');
      return h(
        'div',
        { class: 'tf-run' },
        h(
          'p',
          { class: 'meta' },
          h('code', {}, str(r, 'command', 'step', 'name') ?? 'terraform'),
          ` exit ${str(r, 'exit_code') ?? '?'}`,
          str(r, 'duration_ms') ? ` · ${str(r, 'duration_ms')} ms` : '',
        ),
        h('pre', { class: 'tf-output', attrs: { tabindex: '0' } }, text || '(no output)'),
      );
    }),
  );
}

/** The action object inside a GET /ops/actions/:id answer, whichever way it is wrapped. */
export function actionOf(detail: Json): Json {
  return obj(detail, 'action') ?? detail;
}
