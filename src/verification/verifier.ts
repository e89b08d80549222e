/**
 * Verification: after an apply, did the incident's alerts resolve? Two signals, the first to say
 * "recovered" decides: every alert of the incident resolved in Alertmanager (`decided_by:
 * alertmanager`), or — when PROMETHEUS_URL is set and the alerts' generatorURL carries their
 * expression — Prometheus answering an empty vector for every expression for the whole hold time
 * (`decided_by: prometheus`). Ineffective when neither did by the deadline, and then a rollback is
 * proposed through the normal decision path. The deadline is stored, so a restart resumes the
 * watch (`start`); the Prometheus hold starts again after a restart.
 */
import { isoAt, type Clock } from '../shared/clock.js';
import { errorMessage } from '../shared/errors.js';
import type { DomainEvent, EventBus } from '../shared/events.js';
import type { Logger } from '../shared/logger.js';
import type { Policy } from '../policy/policy-schema.js';
import type { ActionPreparer } from '../actions/action-store.js';
import { proposeRollback } from './rollback-proposal.js';
import { alertExpression, PrometheusProbe, type ProbeSettings } from './prometheus-probe.js';
import type {
  DecisionSink,
  Timers,
  VerificationResult,
  VerificationSignal,
  VerificationStore,
  WatchedAction,
} from './ports.js';

export interface VerifierDeps {
  store: VerificationStore;
  decisions: DecisionSink;
  preparer: ActionPreparer;
  timers: Timers;
  clock: Clock;
  events: EventBus;
  policy: () => Policy;
  /** VERIFY_WINDOW_SECONDS. */
  windowSeconds: number;
  newId: (prefix: string) => string;
  logger: Logger;
  /** The second signal; undefined without PROMETHEUS_URL (Alertmanager alone decides). */
  prometheus?: ProbeSettings;
}

export class Verifier {
  private readonly timers = new Map<string, () => void>();
  private readonly probes = new Map<string, PrometheusProbe>();

  constructor(private readonly d: VerifierDeps) {}

  /** Re-arms the watch of every applied, unverified action (past deadlines are evaluated now). Then connect its reactions. */
  start(): void {
    for (const a of this.d.store.watchable()) this.watch(a);
  }

  /** Cancels timers. Idempotent. */
  stop(): void {
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
    for (const p of this.probes.values()) p.stop();
    this.probes.clear();
  }

  /** Actions currently watched (tests, metrics). */
  watching(): string[] {
    return [...this.timers.keys()];
  }

  /** Starts the watch of a freshly applied action (no-op when it has no incident). Never throws. */
  onApplied(actionId: string): void {
    this.guarded('action.status', () => {
      const a = this.d.store.watched(actionId);
      if (a) this.watch(a);
    });
  }

  /** The fast path: an incident resolved, so the actions watching it are evaluated now. Never throws. */
  onIncidentResolved(incidentId: string): void {
    this.guarded('incident.resolved', () => this.evaluateIncident(incidentId));
  }

  /** A firing alert arrived: linked to the actions watching its deployment. Never throws. */
  onFiring(fingerprint: string): void {
    this.guarded('alert.received', () => this.linkFiring(fingerprint));
  }

