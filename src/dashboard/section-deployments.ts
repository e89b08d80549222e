import { enc, getJson, list, num, str, type Json } from './api.js';
import { apiLink, badge, fill, h, timeAgo } from './dom.js';
import { ChangeGate, showError, type PageContext, type Section } from './section.js';

function deploymentRow(d: Json): HTMLElement {
  const runId = str(d, 'run_id') ?? '?';
  const err = str(d, 'last_error');
  return h(
    'li',
    { class: 'deployment' },
    h(
      'div',
      { class: 'card-head' },
      badge(str(d, 'status')),
      h('h3', {}, runId),
      h('span', { class: 'muted push' }, `${num(d, 'resource_count') ?? 0} resources`),
    ),
    h(
      'p',
      { class: 'meta' },
      `state serial ${str(d, 'state_serial') ?? '—'} · synced `,
      timeAgo(str(d, 'synced_at')),
      ' ',
      apiLink('details', `/ops/deployments/${enc(runId)}`),
    ),
    err ? h('p', { class: 'bad-text small' }, err) : null,
  );
}

function resourceTable(resources: Json[], total: number): HTMLElement {
  if (resources.length === 0) return h('p', { class: 'empty' }, 'No matching resources.');
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      {},
      h(
        'caption',
        { class: 'muted' },
        `${total} resource${total === 1 ? '' : 's'}${total > resources.length ? `, first ${resources.length} shown` : ''}`,
      ),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { attrs: { scope: 'col' } }, 'Address'),
          h('th', { attrs: { scope: 'col' } }, 'Deployment'),
          h('th', { attrs: { scope: 'col' } }, 'Cloud id'),
        ),
      ),
      h(
        'tbody',
        {},
        ...resources.map((r) =>
          h(
            'tr',
            { class: str(r, 'status') === 'gone' ? 'gone' : '' },
            h('td', {}, h('code', {}, str(r, 'address') ?? '?'), str(r, 'status') === 'gone' ? ' (gone)' : ''),
            h('td', {}, str(r, 'run_id') ?? ''),
            h('td', {}, h('code', {}, str(r, 'cloud_id') ?? '—')),
          ),
        ),
      ),
    ),
  );
}

/** Deployments (GET /ops/deployments) and a resource search (GET /ops/resources?q=). */
export function deploymentsSection(
  container: HTMLElement,
  search: HTMLInputElement,
  results: HTMLElement,
  ctx: PageContext,
): Section {
  const gate = new ChangeGate();
  const resultsGate = new ChangeGate();
  let timer: ReturnType<typeof setTimeout> | undefined;

  const searchNow = async () => {
    const q = search.value.trim();
    try {
      const page = await getJson(`/ops/resources?limit=50${q ? `&q=${enc(q)}` : ''}`);
      if (resultsGate.changed(page)) fill(results, resourceTable(list(page, 'items'), num(page, 'total') ?? 0));
    } catch (err) {
      resultsGate.reset();
      showError(results, err, ctx, 'resources');
    }
  };
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => void searchNow(), 250);
  });

  return {
    name: 'deployments',
    async refresh() {
      try {
        const deployments = list(await getJson('/ops/deployments'), 'items');
        if (gate.changed(deployments)) {
          fill(
            container,
            deployments.length === 0
              ? h('p', { class: 'empty' }, 'No deployments found in RUNS_DIR.')
              : h('ul', { class: 'deployments' }, ...deployments.map(deploymentRow)),
          );
        }
      } catch (err) {
        gate.reset();
        showError(container, err, ctx, 'deployments');
      }
      await searchNow();
    },
  };
}
