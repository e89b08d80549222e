import type { Db } from '../connection/database.js';
import type { Ledger } from '../ledger/sqlite-ledger.js';
import type { HumanDecision, HumanDecisionSink } from '../../infra/ports.js';

/** Decisions a human asked for directly (POST /infra): source 'human', no incident, confidence 1. */
export class SqliteHumanDecisions implements HumanDecisionSink {
  constructor(private readonly db: Db, private readonly ledger: Ledger) {}

  insert(d: HumanDecision): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO decisions (id, incident_id, run_id, resource_address, action_type, resource_id, parameters_json,
             confidence, reason, source, status, created_at, updated_at)
           VALUES (?, NULL, ?, ?, ?, ?, ?, 1, ?, 'human', 'proposed', ?, ?)`,
        )
        .run(d.id, d.runId, d.runId, d.actionType, d.runId, JSON.stringify(d.parameters), d.reason, d.createdAt, d.createdAt);
      this.ledger.append({
        kind: 'decision.created', at: d.createdAt, decisionId: d.id, runId: d.runId, actor: d.actor,
        data: { status: 'proposed', action_type: d.actionType, source: 'human', parameters: d.parameters, reason: d.reason },
      });
    })();
  }
}
