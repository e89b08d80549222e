/** Collaborators verification takes from outside; main.ts adapts the real ones. */
import type { PolicyVerdict } from '../policy/evaluate.js';

/** An applied action that has not been verified yet, as verification needs it. */
export interface WatchedAction {
  id: string;
  decisionId: string;
  /** The incident whose alerts decide the outcome. Actions without one are never watched. */
  incidentId: string;
  runId: string;
  actionType: string;
  targetAddress: string;
  /** When the action reached `applied` (ISO). */
  appliedAt: string;
  /** The stored verification deadline (ISO), or null before the watch started. */
  verifyUntil: string | null;
  /** The revision the action was prepared from (the configuration before it); a rollback restores it. */
  baseRevisionId: string | null;
}

/** One alert of the watched incident. */
export interface WatchedAlert {
  fingerprint: string;
  status: 'firing' | 'resolved';
  resolvedAt: string | null;
  /** Alertmanager's `generatorURL` as stored (Prometheus puts the rule's expression in `g0.expr`). */
  generatorUrl: string | null;
}

export type VerificationOutcome = 'effective' | 'ineffective';

/** Which signal decided the outcome: Alertmanager's resolve (or its alerts still firing), or Prometheus' query. */
export type VerificationSignal = 'alertmanager' | 'prometheus';

/** What the Prometheus probe saw, kept with the result (null when there was no probe). */
export interface PrometheusObservation {
  expressions: string[];
  holdSeconds: number;
  /** The last answer: `firing` (some expression returned series), `empty`, `error`, or null before the first. */
  last: 'firing' | 'empty' | 'error' | null;
  lastCheckedAt: string | null;
  /** Since when every expression has been answering an empty vector, without a break (ISO). */
  emptySince: string | null;
  /** The last error message (a failed or timed-out query), if any. */
  lastError: string | null;
}

/** What verification records about an outcome (stored with the action, shown in the API). */
export interface VerificationResult {
  outcome: VerificationOutcome;
  /** Seconds from `applied` to the last alert resolving; null when ineffective. */
  timeToResolveSeconds: number | null;
  windowSeconds: number;
  verifiedAt: string;
  firing: string[];
  linkedAlerts: string[];
  /** The rollback decision proposed for an ineffective action, when one was. */
  rollbackDecisionId: string | null;
  decidedBy: VerificationSignal;
  prometheus: PrometheusObservation | null;
}

/**
 * Durable verification state over the actions table. Every method is synchronous and atomic.
 */
export interface VerificationStore {
  /** Applied, unverified actions that have an incident, oldest first (start-up re-arm). Reads only. */
  watchable(): WatchedAction[];
  /** The action if it is applied, unverified and has an incident; else undefined. Reads only. */
  watched(actionId: string): WatchedAction | undefined;
  /** Records the deadline once: a second call keeps the first value. Returns the stored deadline. */
  setDeadline(actionId: string, verifyUntil: string): string | null;
  /** Every alert that joined the incident. Reads only. */
  incidentAlerts(incidentId: string): WatchedAlert[];
  /** The deployment and incident an alert was matched to, if any. Reads only. */
  alertDeployment(fingerprint: string): { runId: string | null; incidentId: string | null } | undefined;
  /**
   * Links a new alert to a watched action (ledger `verification.alert_linked`). Idempotent:
   * returns false when that alert was already linked to that action.
   */
  linkAlert(action: WatchedAction, fingerprint: string, at: string): boolean;
  /** Fingerprints linked to the action so far. Reads only. */
  linkedAlerts(actionId: string): string[];
  /**
   * In one transaction: stores verified_at and the result, moves the action applied → outcome
   * (history row, ledger event, `action.status` event through the executor's store) and appends
   * `verification.<outcome>` to the ledger. Returns false (nothing written) when the action is no
   * longer `applied` (already verified, e.g. by a concurrent path).
   */
  complete(action: WatchedAction, result: VerificationResult, reason: string): boolean;
}

/** A decision verification proposes (always a rollback of an ineffective action). */
export interface ProposedDecision {
  id: string;
  incidentId: string;
  runId: string;
  resourceAddress: string;
  actionType: 'rollback';
  resourceId: string;
  parameters: Record<string, never>;
  confidence: number;
  reason: string;
  source: 'verification';
  status: 'proposed' | 'blocked_by_policy';
  policyVerdict: PolicyVerdict;
  /** The ineffective action this undoes. */
  ofActionId: string;
  /**
   * The revision to restore: the undone action's base. Pinned so a later, unrelated apply on the
   * same deployment is not undone too (null: the executor falls back to the previous revision).
   */
  rollbackRevisionId: string | null;
  createdAt: string;
}

/** Where verification's decisions go. */
export interface DecisionSink {
  /** Inserts the decision and its ledger entry (`decision.created`, actor `verification`) atomically. */
  insert(decision: ProposedDecision): void;
}

/** The answer to one instant query. */
export type QueryAnswer = { ok: true; series: number } | { ok: false; error: string };

/**
 * Prometheus' instant query (`GET /api/v1/query`). Adapter: src/compose/prometheus-http-query.ts.
 */
export interface PrometheusQuery {
  /**
   * Evaluates `expr` at the current time and counts the series of the result. Never throws and
   * never hangs past its timeout: a failure (unreachable, non-2xx, `status:"error"`, a malformed
   * body, a timeout) is `{ ok: false, error }` naming it. Read-only, idempotent.
   */
  seriesCount(expr: string): Promise<QueryAnswer>;
}

/** One-shot timers without touching setTimeout in domain code. */
export interface Timers {
  /** Calls `fn` once after `ms` (0 or less: as soon as possible). Returns a cancel function. */
  after(ms: number, fn: () => void): () => void;
}

export const realTimers: Timers = {
  after(ms, fn) {
    // setTimeout's delay is a signed 32-bit int; longer waits are re-armed in steps.
    const MAX = 2_000_000_000;
    let cancelled = false;
    let t: ReturnType<typeof setTimeout>;
    const arm = (left: number) => {
      t = setTimeout(() => (left > MAX ? arm(left - MAX) : cancelled || fn()), Math.max(0, Math.min(left, MAX)));
      t.unref();
    };
    arm(ms);
    return () => {
      cancelled = true;
      clearTimeout(t);
    };
  },
};
