import type { Db } from '../connection/database.js';
import type { Ledger } from '../ledger/sqlite-ledger.js';
import type { HumanDecision, HumanDecisionSink } from '../../infra/ports.js';
import { SqliteDecisionWriter } from './sqlite-decision-writer.js';

/** Decisions a human asked for directly (POST /infra): source 'human', no incident, confidence 1. */
export class SqliteHumanDecisions implements HumanDecisionSink {
  private readonly writer: SqliteDecisionWriter;

  constructor(
    private readonly db: Db,
    private readonly ledger: Ledger,
  ) {
    this.writer = new SqliteDecisionWriter(db);
  }

  insert(d: HumanDecision): void {
    this.db.transaction(() => {
      this.writer.insert({
        id: d.id,
        incidentId: null,
        runId: d.runId,
        resourceAddress: d.runId,
        actionType: d.actionType,
        resourceId: d.runId,
        parameters: d.parameters,
        confidence: 1,
        reason: d.reason,
        source: 'human',
        status: 'proposed',
        policyVerdict: null,
        createdAt: d.createdAt,
      });
      this.ledger.append({
        kind: 'decision.created',
        at: d.createdAt,
        decisionId: d.id,
        runId: d.runId,
        actor: d.actor,
        data: {
          status: 'proposed',
          action_type: d.actionType,
          source: 'human',
          parameters: d.parameters,
          reason: d.reason,
        },
      });
    })();
  }
}
