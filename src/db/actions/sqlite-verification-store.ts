import type { Db } from '../connection/database.js';
import type { Ledger } from '../ledger/sqlite-ledger.js';
import type { Statement } from 'better-sqlite3';
import type { VerificationResult, VerificationStore, WatchedAction, WatchedAlert } from '../../verification/ports.js';
import type { SqliteActionStore } from './sqlite-action-store.js';
import type { SqliteActionWriter } from './sqlite-action-writer.js';

interface WatchRow {
  id: string;
  decision_id: string;
  incident_id: string;
  run_id: string;
  action_type: string;
  target_address: string;
  verify_until: string | null;
  applied_at: string | null;
  updated_at: string;
  base_revision_id: string | null;
}

const WATCH_SELECT = `
  SELECT a.id, a.decision_id, a.incident_id, a.run_id, a.action_type, a.target_address, a.verify_until, a.updated_at, a.base_revision_id,
    (SELECT MAX(h.at) FROM action_status_history h WHERE h.action_id = a.id AND h.status = 'applied') AS applied_at
  FROM actions a
  WHERE a.status = 'applied' AND a.verified_at IS NULL AND a.incident_id IS NOT NULL`;

function toWatched(r: WatchRow): WatchedAction {
  return {
    id: r.id,
    decisionId: r.decision_id,
    incidentId: r.incident_id,
    runId: r.run_id,
    actionType: r.action_type,
    targetAddress: r.target_address,
    appliedAt: r.applied_at ?? r.updated_at,
    verifyUntil: r.verify_until,
    baseRevisionId: r.base_revision_id,
  };
}

/**
 * Verification over the actions table: it owns `verify_until`, `verified_at` and the
 * `verification` key of `result_json` (written through the action writer); status changes go
 * through the ActionLifecycle so history, ledger and events are written in one place.
 */
export class SqliteVerificationStore implements VerificationStore {
  // Prepared once: alertDeployment runs on every `alert.received` event and watched() once per
  // watched action per event, so re-preparing them was a measurable share of intake CPU.
  private readonly alertDeploymentStmt;
  private readonly watchedStmt;
  private readonly deadlineStmt: Statement<[string], { verify_until: string | null }>;
  private readonly writer: SqliteActionWriter;
  private readonly watchableStmt: Statement<[], WatchRow>;
  private readonly incidentAlertsStmt: Statement<[string], WatchedAlert>;
  private readonly linkedStmt: Statement<[string], string>;
  private readonly appliedResultStmt: Statement<[string], { result_json: string | null }>;

  constructor(
    private readonly db: Db,
    private readonly actions: SqliteActionStore,
    private readonly ledger: Ledger,
  ) {
    this.writer = actions.writer;
    this.deadlineStmt = db.prepare('SELECT verify_until FROM actions WHERE id = ?');
    this.alertDeploymentStmt = db.prepare<[string], { runId: string | null; incidentId: string | null }>(
      'SELECT run_id AS runId, incident_id AS incidentId FROM alerts WHERE fingerprint = ?',
    );
    this.watchedStmt = db.prepare<[string], WatchRow>(`${WATCH_SELECT} AND a.id = ?`);
    this.watchableStmt = db.prepare<[], WatchRow>(`${WATCH_SELECT} ORDER BY a.updated_at, a.id`);
    this.incidentAlertsStmt = db.prepare<[string], WatchedAlert>(
      `SELECT a.fingerprint, a.status, a.resolved_at AS resolvedAt, a.generator_url AS generatorUrl FROM incident_alerts ia
       JOIN alerts a ON a.fingerprint = ia.fingerprint WHERE ia.incident_id = ? ORDER BY ia.joined_at`,
    );
    this.linkedStmt = db
      .prepare<[string], string>(
        "SELECT DISTINCT fingerprint FROM ledger WHERE action_id = ? AND kind = 'verification.alert_linked' ORDER BY id",
      )
      .pluck();
    this.appliedResultStmt = db.prepare<[string], { result_json: string | null }>(
      "SELECT result_json FROM actions WHERE id = ? AND status = 'applied' AND verified_at IS NULL",
    );
  }

  watchable(): WatchedAction[] {
    return this.watchableStmt.all().map(toWatched);
  }

  watched(actionId: string): WatchedAction | undefined {
    const r = this.watchedStmt.get(actionId);
    return r ? toWatched(r) : undefined;
  }

  setDeadline(actionId: string, verifyUntil: string): string | null {
    this.writer.setVerifyDeadline(actionId, verifyUntil);
    const r = this.deadlineStmt.get(actionId);
    return r?.verify_until ?? null;
  }

  incidentAlerts(incidentId: string): WatchedAlert[] {
    return this.incidentAlertsStmt.all(incidentId);
  }

  alertDeployment(fingerprint: string): { runId: string | null; incidentId: string | null } | undefined {
    return this.alertDeploymentStmt.get(fingerprint);
  }

  linkAlert(a: WatchedAction, fingerprint: string, at: string): boolean {
    return this.db.transaction(() => {
      if (this.linkedAlerts(a.id).includes(fingerprint)) return false;
      this.ledger.append({
        kind: 'verification.alert_linked',
        at,
        actionId: a.id,
        runId: a.runId,
        incidentId: a.incidentId,
        fingerprint,
        actor: 'verification',
        data: { reason: `new alert on deployment "${a.runId}" while action ${a.id} is being verified` },
      });
      return true;
    })();
  }

  linkedAlerts(actionId: string): string[] {
    return this.linkedStmt.all(actionId);
  }

  complete(a: WatchedAction, result: VerificationResult, reason: string): boolean {
    try {
      this.db.transaction(() => {
        const row = this.appliedResultStmt.get(a.id);
        if (!row) throw NOT_APPLIED;
        const previous = row.result_json ? (JSON.parse(row.result_json) as Record<string, unknown>) : {};
        this.writer.markVerified(a.id, result.verifiedAt);
        this.ledger.append({
          kind: `verification.${result.outcome}`,
          at: result.verifiedAt,
          actionId: a.id,
          runId: a.runId,
          incidentId: a.incidentId,
          decisionId: a.decisionId,
          actor: 'verification',
          data: snake(result),
        });
        // Last, so listeners of the action.status event it publishes see everything above: the
        // executor's transition writes status, history row and `action.<outcome>` ledger event.
        const merged = { ...previous, verification: snake(result) };
        if (!this.actions.transition(a.id, ['applied'], result.outcome, reason, { result: merged })) throw NOT_APPLIED;
      })();
      return true;
    } catch (err) {
      if (err === NOT_APPLIED) return false;
      throw err;
    }
  }
}

/** Thrown inside the transaction to roll it back when the action is no longer applied. */
const NOT_APPLIED = new Error('action is no longer applied');

function snake(r: VerificationResult): Record<string, unknown> {
  return {
    outcome: r.outcome,
    time_to_resolve_seconds: r.timeToResolveSeconds,
    window_seconds: r.windowSeconds,
    verified_at: r.verifiedAt,
    still_firing: r.firing,
    linked_alerts: r.linkedAlerts,
    rollback_decision_id: r.rollbackDecisionId,
    decided_by: r.decidedBy,
    prometheus: r.prometheus && {
      expressions: r.prometheus.expressions,
      hold_seconds: r.prometheus.holdSeconds,
      last: r.prometheus.last,
      last_checked_at: r.prometheus.lastCheckedAt,
      empty_since: r.prometheus.emptySince,
      last_error: r.prometheus.lastError,
    },
  };
}
