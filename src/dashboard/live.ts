/**
 * Live updates: server-sent events from /ops/events say what changed; when the stream is down
 * (proxy without streaming, server restarting) the page polls instead.
 */

export type LiveMode = 'connecting' | 'live' | 'polling';

export const EVENT_TYPES = [
  'alert.received', 'incident.opened', 'incident.resolved', 'decision.created',
  'action.status', 'approval.recorded', 'registry.synced',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export interface LiveOptions {
  onEvent(type: EventType, data: unknown): void;
  /** Reload everything: after (re)connecting events may have been missed, and on each poll. */
  refreshAll(): void;
  onMode(mode: LiveMode): void;
  pollMs?: number;
}

export function startLive(o: LiveOptions): void {
  const pollMs = o.pollMs ?? 10_000;
  let poller: ReturnType<typeof setInterval> | undefined;
  const startPolling = () => {
    o.onMode('polling');
    poller ??= setInterval(() => o.refreshAll(), pollMs);
  };
  const stopPolling = () => {
    clearInterval(poller);
    poller = undefined;
  };

  if (typeof EventSource === 'undefined') return startPolling();
  o.onMode('connecting');
  const es = new EventSource('/ops/events');
  let opened = false;
  // Some proxies buffer the stream forever: no open within 5 s counts as a failure.
  const watchdog = setTimeout(() => {
    if (!opened) startPolling();
  }, 5000);
  es.addEventListener('open', () => {
    clearTimeout(watchdog);
    opened = true;
    // Events may have been missed while connecting or disconnected: catch up once.
    o.refreshAll();
    stopPolling();
    o.onMode('live');
  });
  es.addEventListener('error', () => startPolling());
  for (const type of EVENT_TYPES) {
    es.addEventListener(type, (ev) => {
      let data: unknown = null;
      try {
        data = JSON.parse((ev as MessageEvent<string>).data);
      } catch {
        // An unreadable event still means "something changed".
      }
      o.onEvent(type, data);
    });
  }
}
