/**
 * Live updates: server-sent events from /ops/events say what changed; when the stream is down
 * (proxy without streaming, server restarting) the page polls instead.
 *
 * The stream is read with fetch(), not EventSource: when API_TOKEN is set /ops/events is a read
 * like any other and needs the Authorization header, which EventSource cannot send (and a token
 * in the URL would end up in logs and history).
 */

export type LiveMode = 'connecting' | 'live' | 'polling' | 'locked';

export const EVENT_TYPES = [
  'alert.received',
  'incident.opened',
  'incident.resolved',
  'decision.created',
  'action.status',
  'approval.recorded',
  'registry.synced',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export interface LiveOptions {
  onEvent(type: EventType, data: unknown): void;
  /** Reload everything: after (re)connecting events may have been missed, and on each poll. */
  refreshAll(): void;
  onMode(mode: LiveMode): void;
  /** Request headers (the token, when one is set). */
  headers(): Record<string, string>;
  /** The stream was refused for want of a (right) token. */
  onAuthNeeded(): void;
  pollMs?: number;
}

export interface Live {
  /** Drops the current stream and connects again (after the token changed). */
  reconnect(): void;
}

const KNOWN = new Set<string>(EVENT_TYPES);

/** Splits one SSE frame into its event type and data; comments and retry lines are ignored. */
export function parseFrame(frame: string): { type: string; data: string } | undefined {
  let type = 'message';
  const data: string[] = [];
  for (const line of frame.split('\n')) {
    if (line.startsWith('event:')) type = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  return data.length > 0 ? { type, data: data.join('\n') } : undefined;
}

function dispatch(o: LiveOptions, frame: string): void {
  const f = parseFrame(frame);
  if (!f || !KNOWN.has(f.type)) return;
  let data: unknown = null;
  try {
    data = JSON.parse(f.data);
  } catch {
    // An unreadable event still means "something changed".
  }
  o.onEvent(f.type as EventType, data);
}

export function startLive(o: LiveOptions): Live {
  const pollMs = o.pollMs ?? 10_000;
  let poller: ReturnType<typeof setInterval> | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let controller: AbortController | undefined;
  let backoffMs = 3000;
  const startPolling = () => {
    o.onMode('polling');
    poller ??= setInterval(() => o.refreshAll(), pollMs);
  };
  const stopPolling = () => {
    clearInterval(poller);
    poller = undefined;
  };

  /** One stream until it ends; resolves 'auth' when refused for want of a token. */
  async function stream(signal: AbortSignal): Promise<'ended' | 'auth'> {
    // Some proxies buffer the stream forever: nothing within 5 s counts as a failure.
    let opened = false;
    const watchdog = setTimeout(() => {
      if (!opened) startPolling();
    }, 5000);
    try {
      const res = await fetch('/ops/events', {
        headers: { accept: 'text/event-stream', ...o.headers() },
        cache: 'no-store',
        signal,
      });
      if (res.status === 401 || res.status === 403) return 'auth';
      if (!res.ok || !res.body) return 'ended';
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return 'ended';
        if (!opened) {
          opened = true;
          backoffMs = 3000;
          stopPolling();
          o.onMode('live');
          // Events may have been missed while connecting or disconnected: catch up once.
          o.refreshAll();
        }
        buf += value;
        for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
          dispatch(o, buf.slice(0, i));
          buf = buf.slice(i + 2);
        }
      }
    } finally {
      clearTimeout(watchdog);
    }
  }

  function connect(): void {
    controller?.abort();
    clearTimeout(retry);
    const mine = new AbortController();
    controller = mine;
    if (!poller) o.onMode('connecting');
    stream(mine.signal)
      .catch(() => 'ended' as const)
      .then((outcome) => {
        if (mine.signal.aborted) return;
        if (outcome === 'auth') {
          // Polling would fail the same way, and each try would count as a failed login.
          stopPolling();
          o.onMode('locked');
          o.onAuthNeeded();
          return;
        }
        startPolling();
        retry = setTimeout(connect, backoffMs);
        backoffMs = Math.min(backoffMs * 2, 30_000);
      });
  }

  if (typeof fetch === 'undefined' || typeof TextDecoderStream === 'undefined') {
    startPolling();
    return { reconnect: () => o.refreshAll() };
  }
  connect();
  return { reconnect: connect };
}
