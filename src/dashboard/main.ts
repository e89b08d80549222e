import { getJson, getToken, setToken } from './api.js';
import { byId, refreshTimes } from './dom.js';
import { startLive, type EventType, type LiveMode } from './live.js';
import { alertsSection } from './section-alerts.js';
import { approvalsSection } from './section-approvals.js';
import { deploymentsSection } from './section-deployments.js';
import { healthSection } from './section-health.js';
import { statsSection } from './section-stats.js';
import { timelineSection } from './section-timeline.js';
import type { PageContext, Section, SectionName } from './section.js';

/** Which sections an event makes stale. */
const AFFECTS: Record<EventType, SectionName[]> = {
  'alert.received': ['alerts', 'stats'],
  'incident.opened': ['alerts', 'stats'],
  'incident.resolved': ['alerts', 'stats', 'timeline'],
  'decision.created': ['alerts', 'stats', 'timeline'],
  'action.status': ['approvals', 'timeline', 'stats', 'health'],
  'approval.recorded': ['approvals', 'timeline', 'stats'],
  'registry.synced': ['deployments', 'health'],
};

const MODE_TEXT: Record<LiveMode, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  polling: 'Polling every 10 s',
};

function tokenForm(ctx: { refreshAll(): void }): { show(): void } {
  const form = byId<HTMLFormElement>('token-form');
  const input = byId<HTMLInputElement>('token-input');
  const state = byId('token-state');
  const paint = () => {
    state.textContent = getToken() ? 'Token set for this tab.' : 'Approving needs the API token.';
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    setToken(input.value.trim() || null);
    input.value = '';
    paint();
    ctx.refreshAll();
  });
  byId('token-clear').addEventListener('click', () => {
    setToken(null);
    paint();
  });
  paint();
  return {
    show() {
      form.hidden = false;
    },
  };
}

function main(): void {
  const sections = new Map<SectionName, Section>();
  const timers = new Map<SectionName, ReturnType<typeof setTimeout>>();
  // Coalesces event storms (Alertmanager groups, fix rounds) into one fetch per section.
  const refresh = (...names: SectionName[]) => {
    for (const n of names) {
      if (timers.has(n)) continue;
      timers.set(n, setTimeout(() => {
        timers.delete(n);
        void sections.get(n)?.refresh();
      }, 100));
    }
  };
  const refreshAll = () => refresh(...sections.keys());
  const token = tokenForm({ refreshAll });
  const ctx: PageContext = { authNeeded: () => token.show(), refresh };

  for (const s of [
    statsSection(byId('stats'), ctx),
    approvalsSection(byId('approvals-list'), byId('approvals-count'), ctx),
    alertsSection(byId('alerts-list'), byId('alerts-count'), ctx),
    timelineSection(byId('timeline-list'), ctx),
    healthSection(byId('health-list'), ctx),
    deploymentsSection(byId('deployments-list'), byId<HTMLInputElement>('resource-search'), byId('resource-results'), ctx),
  ]) {
    sections.set(s.name, s);
  }
  for (const s of sections.values()) void s.refresh();

  getJson('/ops/ui-config')
    .then((c) => {
      if (c.auth_required === true) token.show();
      if (typeof c.version === 'string') byId('version').textContent = `v${c.version}`;
    })
    .catch(() => undefined);

  const mode = byId('live-mode');
  startLive({
    onEvent: (type) => refresh(...AFFECTS[type]),
    refreshAll,
    onMode: (m) => {
      mode.textContent = MODE_TEXT[m];
      mode.dataset.mode = m;
    },
  });
  setInterval(() => refreshTimes(), 30_000);
}

main();
