import { enc, getJson, isMissingRoute, list, str, type Json } from './api.js';
import { announce, apiLink, badge, duration, fill, h, timeAgo } from './dom.js';
import { actionOf, diffView, planSummaryView, tfOutputView, valueChainsView } from './plan-view.js';
import { ChangeGate, OpenState, showError, type PageContext, type Section } from './section.js';

/** Fills `target` from the action's detail when first opened. */
function lazy(id: string, render: (action: Json, detail: Json) => Node): () => Node {
  return () => {
    const box = h('div', { class: 'lazy' }, h('p', { class: 'muted' }, 'Loading…'));
    getJson(`/ops/actions/${enc(id)}`)
      .then((d) => fill(box, render(actionOf(d), d)))
      .catch((err: unknown) =>
        fill(box, h('p', { class: 'bad-text' }, `Could not load: ${err instanceof Error ? err.message : String(err)}`)),
      );
    return box;
  };
}

function historyView(_a: Json, detail: Json): Node {
  const rows =
    list(detail, 'history', 'status_history').length > 0
      ? list(detail, 'history', 'status_history')
      : list(actionOf(detail), 'history', 'status_history');
  if (rows.length === 0) return h('p', { class: 'muted' }, 'No status history recorded.');
  return h(
    'ol',
    { class: 'history' },
    ...rows.map((r, i) => {
      const at = str(r, 'at');
      const next = str(rows[i + 1], 'at');
      const took = at && next ? Date.parse(next) - Date.parse(at) : null;
      return h(
        'li',
        {},
        badge(str(r, 'status')),
        ' ',
        timeAgo(at),
        took !== null ? h('span', { class: 'muted' }, ` · ${duration(took)} in this state`) : null,
        str(r, 'detail') ? h('div', { class: 'muted small' }, str(r, 'detail')) : null,
      );
    }),
  );
}

function actionItem(a: Json, open: OpenState, fresh: boolean): HTMLElement {
  const id = str(a, 'id', 'action_id') ?? '';
  const status = str(a, 'status');
  const created = str(a, 'created_at');
  const updated = str(a, 'updated_at');
  const took = created && updated ? Date.parse(updated) - Date.parse(created) : null;
  const runId = str(a, 'run_id');
  const decisionId = str(a, 'decision_id');
  const incidentId = str(a, 'incident_id');
  const revision = str(a, 'revision_id');
  return h(
    'li',
    { class: `card action${fresh ? ' fresh' : ''}`, attrs: { 'data-action-id': id, 'data-status': status ?? '' } },
    h(
      'div',
      { class: 'card-head' },
      badge(status),
      h(
        'h3',
        {},
        `${(str(a, 'action_type') ?? 'action').replace(/_/g, ' ')} `,
        h('code', {}, str(a, 'target_address') ?? '?'),
      ),
      h('span', { class: 'muted push' }, timeAgo(updated)),
    ),
    str(a, 'status_reason') ? h('p', { class: 'meta' }, str(a, 'status_reason')) : null,
    h(
      'p',
      { class: 'meta' },
      'deployment ',
      h('strong', {}, runId ?? '?'),
      revision ? ' · revision ' : '',
      revision ? h('code', {}, revision) : null,
      took !== null ? ` · ${duration(took)} from proposal to ${status?.replace(/_/g, ' ') ?? 'now'}` : '',
    ),
    h(
      'p',
      { class: 'links' },
      incidentId ? apiLink('alert / incident', `/ops/incidents/${enc(incidentId)}`) : null,
      decisionId ? apiLink('decision', `/ops/decisions/${enc(decisionId)}`) : null,
      runId ? apiLink('deployment', `/ops/deployments/${enc(runId)}`) : null,
      apiLink('ledger', `/ops/ledger?action_id=${enc(id)}`),
    ),
    open.details(`hist:${id}`, 'Status history', lazy(id, historyView)),
    open.details(
      `plan:${id}`,
      'Plan and diff',
      lazy(id, (x) =>
        h(
          'div',
          {},
          valueChainsView(x.value_chains),
          planSummaryView(x.plan_summary ?? x.planSummary ?? null),
          diffView(str(x, 'diff')),
        ),
      ),
    ),
    open.details(
      `tf:${id}`,
      'Terraform output',
      lazy(id, (x) => tfOutputView(x.tf_output ?? x.tfOutput ?? x.terraform_output ?? null)),
    ),
  );
}

function decisionItem(d: Json): HTMLElement {
  const id = str(d, 'id') ?? '';
  return h(
    'li',
    { class: 'card' },
    h(
      'div',
      { class: 'card-head' },
      badge(str(d, 'status')),
      h(
        'h3',
        {},
        `${(str(d, 'action_type') ?? '').replace(/_/g, ' ')} `,
        h('code', {}, str(d, 'resource_address', 'resource_id') ?? '?'),
      ),
      h('span', { class: 'muted push' }, timeAgo(str(d, 'created_at'))),
    ),
    h('p', {}, str(d, 'reason') ?? ''),
    h(
      'p',
      { class: 'links' },
      apiLink('decision', `/ops/decisions/${enc(id)}`),
      str(d, 'incident_id') ? apiLink('incident', `/ops/incidents/${enc(str(d, 'incident_id') ?? '')}`) : null,
    ),
  );
}

/** Executed and executing actions, newest first (GET /ops/actions); decisions when that route is absent. */
export function timelineSection(container: HTMLElement, ctx: PageContext): Section {
  const gate = new ChangeGate();
  const open = new OpenState();
  const statusOf = new Map<string, string>();
  let primed = false;
  return {
    name: 'timeline',
    async refresh() {
      try {
        let body: Json;
        try {
          body = await getJson('/ops/actions?limit=30');
        } catch (err) {
          if (!isMissingRoute(err)) throw err;
          const decisions = list(await getJson('/ops/decisions?limit=20'), 'items');
          if (gate.changed(decisions))
            fill(
              container,
              h('p', { class: 'muted' }, 'Actions are not available on this server; recent decisions:'),
              h('ol', { class: 'cards' }, ...decisions.map(decisionItem)),
            );
          return;
        }
        const items = list(body, 'items', 'actions').filter((a) => str(a, 'status') !== 'awaiting_approval');
        if (!gate.changed(items)) return;
        const changed = items.filter((a) => primed && statusOf.get(str(a, 'id') ?? '') !== str(a, 'status'));
        for (const a of changed)
          announce(
            `${(str(a, 'action_type') ?? 'action').replace(/_/g, ' ')} on ${str(a, 'target_address')}: ${(str(a, 'status') ?? '').replace(/_/g, ' ')}`,
          );
        for (const a of items) statusOf.set(str(a, 'id') ?? '', str(a, 'status') ?? '');
        primed = true;
        const fresh = new Set(changed.map((a) => str(a, 'id')));
        if (items.length === 0) fill(container, h('p', { class: 'empty' }, 'No actions have run yet.'));
        else
          fill(
            container,
            h('ol', { class: 'cards' }, ...items.map((a) => actionItem(a, open, fresh.has(str(a, 'id'))))),
          );
      } catch (err) {
        gate.reset();
        showError(container, err, ctx, 'the action timeline');
      }
    },
  };
}
