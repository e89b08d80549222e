import type { Statement } from 'better-sqlite3';
import type { Db } from '../connection/database.js';
import type { Ledger } from '../ledger/sqlite-ledger.js';
import { isoAt, type Clock } from '../../shared/clock.js';
import type { ActionStatus } from '../../actions/status.js';
import type { ActionLifecycle } from '../../actions/lifecycle.js';
import type { VerdictRequest, VerdictResult } from '../../actions/verdict.js';
import type { SqliteActionWriter } from './sqlite-action-writer.js';
import { ok, refuse } from '../../shared/result.js';

interface VerdictRow {
  run_id: string;
  status: ActionStatus;
  expires_at: string | null;
  plan_sha256: string | null;
  decision_id: string;
  incident_id: string | null;
}

/** What happened to a verdict; `recorded` is false only when the action does not exist. */
export interface VerdictOutcome {
  result: VerdictResult;
  recorded: boolean;
}

const EXPIRED_REASON = 'nobody decided before the approval expired';

/**
 * The single-use approval as one SQLite transaction: a compare-and-set from 'awaiting_approval'
 * (through the lifecycle) that also checks the expiry and the plan hash, so however many callers
 * race, exactly one wins. Accepted and refused attempts both leave an approvals row and a ledger row.
 */
export class SqliteVerdicts {
  private readonly row: Statement<[string], VerdictRow>;

  constructor(
    db: Db,
    private readonly writer: SqliteActionWriter,
    private readonly lifecycle: ActionLifecycle,
    private readonly ledger: Ledger,
    private readonly clock: Clock,
  ) {
    this.row = db.prepare(
      'SELECT run_id, status, expires_at, plan_sha256, decision_id, incident_id FROM actions WHERE id = ?',
    );
  }

  submit(input: VerdictRequest): VerdictOutcome {
    const now = isoAt(this.clock);
    return this.lifecycle.run((tx): VerdictOutcome => {
      const row = this.row.get(input.actionId);
      if (!row)
        return { result: refuse('ERR_ACTION_NOT_FOUND', `action ${input.actionId} not found`), recorded: false };
      const to: ActionStatus = input.verdict === 'approve' ? 'approved' : 'rejected';
      const hashOk = input.planSha256 === undefined || input.planSha256 === row.plan_sha256;
      const accepted =
        hashOk &&
        tx.change({
          id: input.actionId,
          from: ['awaiting_approval'],
          to,
          reason: input.reason ?? null,
          unexpiredAt: now,
          verdict: { decidedBy: input.actor, decidedVia: input.channel, decidedAt: now },
          detail: `${input.verdict} by ${input.actor} via ${input.channel}`,
          actor: input.actor,
          linkIds: true,
        });
      const result: VerdictResult = accepted ? ok({ status: to }) : refusal(row, hashOk, now, input.actionId);
      if (!accepted && row.status === 'awaiting_approval' && row.expires_at !== null && row.expires_at <= now) {
        // A late attempt is what notices the expiry first; record it now rather than at the next sweep.
        tx.change({
          id: input.actionId,
          from: ['awaiting_approval'],
          to: 'expired',
          reason: EXPIRED_REASON,
          linkIds: true,
        });
      }
      this.record(input, result, row, now);
      return { result, recorded: true };
    });
  }

  private record(input: VerdictRequest, result: VerdictResult, row: VerdictRow, now: string): void {
    this.writer.recordApproval({
      actionId: input.actionId,
      verdict: input.verdict,
      outcome: result.ok ? 'accepted' : 'refused',
      channel: input.channel,
      actor: input.actor,
      reason: input.reason ?? (result.ok ? null : result.message),
      planSha256: input.planSha256 ?? null,
      at: now,
    });
    this.ledger.append({
      kind: result.ok ? 'approval.accepted' : 'approval.refused',
      at: now,
      actionId: input.actionId,
      runId: row.run_id,
      decisionId: row.decision_id,
      incidentId: row.incident_id,
      actor: input.actor,
      data: {
        verdict: input.verdict,
        channel: input.channel,
        ...(result.ok ? {} : { code: result.code, message: result.message }),
      },
    });
  }
}

function refusal(row: VerdictRow, hashOk: boolean, now: string, id: string): VerdictResult {
  if (row.status === 'obsolete')
    return refuse('ERR_ACTION_OBSOLETE', `action ${id} is obsolete: its incident resolved`);
  if (
    row.status === 'expired' ||
    (row.status === 'awaiting_approval' && row.expires_at !== null && row.expires_at <= now)
  ) {
    return refuse('ERR_APPROVAL_EXPIRED', `the approval for action ${id} expired at ${row.expires_at ?? '?'}`);
  }
  if (row.status === 'awaiting_approval' && !hashOk) {
    return refuse(
      'ERR_CONFLICT',
      `plan hash does not match the plan of action ${id} (${row.plan_sha256 ?? 'none'}); look at the current plan and decide again`,
    );
  }
  if (row.status === 'awaiting_approval') return refuse('ERR_CONFLICT', `action ${id} has no expiry set`);
  return refuse('ERR_APPROVAL_ALREADY_DECIDED', `action ${id} is ${row.status}, not awaiting approval`);
}