  /** Event reactions must not throw into the bus: a failure is logged with the event it came from. */
  private guarded(event: DomainEvent['type'], fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.d.logger.error({ event, err: { message: errorMessage(err) } }, 'verification failed to handle an event');
    }
  }

  private watch(a: WatchedAction): void {
    const wanted = new Date(this.d.clock.now() + this.d.windowSeconds * 1000).toISOString();
    const deadline = a.verifyUntil ?? this.d.store.setDeadline(a.id, wanted) ?? wanted;
    // Alerts may have resolved while the apply ran: then there is nothing to wait for.
    if (this.evaluate(a.id, false)) return;
    this.timers.get(a.id)?.();
    const cancel = this.d.timers.after(Date.parse(deadline) - this.d.clock.now(), () => {
      this.timers.delete(a.id);
      try {
        this.evaluate(a.id, true);
      } catch (err) {
        this.d.logger.error(
          { actionId: a.id, err: { message: errorMessage(err) } },
          'verification at the deadline failed',
        );
      }
    });
    this.timers.set(a.id, cancel);
    this.startProbe(a);
  }

  /** Queries Prometheus for the incident alerts' expressions, when there are any and it is configured. */
  private startProbe(a: WatchedAction): void {
    if (!this.d.prometheus || this.probes.has(a.id)) return;
    const exprs = this.d.store.incidentAlerts(a.incidentId).map((x) => alertExpression(x.generatorUrl));
    const expressions = [...new Set(exprs.filter((e): e is string => e !== undefined))];
    if (expressions.length === 0) return;
    const deps = { settings: this.d.prometheus, timers: this.d.timers, clock: this.d.clock, logger: this.d.logger };
    const probe = new PrometheusProbe(deps, a.id, expressions, (since) => {
      try {
        const now = this.d.store.watched(a.id);
        if (now) this.effective(now, since, 'prometheus');
      } catch (err) {
        this.d.logger.error(
          { actionId: a.id, err: { message: errorMessage(err) } },
          'verification by prometheus failed',
        );
      }
    });
    this.probes.set(a.id, probe);
    probe.start();
  }

  private evaluateIncident(incidentId: string): void {
    for (const id of [...this.timers.keys()]) {
      const a = this.d.store.watched(id);
      if (a?.incidentId === incidentId) this.evaluate(id, false);
    }
  }

  /** A new alert on a watched deployment is linked to the action(s) watching it. */
  private linkFiring(fingerprint: string): void {
    // Runs for every received alert: skip the lookup when nothing is being verified.
    if (this.timers.size === 0) return;
    const where = this.d.store.alertDeployment(fingerprint);
    if (!where?.runId) return;
    for (const id of this.timers.keys()) {
      const a = this.d.store.watched(id);
      if (!a || a.runId !== where.runId || a.incidentId === where.incidentId) continue;
      if (this.d.store.linkAlert(a, fingerprint, isoAt(this.d.clock))) {
        this.d.logger.info(
          { actionId: a.id, fingerprint },
          'new alert on the deployment linked to the action being verified',
        );
      }
    }
  }

  /**
   * Decides the outcome when it is known. Before the deadline only "effective" can be decided.
   * Returns true when the action is no longer watched (verified now or earlier).
   */
  evaluate(actionId: string, atDeadline: boolean): boolean {
    const a = this.d.store.watched(actionId);
    if (!a) return this.forget(actionId);
    const alerts = this.d.store.incidentAlerts(a.incidentId);
    const firing = alerts.filter((x) => x.status === 'firing').map((x) => x.fingerprint);
    if (alerts.length > 0 && firing.length === 0) return this.effective(a, lastResolved(alerts), 'alertmanager');
    const due = a.verifyUntil !== null && Date.parse(a.verifyUntil) <= this.d.clock.now();
    if (!atDeadline && !due) return false;
    return this.ineffective(a, firing);
  }

  private effective(a: WatchedAction, resolvedAt: number, by: VerificationSignal): boolean {
    const ttr = Math.max(0, Math.round((resolvedAt - Date.parse(a.appliedAt)) / 1000));
    const result = this.result(a.id, 'effective', ttr, [], by);
    const hold = this.d.prometheus?.holdSeconds ?? 0;
    const reason =
      by === 'prometheus'
        ? `Prometheus returned no series for ${hold} s, from ${ttr} s after the apply (${result.prometheus?.expressions.join('; ')})`
        : `alert resolved ${ttr} s after the apply (Alertmanager)`;
    this.d.store.complete(a, { ...result, linkedAlerts: this.d.store.linkedAlerts(a.id) }, reason);
    return this.forget(a.id);
  }

  private ineffective(a: WatchedAction, firing: string[]): boolean {
    const waited = Math.max(0, Math.round((this.d.clock.now() - Date.parse(a.appliedAt)) / 1000));
    const seen = this.probes.get(a.id)?.observation();
    // Prometheus decided when it still returned series; otherwise only Alertmanager's firing state says so.
    const by: VerificationSignal = seen?.last === 'firing' ? 'prometheus' : 'alertmanager';
    const still = by === 'prometheus' ? ` (Prometheus still returns series for ${seen?.expressions.join('; ')})` : '';
    const reason = `action ${a.id} was ineffective: alert still firing after ${waited} s${still}`;
    // A rollback that did not help is not rolled back again: that would ping-pong between revisions.
    const proposal = a.actionType === 'rollback' ? undefined : proposeRollback(this.d, a, reason);
    const result = { ...this.result(a.id, 'ineffective', null, firing, by), rollbackDecisionId: proposal?.id ?? null };
    if (!this.d.store.complete(a, { ...result, linkedAlerts: this.d.store.linkedAlerts(a.id) }, reason))
      return this.forget(a.id);
    this.forget(a.id);
    if (proposal) this.submit(proposal);
    return true;
  }

  /** Stores the rollback decision and hands a proposed one to the executor (policy → prepare → approval). */
  private submit(p: ReturnType<typeof proposeRollback>): void {
    this.d.decisions.insert(p);
    this.d.events.publish({ type: 'decision.created', decisionId: p.id, incidentId: p.incidentId, status: p.status });
    this.d.logger.warn(
      { decisionId: p.id, actionId: p.ofActionId, status: p.status },
      'rollback proposed after an ineffective action',
    );
    if (p.status === 'proposed') this.d.preparer.prepare(p.id);
  }

  private result(
    actionId: string,
    outcome: VerificationResult['outcome'],
    ttr: number | null,
    firing: string[],
    decidedBy: VerificationSignal,
  ): VerificationResult {
    return {
      outcome,
      timeToResolveSeconds: ttr,
      windowSeconds: this.d.windowSeconds,
      verifiedAt: isoAt(this.d.clock),
      firing,
      linkedAlerts: [],
      rollbackDecisionId: null,
      decidedBy,
      prometheus: this.probes.get(actionId)?.observation() ?? null,
    };
  }

  private forget(actionId: string): true {
    this.timers.get(actionId)?.();
    this.timers.delete(actionId);
    this.probes.get(actionId)?.stop();
    this.probes.delete(actionId);
    return true;
  }
}

function lastResolved(alerts: Array<{ resolvedAt: string | null }>): number {
  return Math.max(...alerts.map((x) => (x.resolvedAt ? Date.parse(x.resolvedAt) : 0)));
}
