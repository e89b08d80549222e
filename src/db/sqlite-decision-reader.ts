import type { Db } from './database.js';
import type { DecisionReader, ExecutorDecision } from '../executor/ports.js';

interface Row {
  id: string; incident_id: string | null; run_id: string | null; resource_address: string | null;
  action_type: string; parameters_json: string; rollback_revision_id: string | null;
}

/** Reads decisions (owned by the agent's store) for the executor. Reads only. */
export class SqliteDecisionReader implements DecisionReader {
  constructor(private readonly db: Db) {}

  get(decisionId: string): ExecutorDecision | undefined {
    const r = this.db
      .prepare('SELECT id, incident_id, run_id, resource_address, action_type, parameters_json, rollback_revision_id FROM decisions WHERE id = ?')
      .get(decisionId) as Row | undefined;
    if (!r) return undefined;
    let parameters: Record<string, unknown> = {};
    try {
      const parsed: unknown = JSON.parse(r.parameters_json);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) parameters = parsed as Record<string, unknown>;
    } catch {
      // An unreadable parameter set acts as none: the edit planner refuses it with a reason.
    }
    return {
      id: r.id, incidentId: r.incident_id, runId: r.run_id, resourceAddress: r.resource_address,
      actionType: r.action_type, parameters, rollbackRevisionId: r.rollback_revision_id,
    };
  }
}
