import { ApiError, enc, getJson, list, num, obj, postJson, str, type Json } from './api.js';
import { announce, apiLink, append, badge, fill, h, timeAgo } from './dom.js';
import { actionOf, diffView, planSummaryView, valueChainsView } from './plan-view.js';
import { ChangeGate, OpenState, showError, type PageContext, type Section } from './section.js';

interface Pending {
  item: Json;
  /** GET /ops/actions/:id, when that endpoint exists. */
  detail: Json | null;
}

function confidenceView(c: number | null): HTMLElement {
  if (c === null) return h('span', { class: 'muted' }, 'confidence unknown');
  const pct = Math.round(c * 100);
  const tone = pct >= 80 ? 'ok' : pct >= 50 ? 'warn' : 'bad';
  return h(
    'span',
    { class: `confidence ${tone}` },
    h('meter', { attrs: { min: '0', max: '100', value: String(pct), 'aria-label': `confidence ${pct} percent` } }),
    ` ${pct} % confident`,
  );
}

function paramsView(p: Json | null): HTMLElement | null {
  if (!p || Object.keys(p).length === 0) return null;
  return h(
    'p',
    { class: 'meta' },
    ...Object.entries(p).flatMap(([k, v], i) => [i > 0 ? ', ' : '', h('code', {}, `${k} = ${JSON.stringify(v)}`)]),
  );
}

async function decide(
  id: string,
  verdict: 'approve' | 'reject',
  planSha: string | null,
  card: HTMLElement,
  ctx: PageContext,
): Promise<void> {
  const buttons = [...card.querySelectorAll('button')];
  const out = card.querySelector<HTMLElement>('.decide-result');
  for (const b of buttons) b.disabled = true;
  if (out) out.textContent = verdict === 'approve' ? 'Approving…' : 'Rejecting…';
  try {
    // Binding the approval to the plan hash shown here: a changed plan is refused, not applied.
    const r = await postJson(`/ops/${verdict}/${enc(id)}`, planSha ? { plan_sha256: planSha } : {});
    const msg = `${verdict === 'approve' ? 'Approved' : 'Rejected'}: action is now ${str(r, 'status') ?? 'recorded'}`;
    if (out) out.textContent = msg;
    announce(msg);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) ctx.authNeeded();
    const msg = err instanceof Error ? err.message : String(err);
    if (out) {
      out.textContent = `Not ${verdict}d: ${msg}`;
      out.className = 'decide-result bad-text';
    }
    for (const b of buttons) b.disabled = false;
  }
  ctx.refresh('approvals', 'timeline', 'stats', 'health');
}

/** "Edits" and the value chains, when the action stored any. */
function chainsBlock(a: Json | null): HTMLElement[] {
  const view = valueChainsView(a ? a.value_chains : null);
  return view ? [h('h4', {}, 'Edits'), view] : [];
}

function card(p: Pending, open: OpenState, ctx: PageContext, fresh: boolean): HTMLElement {
  const it = p.item;
  const a = p.detail ? actionOf(p.detail) : null;
  const id = str(it, 'action_id') ?? '';
  const type = str(it, 'action_type') ?? 'action';
  const target = str(it, 'target_address') ?? '?';
  const planSha = str(it, 'plan_sha256');
  const el = h('li', { class: `card approval${fresh ? ' fresh' : ''}`, attrs: { 'data-action-id': id } });
  append(el, [
    h(
      'div',
      { class: 'card-head' },
      badge('awaiting_approval'),
      h('h3', {}, `${type.replace(/_/g, ' ')} `, h('code', {}, target)),
      h('span', { class: 'muted push' }, 'expires ', timeAgo(str(it, 'expires_at'))),
    ),
    h(
      'p',
      { class: 'meta' },
      'deployment ',
      h('strong', {}, str(it, 'run_id') ?? '?'),
      str(it, 'alert') ? ` · alert ${str(it, 'alert')}` : '',
      ` · by ${str(it, 'source') ?? '?'}`,
    ),
    h('p', { class: 'reason' }, confidenceView(num(it, 'confidence')), h('span', {}, str(it, 'reason') ?? '')),
    paramsView(obj(it, 'parameters')),
    ...chainsBlock(a),
    h('h4', {}, 'Plan'),
    planSummaryView(a ? (a.plan_summary ?? a.planSummary ?? null) : null),
    open.details(`diff:${id}`, 'HCL diff', () => diffView(a ? str(a, 'diff') : null), true),
    h(
      'div',
      { class: 'actions' },
      h(
        'button',
        {
          class: 'approve',
          attrs: { type: 'button', 'aria-label': `Approve ${type} on ${target}` },
          on: { click: () => void decide(id, 'approve', planSha, el, ctx) },
        },
        'Approve',
      ),
      h(
        'button',
        {
          class: 'reject',
          attrs: { type: 'button', 'aria-label': `Reject ${type} on ${target}` },
          on: { click: () => void decide(id, 'reject', planSha, el, ctx) },
        },
        'Reject',
      ),
      h('span', { class: 'decide-result', attrs: { role: 'status' } }),
    ),
    h(
      'p',
      { class: 'links' },
      planSha ? h('span', { class: 'muted' }, `plan ${planSha.slice(0, 12)}`) : null,
      apiLink('action', `/ops/actions/${enc(id)}`),
    ),
  ]);
  return el;
}

