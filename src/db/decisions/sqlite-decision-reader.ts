import type { Statement } from 'better-sqlite3';
import type { Db } from '../connection/database.js';
import type { DecisionReader, ExecutorDecision } from '../../executor/ports.js';

interface Row {
  id: string;
  incident_id: string | null;
  run_id: string | null;
  resource_address: string | null;
  action_type: string;
  parameters_json: string;
  rollback_revision_id: string | null;
}

/** Reads decisions (owned by the agent's store) for the executor. Reads only. */
export class SqliteDecisionReader implements DecisionReader {
  private readonly s: Record<'get' | 'unprepared' | 'open', Statement>;

  constructor(db: Db) {
    this.s = {
      get: db.prepare(
        'SELECT id, incident_id, run_id, resource_address, action_type, parameters_json, rollback_revision_id FROM decisions WHERE id = ?',
      ),
      unprepared: db
        .prepare(
          `SELECT d.id FROM decisions d WHERE d.status = 'proposed' AND d.incident_id IS NOT NULL
           AND d.run_id IS NOT NULL AND d.resource_address IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM actions a WHERE a.decision_id = d.id)
         ORDER BY d.created_at LIMIT ?`,
        )
        .pluck(),
      open: db.prepare("SELECT 1 FROM incidents WHERE id = ? AND status = 'open'"),
    };
  }

  get(decisionId: string): ExecutorDecision | undefined {
    const r = this.s.get.get(decisionId) as Row | undefined;
    if (!r) return undefined;
    let parameters: Record<string, unknown> = {};
    try {
      const parsed: unknown = JSON.parse(r.parameters_json);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed))
        parameters = parsed as Record<string, unknown>;
    } catch {
      // An unreadable parameter set acts as none: the edit planner refuses it with a reason.
    }
    return {
      id: r.id,
      incidentId: r.incident_id,
      runId: r.run_id,
      resourceAddress: r.resource_address,
      actionType: r.action_type,
      parameters,
      rollbackRevisionId: r.rollback_revision_id,
    };
  }

  proposedWithoutAction(limit: number): string[] {
    return this.s.unprepared.all(limit) as string[];
  }

  incidentOpen(incidentId: string): boolean {
    return this.s.open.get(incidentId) !== undefined;
  }
}
