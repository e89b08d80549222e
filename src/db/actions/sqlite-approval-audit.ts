import type Database from 'better-sqlite3';
import type { ApprovalAudit, ApprovalChannelName, Verdict } from '../../approvals/ports.js';
import { isoAt, type Clock } from '../../shared/clock.js';
import type { Ledger } from '../ledger/sqlite-ledger.js';

/**
 * Records approval attempts that never reach the executor (a stranger's button press) and
 * channel events such as failed Telegram deliveries.
 */
export class SqliteApprovalAudit implements ApprovalAudit {
  constructor(
    private readonly db: Database.Database,
    private readonly ledger: Ledger,
    private readonly clock: Clock,
  ) {}

  recordRefusal(a: { actionId: string; verdict: Verdict; channel: ApprovalChannelName; actor: string; reason: string }): void {
    const at = isoAt(this.clock);
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO approvals (action_id, verdict, outcome, channel, actor, reason, at)
           VALUES (?, ?, 'refused', ?, ?, ?, ?)`,
        )
        .run(a.actionId, a.verdict, a.channel, a.actor, a.reason, at);
      const known = this.db.prepare('SELECT run_id, decision_id FROM actions WHERE id = ?').get(a.actionId) as
        | { run_id: string; decision_id: string }
        | undefined;
      this.ledger.append({
        kind: 'approval.refused', at, actionId: a.actionId, runId: known?.run_id ?? null,
        decisionId: known?.decision_id ?? null, actor: a.actor,
        data: { verdict: a.verdict, channel: a.channel, reason: a.reason },
      });
    })();
  }

  recordEvent(kind: string, actionId: string | null, data: Record<string, unknown>): void {
    this.ledger.append({ kind, at: isoAt(this.clock), actionId, data });
  }
}
