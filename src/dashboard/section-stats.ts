import { getJson, num, type Json } from './api.js';
import { fill, h } from './dom.js';
import { ChangeGate, showError, type PageContext, type Section } from './section.js';

interface Figure {
  key: string;
  label: string;
  /** When the number deserves attention. */
  alarm?: (n: number) => 'warn' | 'bad' | undefined;
}

const FIGURES: Figure[] = [
  { key: 'pending_approvals', label: 'Waiting for approval', alarm: (n) => (n > 0 ? 'warn' : undefined) },
  { key: 'active_alerts', label: 'Firing alerts', alarm: (n) => (n > 0 ? 'bad' : undefined) },
  { key: 'alerts_received', label: 'Alerts today' },
  { key: 'alerts_analysed', label: 'Analysed' },
  { key: 'actions_approved', label: 'Approved' },
  { key: 'applied', label: 'Applied' },
  { key: 'rolled_back', label: 'Rolled back', alarm: (n) => (n > 0 ? 'warn' : undefined) },
  { key: 'rollback_failed', label: 'Rollback failed', alarm: (n) => (n > 0 ? 'bad' : undefined) },
  { key: 'effective', label: 'Effective' },
];

/** Today's figures, from GET /ops/stats. */
export function statsSection(container: HTMLElement, ctx: PageContext): Section {
  const gate = new ChangeGate();
  const render = (s: Json) =>
    fill(
      container,
      ...FIGURES.map((f) => {
        const n = num(s, f.key);
        const tone = n === null ? undefined : f.alarm?.(n);
        return h(
          'div',
          { class: `figure${tone ? ` ${tone}` : ''}`, attrs: { 'data-figure': f.key } },
          h('span', { class: 'figure-value' }, n === null ? '—' : n),
          h('span', { class: 'figure-label' }, f.label),
        );
      }),
    );
  return {
    name: 'stats',
    async refresh() {
      try {
        const s = await getJson('/ops/stats');
        if (gate.changed(s)) render(s);
      } catch (err) {
        gate.reset();
        showError(container, err, ctx, "today's figures");
      }
    },
  };
}
