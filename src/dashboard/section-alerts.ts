import { enc, getJson, list, num, obj, str, type Json } from './api.js';
import { announce, apiLink, badge, fill, h, timeAgo } from './dom.js';
import { ChangeGate, showError, type PageContext, type Section } from './section.js';

function resourceLine(a: Json): HTMLElement {
  const r = obj(a, 'resource');
  const address = str(r, 'address');
  const runId = str(r, 'run_id') ?? str(obj(a, 'deployment'), 'run_id');
  const lookup = str(r, 'lookup_status');
  const parts: Array<Node | string> = [];
  if (address) parts.push(h('code', {}, address));
  else parts.push(h('code', {}, str(r, 'key') ?? 'no resource label'));
  if (runId) parts.push(' in ', h('strong', {}, runId));
  if (lookup && lookup !== 'matched') {
    parts.push(
      ' ',
      h('span', { class: 'warn-text' }, `(${lookup}${str(r, 'lookup_reason') ? `: ${str(r, 'lookup_reason')}` : ''})`),
    );
  }
  return h('p', { class: 'meta' }, ...parts);
}

function alertItem(a: Json, fresh: boolean): HTMLElement {
  const fp = str(a, 'fingerprint') ?? '';
  const annotations = obj(a, 'annotations');
  const summary = str(annotations, 'summary', 'description', 'message');
  const incident = obj(a, 'incident');
  const decisionId = str(incident, 'decision_id');
  const value = num(a, 'value');
  return h(
    'li',
    { class: `card alert${fresh ? ' fresh' : ''}`, attrs: { id: `alert-${fp}`, 'data-fingerprint': fp } },
    h(
      'div',
      { class: 'card-head' },
      badge(str(a, 'severity') ?? 'firing'),
      h('h3', {}, str(a, 'alertname') ?? 'alert'),
      h('span', { class: 'muted push' }, timeAgo(str(a, 'starts_at', 'first_seen_at'))),
    ),
    summary ? h('p', {}, summary) : null,
    resourceLine(a),
    h(
      'p',
      { class: 'links' },
      value !== null ? h('span', { class: 'muted' }, `value ${value}`) : null,
      incident
        ? apiLink(
            `incident (${num(incident, 'alert_count') ?? 1} alerts)`,
            `/ops/incidents/${enc(str(incident, 'id') ?? '')}`,
          )
        : null,
      decisionId
        ? apiLink('decision', `/ops/decisions/${enc(decisionId)}`)
        : h('span', { class: 'muted' }, 'no decision yet'),
    ),
  );
}

/** Firing alerts, from GET /ops/alerts/active. */
export function alertsSection(container: HTMLElement, count: HTMLElement, ctx: PageContext): Section {
  const gate = new ChangeGate();
  let known: Set<string> | undefined;
  return {
    name: 'alerts',
    async refresh() {
      try {
        const page = await getJson('/ops/alerts/active?limit=100');
        if (!gate.changed(page)) return;
        const items = list(page, 'items');
        const fps = new Set(items.map((a) => str(a, 'fingerprint') ?? ''));
        const fresh = items.filter((a) => known !== undefined && !known.has(str(a, 'fingerprint') ?? ''));
        if (fresh.length > 0)
          announce(
            `${fresh.length} new firing alert${fresh.length > 1 ? 's' : ''}: ${fresh.map((a) => str(a, 'alertname')).join(', ')}`,
          );
        const freshSet = new Set(fresh.map((a) => str(a, 'fingerprint')));
        count.textContent = String(num(page, 'total') ?? items.length);
        if (items.length === 0) fill(container, h('p', { class: 'empty ok-text' }, 'No alerts firing.'));
        else
          fill(
            container,
            h('ul', { class: 'cards' }, ...items.map((a) => alertItem(a, freshSet.has(str(a, 'fingerprint'))))),
          );
        known = fps;
      } catch (err) {
        gate.reset();
        showError(container, err, ctx, 'active alerts');
      }
    },
  };
}
