import { ApiError, authHeaders, getJson, getToken, onAuthProblem, setToken } from './api.js';
import { byId, refreshTimes } from './dom.js';
import { startLive, type EventType, type Live, type LiveMode } from './live.js';
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
  locked: 'Waiting for the API token',
};

interface TokenForm {
  show(): void;
}

/**
 * The token field. A typed token is checked against a protected read before the page says it is
 * in use: a wrong one is forgotten and the page says "Token rejected" (not "Token set").
 */
function tokenForm(ctx: { refreshAll(): void; tokenChanged(): void }): TokenForm {
  const form = byId<HTMLFormElement>('token-form');
  const input = byId<HTMLInputElement>('token-input');
  const state = byId('token-state');
  const paint = (text: string, tone: 'ok' | 'bad' | 'muted') => {
    state.textContent = text;
    state.className = `small ${tone === 'muted' ? 'muted' : `${tone}-text`}`;
  };
  const idle = () =>
    paint(getToken() ? 'Token in use for this tab.' : 'Reading and approving need the API token.', 'muted');
  onAuthProblem((p) => {
    form.hidden = false;
    if (p.kind === 'limited') return paint(`Too many failed attempts: ${p.message}`, 'bad');
    // Several sections may report the same refusal: reconnect once, when the token is dropped.
    const had = getToken() !== null;
    setToken(null);
    paint('Token rejected: the server did not accept it. Enter API_TOKEN (or READ_TOKEN to only read).', 'bad');
    if (had) ctx.tokenChanged();
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const typed = input.value.trim();
    input.value = '';
    if (!typed) return idle();
    setToken(typed);
    paint('Checking the token…', 'muted');
    // Any protected read tells whether the token is accepted; a 401 lands in onAuthProblem.
    getJson('/ops/approvals/pending?limit=1')
      .then(() => {
        paint('Token accepted for this tab.', 'ok');
        ctx.tokenChanged();
        ctx.refreshAll();
      })
      .catch((err: unknown) => {
        if (err instanceof ApiError && (err.status === 401 || err.status === 429)) return;
        paint(`Token set; could not check it: ${err instanceof Error ? err.message : String(err)}`, 'bad');
      });
  });
  byId('token-clear').addEventListener('click', () => {
    setToken(null);
    idle();
    ctx.tokenChanged();
  });
  idle();
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
      timers.set(
        n,
        setTimeout(() => {
          timers.delete(n);
          void sections.get(n)?.refresh();
        }, 100),
      );
    }
  };
  const refreshAll = () => refresh(...sections.keys());
  // eslint-disable-next-line prefer-const -- assigned below; the token form's callback reads it first
  let live: Live | undefined;
  const token = tokenForm({ refreshAll, tokenChanged: () => live?.reconnect() });
  const ctx: PageContext = { authNeeded: () => token.show(), refresh };

  for (const s of [
    statsSection(byId('stats'), ctx),
    approvalsSection(byId('approvals-list'), byId('approvals-count'), ctx),
    alertsSection(byId('alerts-list'), byId('alerts-count'), ctx),
    timelineSection(byId('timeline-list'), ctx),
    healthSection(byId('health-list'), ctx),
    deploymentsSection(
      byId('deployments-list'),
      byId<HTMLInputElement>('resource-search'),
      byId('resource-results'),
      ctx,
    ),
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
  live = startLive({
    onEvent: (type) => refresh(...AFFECTS[type]),
    refreshAll,
    onMode: (m) => {
      mode.textContent = MODE_TEXT[m];
      mode.dataset.mode = m;
    },
    headers: authHeaders,
    onAuthNeeded: () => token.show(),
  });
  setInterval(() => refreshTimes(), 30_000);
}

main();
