import type { Db } from '../connection/database.js';
import type { Ledger } from '../ledger/sqlite-ledger.js';
import type { DecisionSink, ProposedDecision } from '../../verification/ports.js';
import { SqliteDecisionWriter } from './sqlite-decision-writer.js';

/** Decisions verification proposes (the rollback of an ineffective action, the recovery after a restart). */
export class SqliteVerificationDecisions implements DecisionSink {
  private readonly writer: SqliteDecisionWriter;

  constructor(
    private readonly db: Db,
    private readonly ledger: Ledger,
  ) {
    this.writer = new SqliteDecisionWriter(db);
  }

  insert(d: ProposedDecision): void {
    this.db.transaction(() => {
      this.writer.insert({ ...d, policyVerdict: d.policyVerdict, rollbackRevisionId: d.rollbackRevisionId });
      this.ledger.append({
        kind: 'decision.created',
        at: d.createdAt,
        incidentId: d.incidentId,
        decisionId: d.id,
        runId: d.runId,
        actionId: d.ofActionId,
        actor: 'verification',
        data: {
          status: d.status,
          action_type: d.actionType,
          resource_id: d.resourceId,
          parameters: {},
          confidence: d.confidence,
          verdict: d.policyVerdict,
          of_action_id: d.ofActionId,
          rollback_revision_id: d.rollbackRevisionId,
          reason: d.reason,
        },
      });
    })();
  }
}