/** One queued action: its place on its deployment and the action it waits for. */
function queuedItem(it: Json): HTMLElement {
  const id = str(it, 'id') ?? '';
  const type = (str(it, 'action_type') ?? 'action').replace(/_/g, ' ');
  const behind = str(it, 'queued_behind');
  return h(
    'li',
    { class: 'card queued', attrs: { 'data-action-id': id } },
    h(
      'p',
      { class: 'meta' },
      badge('queued'),
      ` #${num(it, 'queue_position') ?? '?'} on `,
      h('strong', {}, str(it, 'run_id') ?? '?'),
      ` · ${type} `,
      h('code', {}, str(it, 'target_address') ?? '?'),
      behind ? ' · behind ' : '',
      behind ? h('code', {}, behind) : null,
      ' ',
      apiLink('action', `/ops/actions/${enc(id)}`),
    ),
  );
}

/** Queued actions, per deployment in queue order; null when none. Their request comes when their turn does. */
function queuedView(items: Json[]): HTMLElement | null {
  if (items.length === 0) return null;
  const ordered = [...items].sort(
    (a, b) =>
      (str(a, 'run_id') ?? '').localeCompare(str(b, 'run_id') ?? '') ||
      (num(a, 'queue_position') ?? 0) - (num(b, 'queue_position') ?? 0),
  );
  return h(
    'div',
    { class: 'queue' },
    h('h3', {}, `Queued behind another action on their deployment (${items.length})`),
    h(
      'p',
      { class: 'muted' },
      'Each is planned against the files and state of then, and asks for approval, when the action before it has ended.',
    ),
    h('ul', { class: 'cards' }, ...ordered.map(queuedItem)),
  );
}

/** Actions waiting for a human, from GET /ops/approvals/pending (+ GET /ops/actions/:id for the plan), and those queued behind them. */
export function approvalsSection(container: HTMLElement, count: HTMLElement, ctx: PageContext): Section {
  const gate = new ChangeGate();
  const open = new OpenState();
  let known: Set<string> | undefined;
  return {
    name: 'approvals',
    async refresh() {
      try {
        const [items, queued] = await Promise.all([
          getJson('/ops/approvals/pending').then((r) => list(r, 'items')),
          getJson('/ops/actions?status=queued&limit=100').then((r) => list(r, 'items')),
        ]);
        const pending: Pending[] = await Promise.all(
          items.map(async (item) => ({
            item,
            detail: await getJson(`/ops/actions/${enc(str(item, 'action_id') ?? '')}`).catch(() => null),
          })),
        );
        if (!gate.changed([pending, queued])) return;
        const ids = items.map((i) => str(i, 'action_id') ?? '');
        const fresh = new Set(ids.filter((i) => known !== undefined && !known.has(i)));
        if (fresh.size > 0) announce(`${fresh.size} action${fresh.size > 1 ? 's' : ''} waiting for your approval`);
        known = new Set(ids);
        count.textContent = String(items.length);
        count.classList.toggle('hot', items.length > 0);
        const waiting =
          pending.length === 0
            ? h('p', { class: 'empty' }, 'Nothing is waiting for approval.')
            : h(
                'ul',
                { class: 'cards' },
                ...pending.map((p) => card(p, open, ctx, fresh.has(str(p.item, 'action_id') ?? ''))),
              );
        fill(container, waiting, queuedView(queued));
      } catch (err) {
        gate.reset();
        showError(container, err, ctx, 'actions waiting for approval');
      }
    },
  };
}
