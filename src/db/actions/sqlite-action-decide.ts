import type { Db } from '../connection/database.js';
import type { Ledger } from '../ledger/sqlite-ledger.js';
import { isoAt, type Clock } from '../../shared/clock.js';
import type { ActionStatus } from '../../actions/status.js';
import type { DecideInput, DecideResult } from '../../actions/action-store.js';

interface Outcome {
  result: DecideResult;
  /** Set when the action changed status (approved, rejected, or expired on a late attempt). */
  transitionedTo?: ActionStatus;
  runId: string;
  /** False only when the action does not exist (nothing to attach the attempt to). */
  recorded: boolean;
}

/**
 * The single-use approval as one SQLite transaction: a compare-and-set from 'awaiting_approval'
 * that also checks the expiry and the plan hash, so however many callers race, exactly one wins.
 */
export function decideAtomically(db: Db, ledger: Ledger, clock: Clock, input: DecideInput): Outcome {
  const now = isoAt(clock);
  return db.transaction((): Outcome => {
    const row = db.prepare('SELECT run_id, status, expires_at, plan_sha256, decision_id, incident_id FROM actions WHERE id = ?').get(input.actionId) as
      | { run_id: string; status: string; expires_at: string | null; plan_sha256: string | null; decision_id: string; incident_id: string | null }
      | undefined;
    if (!row) {
      return { result: { ok: false, code: 'ERR_ACTION_NOT_FOUND', message: `action ${input.actionId} not found` }, runId: '', recorded: false };
    }
    const to: ActionStatus = input.verdict === 'approve' ? 'approved' : 'rejected';
    const hashOk = input.planSha256 === undefined || input.planSha256 === row.plan_sha256;
    const r = hashOk
      ? db.prepare(
          `UPDATE actions SET status = ?, status_reason = ?, decided_by = ?, decided_via = ?, decided_at = ?, updated_at = ?
           WHERE id = ? AND status = 'awaiting_approval' AND expires_at > ?`,
        ).run(to, input.reason ?? null, input.actor, input.channel, now, now, input.actionId, now)
      : { changes: 0 };
    let result: DecideResult;
    let transitionedTo: ActionStatus | undefined;
    if (r.changes === 1) {
      result = { ok: true, status: to };
      transitionedTo = to;
      history(db, ledger, input.actionId, row, to, `${input.verdict} by ${input.actor} via ${input.channel}`, now, input.actor);
    } else {
      result = refusal(row, hashOk, now, input.actionId);
      if (row.status === 'awaiting_approval' && row.expires_at !== null && row.expires_at <= now) {
        // A late attempt is what notices the expiry first; record it now rather than at the next sweep.
        db.prepare("UPDATE actions SET status = 'expired', status_reason = ?, updated_at = ? WHERE id = ? AND status = 'awaiting_approval'")
          .run('nobody decided before the approval expired', now, input.actionId);
        history(db, ledger, input.actionId, row, 'expired', 'nobody decided before the approval expired', now, null);
        transitionedTo = 'expired';
      }
    }
    db.prepare(
      `INSERT INTO approvals (action_id, verdict, outcome, channel, actor, reason, plan_sha256, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(input.actionId, input.verdict, result.ok ? 'accepted' : 'refused', input.channel, input.actor,
      input.reason ?? (result.ok ? null : result.message), input.planSha256 ?? null, now);
    ledger.append({
      kind: result.ok ? 'approval.accepted' : 'approval.refused', at: now, actionId: input.actionId, runId: row.run_id,
      decisionId: row.decision_id, incidentId: row.incident_id, actor: input.actor,
      data: { verdict: input.verdict, channel: input.channel, ...(result.ok ? {} : { code: result.code, message: result.message }) },
    });
    return { result, ...(transitionedTo ? { transitionedTo } : {}), runId: row.run_id, recorded: true };
  })();
}

function refusal(row: { status: string; expires_at: string | null; plan_sha256: string | null }, hashOk: boolean, now: string, id: string): DecideResult {
  if (row.status === 'obsolete') return { ok: false, code: 'ERR_ACTION_OBSOLETE', message: `action ${id} is obsolete: its incident resolved` };
  if (row.status === 'expired' || (row.status === 'awaiting_approval' && row.expires_at !== null && row.expires_at <= now)) {
    return { ok: false, code: 'ERR_APPROVAL_EXPIRED', message: `the approval for action ${id} expired at ${row.expires_at ?? '?'}` };
  }
  if (row.status === 'awaiting_approval' && !hashOk) {
    return { ok: false, code: 'ERR_CONFLICT', message: `plan hash does not match the plan of action ${id} (${row.plan_sha256 ?? 'none'}); look at the current plan and decide again` };
  }
  if (row.status === 'awaiting_approval') return { ok: false, code: 'ERR_CONFLICT', message: `action ${id} has no expiry set` };
  return { ok: false, code: 'ERR_APPROVAL_ALREADY_DECIDED', message: `action ${id} is ${row.status}, not awaiting approval` };
}

function history(
  db: Db, ledger: Ledger, id: string, row: { run_id: string; decision_id: string; incident_id: string | null },
  status: ActionStatus, detail: string, at: string, actor: string | null,
): void {
  db.prepare('INSERT INTO action_status_history (action_id, status, detail, at) VALUES (?, ?, ?, ?)').run(id, status, detail, at);
  ledger.append({ kind: `action.${status}`, at, actionId: id, runId: row.run_id, decisionId: row.decision_id, incidentId: row.incident_id, actor, data: { reason: detail } });
}
