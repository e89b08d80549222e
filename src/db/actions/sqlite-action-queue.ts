/**
 * The per-deployment queue of actions, in SQL: who holds a deployment, who is next, and each
 * queued action's position. Queue order is creation order, kept in `queue_seq` (numbered per
 * deployment when an action is queued), not in timestamps (two actions can share a millisecond).
 * Reads only; the action store does the writes inside its transactions.
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from '../connection/database.js';
import { HOLDING_STATUSES, type ActionStatus } from '../../actions/status.js';
import type { ActionRow } from './sqlite-action-rows.js';

const HOLDING_MARKS = HOLDING_STATUSES.map(() => '?').join(',');

export class SqliteActionQueue {
  private readonly s: Record<'holder' | 'last' | 'first' | 'ahead' | 'behind' | 'runs', Statement>;

  constructor(db: Db) {
    this.s = {
      holder: db.prepare(`SELECT id, status FROM actions WHERE run_id = ? AND status IN (${HOLDING_MARKS}) LIMIT 1`),
      last: db.prepare(
        "SELECT id, status, queue_seq FROM actions WHERE run_id = ? AND status = 'queued' ORDER BY queue_seq DESC LIMIT 1",
      ),
      first: db.prepare("SELECT * FROM actions WHERE run_id = ? AND status = 'queued' ORDER BY queue_seq LIMIT 1"),
      ahead: db.prepare("SELECT COUNT(*) AS n FROM actions WHERE run_id = ? AND status = 'queued' AND queue_seq < ?"),
      behind: db
        .prepare(
          "SELECT id FROM actions WHERE run_id = ? AND status = 'queued' AND queue_seq < ? ORDER BY queue_seq DESC LIMIT 1",
        )
        .pluck(),
      runs: db.prepare("SELECT DISTINCT run_id FROM actions WHERE status = 'queued' ORDER BY run_id").pluck(),
    };
  }

  /** The action holding the deployment, if any. */
  holder(runId: string): { id: string; status: ActionStatus } | undefined {
    return this.s.holder.get(runId, ...HOLDING_STATUSES) as { id: string; status: ActionStatus } | undefined;
  }

  /** The last queued action of the deployment, if any. */
  last(runId: string): { id: string; status: ActionStatus; queue_seq: number } | undefined {
    return this.s.last.get(runId) as { id: string; status: ActionStatus; queue_seq: number } | undefined;
  }

  /** The oldest queued action of the deployment, if any. */
  first(runId: string): ActionRow | undefined {
    return this.s.first.get(runId) as ActionRow | undefined;
  }

  /** 1 for the next to go, and the action directly ahead (the holder for position 1, when one holds). */
  position(row: Pick<ActionRow, 'run_id' | 'queue_seq'>): { position: number; behind: string | null } {
    const seq = row.queue_seq ?? 0;
    const { n } = this.s.ahead.get(row.run_id, seq) as { n: number };
    if (n === 0) return { position: 1, behind: this.holder(row.run_id)?.id ?? null };
    const ahead = this.s.behind.get(row.run_id, seq) as string;
    return { position: n + 1, behind: ahead };
  }

  /** Deployments with queued actions. */
  runs(): string[] {
    return this.s.runs.all() as string[];
  }
}
