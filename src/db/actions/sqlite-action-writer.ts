import type { Statement } from 'better-sqlite3';
import type { Db } from '../connection/database.js';
import type { Ledger } from '../ledger/sqlite-ledger.js';
import type { ActionStatus } from '../../actions/status.js';
import type { ActionPatch, NewAction } from '../../actions/action-store.js';
import type { ActionRef, ActionStatusWrites, StatusChange, StatusRecord } from '../../actions/lifecycle.js';

const PATCH_COLUMNS: Record<keyof ActionPatch, string> = {
  stagingDir: 'staging_dir',
  baseRevisionId: 'base_revision_id',
  revisionId: 'revision_id',
  planSha256: 'plan_sha256',
  planSummary: 'plan_summary_json',
  planJson: 'plan_json',
  diff: 'diff',
  changes: 'changes_json',
  files: 'files_json',
  gate: 'gate_json',
  fixAttempts: 'fix_attempts_json',
  tfOutput: 'tf_output',
  rollback: 'rollback_json',
  result: 'result_json',
  expiresAt: 'expires_at',
  sources: 'sources_json',
  sourceChanges: 'source_changes_json',
};
const PLAIN = new Set(['stagingDir', 'baseRevisionId', 'revisionId', 'planSha256', 'diff', 'expiresAt']);

/** One approval attempt, accepted or refused (the `approvals` table). */
export interface ApprovalAttempt {
  actionId: string;
  verdict: string;
  outcome: 'accepted' | 'refused';
  channel: string;
  actor: string;
  reason: string | null;
  planSha256: string | null;
  at: string;
}

/**
 * The only module that writes `actions`, `action_status_history` and `approvals`. Status changes
 * come only from the ActionLifecycle (actions/lifecycle.ts), which checks the transition first.
 * Fixed statements are prepared once here; the patch's column list is built per call.
 */
export class SqliteActionWriter implements ActionStatusWrites {
  private readonly s: Record<'insert' | 'ref' | 'history' | 'approval' | 'deadline' | 'verified', Statement>;

  constructor(
    private readonly db: Db,
    private readonly ledger: Ledger,
  ) {
    this.s = {
      insert: db.prepare(
        `INSERT INTO actions (id, decision_id, incident_id, run_id, action_type, target_address, parameters_json,
           status, status_reason, queue_seq, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      ref: db.prepare(
        'SELECT run_id AS runId, decision_id AS decisionId, incident_id AS incidentId FROM actions WHERE id = ?',
      ),
      history: db.prepare('INSERT INTO action_status_history (action_id, status, detail, at) VALUES (?, ?, ?, ?)'),
      approval: db.prepare(
        `INSERT INTO approvals (action_id, verdict, outcome, channel, actor, reason, plan_sha256, at)
         VALUES (@actionId, @verdict, @outcome, @channel, @actor, @reason, @planSha256, @at)`,
      ),
      deadline: db.prepare(
        "UPDATE actions SET verify_until = ? WHERE id = ? AND verify_until IS NULL AND status = 'applied'",
      ),
      verified: db.prepare('UPDATE actions SET verified_at = ? WHERE id = ?'),
    };
  }

  transaction<T>(work: () => T): T {
    return this.db.transaction(work)();
  }

  insert(
    id: string,
    a: NewAction,
    status: ActionStatus,
    reason: string | null,
    queueSeq: number | null,
    at: string,
  ): void {
    this.s.insert.run(
      id,
      a.decisionId,
      a.incidentId,
      a.runId,
      a.actionType,
      a.targetAddress,
      JSON.stringify(a.parameters),
      status,
      reason,
      queueSeq,
      at,
      at,
    );
  }

  setStatus(c: StatusChange, at: string): ActionRef | null {
    const { sets, values } = patchSql(c.patch ?? {});
    const v = c.verdict;
    const verdictSets = v ? ', decided_by = ?, decided_via = ?, decided_at = ?' : '';
    const verdictValues = v ? [v.decidedBy, v.decidedVia, v.decidedAt] : [];
    const expiry = c.unexpiredAt === undefined ? '' : ' AND expires_at > ?';
    const marks = c.from.map(() => '?').join(',');
    const r = this.db
      .prepare(
        `UPDATE actions SET status = ?, status_reason = ?, updated_at = ?${sets}${verdictSets}
        WHERE id = ? AND status IN (${marks})${expiry}`,
      )
      .run(
        c.to,
        c.reason,
        at,
        ...values,
        ...verdictValues,
        c.id,
        ...c.from,
        ...(c.unexpiredAt === undefined ? [] : [c.unexpiredAt]),
      );
    return r.changes === 1 ? (this.s.ref.get(c.id) as ActionRef) : null;
  }

  recordStatus(r: StatusRecord): void {
    this.s.history.run(r.actionId, r.status, r.detail, r.at);
    this.ledger.append({
      kind: `action.${r.status}`,
      at: r.at,
      actionId: r.actionId,
      runId: r.ref.runId,
      decisionId: r.linkIds ? r.ref.decisionId : null,
      incidentId: r.linkIds ? r.ref.incidentId : null,
      actor: r.actor,
      data: r.detail ? { reason: r.detail } : {},
    });
  }

  /** Records columns without a status change. */
  patch(id: string, patch: ActionPatch, at: string): void {
    const { sets, values } = patchSql(patch);
    if (sets === '') return;
    this.db.prepare(`UPDATE actions SET updated_at = ?${sets} WHERE id = ?`).run(at, ...values, id);
  }

  recordApproval(a: ApprovalAttempt): void {
    this.s.approval.run(a);
  }

  /** Sets the verification deadline once, while the action is applied; returns the deadline in force. */
  setVerifyDeadline(id: string, verifyUntil: string): void {
    this.s.deadline.run(verifyUntil, id);
  }

  markVerified(id: string, at: string): void {
    this.s.verified.run(at, id);
  }
}

function patchSql(patch: ActionPatch): { sets: string; values: unknown[] } {
  let sets = '';
  const values: unknown[] = [];
  for (const [key, value] of Object.entries(patch) as Array<[keyof ActionPatch, unknown]>) {
    if (value === undefined) continue;
    sets += `, ${PATCH_COLUMNS[key]} = ?`;
    values.push(PLAIN.has(key) || value === null ? value : JSON.stringify(value));
  }
  return { sets, values };
}
