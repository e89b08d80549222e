import { getJson, num, obj, str, ApiError, type Json } from './api.js';
import { badge, fill, h } from './dom.js';
import { ChangeGate, showError, type PageContext, type Section } from './section.js';

const LABELS: Record<string, string> = {
  database: 'Database',
  terraform: 'Terraform',
  runs_dir: 'Runs directory',
  registry: 'Registry',
  telegram: 'Telegram',
  gemini: 'Gemini',
  agent: 'Decision agent',
  llm: 'Decision agent',
};

/** GET /health (503 still carries the checks) plus the pending count. */
export function healthSection(container: HTMLElement, ctx: PageContext): Section {
  const gate = new ChangeGate();
  return {
    name: 'health',
    async refresh() {
      try {
        let health: Json;
        try {
          health = await getJson('/health');
        } catch (err) {
          if (!(err instanceof ApiError) || err.status !== 503) throw err;
          health = { status: 'unavailable', checks: {} };
        }
        const stats = await getJson('/ops/stats').catch(() => null);
        const data = { health, pending: num(stats, 'pending_approvals') };
        if (!gate.changed(data)) return;
        const checks = Object.entries(obj(health, 'checks') ?? {});
        const status = str(health, 'status') ?? 'unknown';
        fill(
          container,
          h(
            'p',
            { class: 'overall' },
            badge(status, status === 'ok' ? 'ok' : status === 'degraded' ? 'warn' : 'bad'),
            status === 'ok' ? ' All checks pass' : status === 'degraded' ? ' Working, with problems' : ' Not ready',
          ),
          h(
            'ul',
            { class: 'checks' },
            ...checks.map(([name, c]) => {
              const ok = (c as Json).ok === true;
              return h(
                'li',
                { class: ok ? 'ok' : 'bad' },
                h('span', { class: 'check-mark', attrs: { 'aria-hidden': 'true' } }, ok ? '✓' : '✗'),
                h('span', { class: 'check-name' }, `${LABELS[name] ?? name}${ok ? '' : ' (failing)'}`),
                h('span', { class: 'check-detail' }, str(c, 'detail') ?? ''),
              );
            }),
            h(
              'li',
              { class: data.pending ? 'warn' : 'ok' },
              h('span', { class: 'check-mark', attrs: { 'aria-hidden': 'true' } }, data.pending ? '!' : '✓'),
              h('span', { class: 'check-name' }, 'Pending approvals'),
              h('span', { class: 'check-detail' }, data.pending === null ? 'unknown' : String(data.pending)),
            ),
          ),
        );
      } catch (err) {
        gate.reset();
        showError(container, err, ctx, 'system health');
      }
    },
  };
}
