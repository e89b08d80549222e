import type { ActionStatus } from '../../actions/status.js';
import type { Db } from '../connection/database.js';

/**
 * Read-only figures for the dashboard and /metrics, straight from the tables in schema.sql.
 * Other stores own the writes; this file only counts. Every figure is computed on its own and a
 * query that fails (a column renamed while the schema evolves) yields null instead of failing the
 * whole answer.
 */

export interface DayStats {
  since: string;
  alerts_received: number | null;
  alerts_analysed: number | null;
  decisions: number | null;
  actions_approved: number | null;
  actions_rejected: number | null;
  applied: number | null;
  failed: number | null;
  rolled_back: number | null;
  rollback_failed: number | null;
  effective: number | null;
  ineffective: number | null;
  pending_approvals: number | null;
  active_alerts: number | null;
}

/** Statuses meaning "a human must decide now". */
export const AWAITING_APPROVAL_STATUSES: readonly ActionStatus[] = ['awaiting_approval'];

type Figure = Exclude<keyof DayStats, 'since'>;

const pendingList = AWAITING_APPROVAL_STATUSES.map((s) => `'${s}'`).join(',');

/** Actions that reached `status` since @since, counted once per action. */
const reached = (status: ActionStatus) =>
  `SELECT COUNT(DISTINCT action_id) AS n FROM action_status_history WHERE status = '${status}' AND at >= @since`;

const DAY_SQL: Record<Figure, string> = {
  alerts_received: `SELECT COUNT(DISTINCT fingerprint) AS n FROM alert_events WHERE status = 'firing' AND at >= @since`,
  alerts_analysed: `SELECT COUNT(DISTINCT ia.fingerprint) AS n FROM incident_alerts ia
                    JOIN decisions d ON d.incident_id = ia.incident_id WHERE d.created_at >= @since`,
  decisions: `SELECT COUNT(*) AS n FROM decisions WHERE created_at >= @since`,
  actions_approved: `SELECT COUNT(DISTINCT action_id) AS n FROM approvals
                     WHERE verdict = 'approve' AND outcome = 'accepted' AND at >= @since`,
  actions_rejected: `SELECT COUNT(DISTINCT action_id) AS n FROM approvals
                     WHERE verdict = 'reject' AND outcome = 'accepted' AND at >= @since`,
  applied: reached('applied'),
  failed: reached('failed'),
  rolled_back: reached('rolled_back'),
  rollback_failed: reached('rollback_failed'),
  effective: reached('effective'),
  ineffective: reached('ineffective'),
  pending_approvals: `SELECT COUNT(*) AS n FROM actions WHERE status IN (${pendingList})`,
  active_alerts: `SELECT COALESCE(SUM(n), 0) AS n FROM alert_counts WHERE status = 'firing'`,
};

export class SqliteOpsQueries {
  constructor(private readonly db: Db) {}

  private count(sql: string, params: Record<string, unknown> = {}): number | null {
    try {
      const row = this.db.prepare(sql).get(params) as { n: number } | undefined;
      return row?.n ?? 0;
    } catch {
      return null;
    }
  }

  /** Figures since `sinceIso` (pending approvals and active alerts are "now"). Never throws. */
  dayStats(sinceIso: string): DayStats {
    const out = { since: sinceIso } as DayStats;
    for (const [k, sql] of Object.entries(DAY_SQL) as Array<[Figure, string]>) {
      out[k] = this.count(sql, sql.includes('@since') ? { since: sinceIso } : {});
    }
    return out;
  }

  /** Actions waiting for a human. @throws on a database error (the scrape reports it). */
  pendingApprovals(): number {
    const row = this.db.prepare(`SELECT COUNT(*) AS n FROM actions WHERE status IN (${pendingList})`).get() as {
      n: number;
    };
    return row.n;
  }

  /** Actions queued behind another on their deployment. @throws on a database error. */
  queuedActions(): number {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM actions WHERE status = 'queued'").get() as { n: number }).n;
  }

  /** Age in seconds of the oldest pending approval, 0 when none. */
  oldestPendingAgeSeconds(nowMs: number): number {
    const row = this.db.prepare(`SELECT MIN(updated_at) AS t FROM actions WHERE status IN (${pendingList})`).get() as {
      t: string | null;
    };
    if (row.t === null) return 0;
    return Math.max(0, (nowMs - Date.parse(row.t)) / 1000);
  }

  /** Currently firing alerts by severity, from the trigger-kept alert_counts (a GROUP BY over alerts cost ~60 ms per scrape at 250k). */
  firingAlerts(): Array<{ severity: string; n: number }> {
    return this.db
      .prepare(`SELECT severity, n FROM alert_counts WHERE status = 'firing' AND n > 0 ORDER BY severity`)
      .all() as Array<{ severity: string; n: number }>;
  }

  /** Action type and source of a decision, for metric labels. Undefined when absent or unreadable. */
  decisionLabels(id: string): { action: string; source: string } | undefined {
    try {
      return this.db.prepare('SELECT action_type AS action, source FROM decisions WHERE id = ?').get(id) as
        { action: string; source: string } | undefined;
    } catch {
      return undefined;
    }
  }

  /** The action type of an action, for metric labels. */
  actionType(id: string): string | undefined {
    try {
      const row = this.db.prepare('SELECT action_type AS t FROM actions WHERE id = ?').get(id) as
        { t: string } | undefined;
      return row?.t;
    } catch {
      return undefined;
    }
  }
}
