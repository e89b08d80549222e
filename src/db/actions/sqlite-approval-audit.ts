import type Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import type { ApprovalAudit, ApprovalChannelName, Verdict } from '../../approvals/ports.js';
import { isoAt, type Clock } from '../../shared/clock.js';
import type { Ledger } from '../ledger/sqlite-ledger.js';
import { SqliteActionWriter } from './sqlite-action-writer.js';

/**
 * Records approval attempts that never reach the executor (a stranger's button press) and
 * channel events such as failed Telegram deliveries.
 */
export class SqliteApprovalAudit implements ApprovalAudit {
  private readonly writer: SqliteActionWriter;
  private readonly known: Statement<[string], { run_id: string; decision_id: string }>;

  constructor(
    private readonly db: Database.Database,
    private readonly ledger: Ledger,
    private readonly clock: Clock,
  ) {
    this.writer = new SqliteActionWriter(db, ledger);
    this.known = db.prepare('SELECT run_id, decision_id FROM actions WHERE id = ?');
  }

  recordRefusal(a: {
    actionId: string;
    verdict: Verdict;
    channel: ApprovalChannelName;
    actor: string;
    reason: string;
  }): void {
    const at = isoAt(this.clock);
    this.db.transaction(() => {
      this.writer.recordApproval({
        actionId: a.actionId,
        verdict: a.verdict,
        outcome: 'refused',
        channel: a.channel,
        actor: a.actor,
        reason: a.reason,
        planSha256: null,
        at,
      });
      const known = this.known.get(a.actionId);
      this.ledger.append({
        kind: 'approval.refused',
        at,
        actionId: a.actionId,
        runId: known?.run_id ?? null,
        decisionId: known?.decision_id ?? null,
        actor: a.actor,
        data: { verdict: a.verdict, channel: a.channel, reason: a.reason },
      });
    })();
  }

  recordEvent(kind: string, actionId: string | null, data: Record<string, unknown>): void {
    this.ledger.append({ kind, at: isoAt(this.clock), actionId, data });
  }
}
