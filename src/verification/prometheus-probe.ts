/**
 * Verification's second signal: the alert's own PromQL expression, asked of Prometheus until it
 * has answered an empty vector for the whole hold time. One probe per watched action.
 */
import { isoAt, type Clock } from '../shared/clock.js';
import { errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { PrometheusObservation, PrometheusQuery, Timers } from './ports.js';

export interface ProbeSettings {
  query: PrometheusQuery;
  /** PROMETHEUS_HOLD_SECONDS: how long the expression must stay empty to count as recovered. */
  holdSeconds: number;
}

export interface ProbeDeps {
  settings: ProbeSettings;
  timers: Timers;
  clock: Clock;
  logger: Logger;
}

/** Seconds between queries: a quarter of the hold, at least 1 s, at most 15 s. */
export function pollSeconds(holdSeconds: number): number {
  return Math.min(15, Math.max(1, holdSeconds / 4));
}

/**
 * The PromQL expression Prometheus put in an alert's generatorURL (`…/graph?g0.expr=…&g0.tab=1`),
 * or undefined when there is none. Pure.
 */
export function alertExpression(generatorUrl: string | null): string | undefined {
  if (generatorUrl === null || generatorUrl === '') return undefined;
  let url: URL;
  try {
    url = new URL(generatorUrl);
  } catch {
    return undefined;
  }
  const expr = url.searchParams.get('g0.expr')?.trim();
  return expr === undefined || expr === '' ? undefined : expr;
}

export class PrometheusProbe {
  private stopped = false;
  private cancel: (() => void) | undefined;
  private obs: PrometheusObservation;

  /**
   * @param onRecovered called once, with the time the expressions became empty (ms), when they
   *   have stayed empty for the hold time. Not called after `stop()`.
   */
  constructor(
    private readonly d: ProbeDeps,
    private readonly actionId: string,
    expressions: string[],
    private readonly onRecovered: (emptySinceMs: number) => void,
  ) {
    this.obs = {
      expressions,
      holdSeconds: d.settings.holdSeconds,
      last: null,
      lastCheckedAt: null,
      emptySince: null,
      lastError: null,
    };
  }

  /** Starts querying now. Idempotent while running. */
  start(): void {
    if (this.cancel === undefined && !this.stopped) this.arm(0);
  }

  /** No further queries, no callback. Idempotent. */
  stop(): void {
    this.stopped = true;
    this.cancel?.();
    this.cancel = undefined;
  }

  /** What the probe has seen so far (a copy). */
  observation(): PrometheusObservation {
    return { ...this.obs, expressions: [...this.obs.expressions] };
  }

  private arm(ms: number): void {
    this.cancel = this.d.timers.after(ms, () => {
      this.tick().catch((err: unknown) => {
        // tick() handles query failures itself; this is a bug path, logged and retried.
        this.d.logger.error(
          { actionId: this.actionId, err: { message: errorMessage(err) } },
          'prometheus probe failed',
        );
        if (!this.stopped) this.arm(pollSeconds(this.d.settings.holdSeconds) * 1000);
      });
    });
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const answers = await Promise.all(this.obs.expressions.map((e) => this.d.settings.query.seriesCount(e)));
    if (this.stopped) return;
    const now = this.d.clock.now();
    const failed = answers.find((a) => !a.ok);
    this.obs.lastCheckedAt = isoAt(this.d.clock);
    if (failed && !failed.ok) {
      // An unanswered query proves nothing: the hold starts again after the next empty answer.
      this.obs = { ...this.obs, last: 'error', emptySince: null, lastError: failed.error };
      this.d.logger.warn({ actionId: this.actionId, error: failed.error }, 'prometheus query failed; not counted');
    } else if (answers.some((a) => a.ok && a.series > 0)) {
      this.obs = { ...this.obs, last: 'firing', emptySince: null };
    } else {
      this.obs = { ...this.obs, last: 'empty', emptySince: this.obs.emptySince ?? new Date(now).toISOString() };
      const since = Date.parse(this.obs.emptySince!);
      if (now - since >= this.d.settings.holdSeconds * 1000) {
        this.stopped = true;
        this.onRecovered(since);
        return;
      }
    }
    this.arm(pollSeconds(this.d.settings.holdSeconds) * 1000);
  }
}
