import type { ActionPreparer } from '../actions/action-store.js';
import type { EventBus } from '../shared/events.js';
import type { Logger } from '../shared/logger.js';
import { decideIncident, type DecideDeps, type DecideOutcome } from './decide-incident.js';

export type { ActionPreparer } from '../actions/action-store.js';

/** Used until the executor is wired: decisions stay `proposed` for a human to act on. */
export const noopActionPreparer: ActionPreparer = { prepare() {} };

export interface DecisionServiceOptions extends DecideDeps {
  events: EventBus;
  logger: Logger;
  preparer: ActionPreparer;
  /** Incidents decided at the same time (1–2: decisions are LLM-bound, not CPU-bound). */
  concurrency?: number;
}

/**
 * Implements intake's DecisionTrigger: a bounded in-process queue that decides incidents in the
 * background. The database is the source of truth, so a restart re-queues undecided incidents
 * (`recover`) instead of persisting the queue.
 */
export class DecisionService {
  private readonly queue: string[] = [];
  private readonly pending = new Set<string>();
  private running = 0;
  private stopped = false;
  private readonly idleWaiters: Array<() => void> = [];
  private readonly concurrency: number;
  /** Incidents whose last attempt threw, with its message (for logging a repeated failure once). */
  private readonly failing = new Map<string, string>();

  constructor(private readonly deps: DecisionServiceOptions) {
    this.concurrency = Math.max(1, Math.min(deps.concurrency ?? 1, 4));
  }

  /** Queues the incident; a repeat while it is queued or running is ignored. Never throws. */
  enqueue(incidentId: string): void {
    if (this.stopped || this.pending.has(incidentId)) return;
    this.pending.add(incidentId);
    this.queue.push(incidentId);
    this.pump();
  }

  /** Incidents queued or being decided. */
  backlog(): number {
    return this.pending.size;
  }

  /** Re-queues open incidents left undecided by a crash or restart. Returns how many. */
  recover(limit = 1000): number {
    const ids = this.deps.store.undecidedOpenIncidents(limit);
    for (const id of ids) this.enqueue(id);
    return ids.length;
  }

  /** Resolves once nothing is queued or running (tests, shutdown). */
  idle(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops taking work and waits for decisions in flight (bounded by the Gemini timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const id of this.queue.splice(0)) this.pending.delete(id);
    await this.idle();
  }

  private pump(): void {
    while (this.running < this.concurrency && this.queue.length > 0) {
      const id = this.queue.shift()!;
      this.running++;
      void this.process(id).finally(() => {
        this.running--;
        this.pending.delete(id);
        if (this.pending.size === 0) for (const w of this.idleWaiters.splice(0)) w();
        // The rules agent decides without real I/O, so pumping from here chained every queued
        // decision into one microtask run: a storm's backlog held the event loop (webhooks,
        // /health) for seconds. The next decision waits for a turn of the loop instead.
        if (this.queue.length > 0) setImmediate(() => this.pump());
      });
    }
  }

  private async process(incidentId: string): Promise<void> {
    const log = this.deps.logger.child({ incidentId });
    let outcome: DecideOutcome;
    try {
      outcome = await decideIncident(this.deps, incidentId);
    } catch (err) {
      // The incident stays undecided (its write rolled back whole); recover() picks it up again:
      // at the next start, or the storage retry while the disk is full. Retries failing the same
      // way are not logged at error level again, so a full disk does not flood the log.
      const message = (err as Error).message;
      if (this.failing.get(incidentId) === message) log.debug({ err: { message } }, 'deciding incident failed again');
      else log.error({ err: { message } }, 'deciding incident failed; left undecided for a retry');
      this.failing.set(incidentId, message);
      return;
    }
    this.failing.delete(incidentId);
    if (outcome.kind === 'skipped') {
      log.debug({ reason: outcome.reason }, 'no decision made');
      return;
    }
    const d = outcome.decision;
    log.info({ decisionId: d.id, status: d.status, action: d.actionType, source: d.source }, 'decision recorded');
    this.deps.events.publish({ type: 'decision.created', decisionId: d.id, incidentId, status: d.status });
    if (d.status === 'proposed') {
      try {
        this.deps.preparer.prepare(d.id);
      } catch (err) {
        log.error({ err: { message: (err as Error).message }, decisionId: d.id }, 'action preparer threw');
      }
    }
  }
}
