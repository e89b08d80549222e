import { isoAt, type Clock } from '../../shared/clock.js';
import type { EventBus } from '../../shared/events.js';
import type { ActionRecord, ActionStore } from '../../actions/action-store.js';
import type { InterruptedState, InterruptedStatePort } from '../../executor/interrupted-recovery.js';
import type { DecisionSink, ProposedDecision } from '../../verification/ports.js';
import type { RollbackSubject } from '../../verification/rollback-proposal.js';
import type { Db } from '../connection/database.js';
import type { Ledger } from '../ledger/sqlite-ledger.js';

/** Builds (does not store) the recovery decision: verification's `proposeRecovery` with its policy. */
export type RecoveryDecisionBuilder = (subject: RollbackSubject, revisionId: string, why: string) => ProposedDecision;

/**
 * better-sqlite3 adapter of the executor's InterruptedStatePort: the check's result on the action
 * (`result_json.interrupted_state`), its ledger event and the recovery decision are written in one
 * transaction, so a crash between them cannot leave a decision nobody recorded or a state whose
 * decision was never stored.
 */
export class SqliteInterruptedState implements InterruptedStatePort {
  constructor(
    private readonly db: Db,
    private readonly actions: ActionStore,
    private readonly ledger: Ledger,
    private readonly decisions: DecisionSink,
    private readonly build: RecoveryDecisionBuilder,
    private readonly events: EventBus,
    private readonly clock: Clock,
  ) {}

  record(
    a: ActionRecord,
    state: InterruptedState,
    recovery?: { revisionId: string; reason: string },
  ): { decisionId: string; status: string } | undefined {
    const decision =
      recovery && a.incidentId !== null
        ? this.build(
            { id: a.id, incidentId: a.incidentId, runId: a.runId, targetAddress: a.targetAddress },
            recovery.revisionId,
            recovery.reason,
          )
        : undefined;
    const stored: InterruptedState = { ...state, recovery_decision_id: decision?.id ?? null };
    if (decision?.status === 'blocked_by_policy' && stored.note === null) {
      stored.note = `the recovery was blocked by the policy: ${decision.policyVerdict.allowed ? '' : decision.policyVerdict.message}`;
    }
    this.db.transaction(() => {
      if (decision) this.decisions.insert(decision);
      const result =
        a.result !== null && typeof a.result === 'object'
          ? (a.result as Record<string, unknown>)
          : { success: false, new_run_id: null, changes_applied: {} };
      this.actions.patch(a.id, { result: { ...result, interrupted_state: stored } });
      this.ledger.append({
        kind: 'action.interrupted_state',
        at: isoAt(this.clock),
        actionId: a.id,
        runId: a.runId,
        incidentId: a.incidentId,
        decisionId: decision?.id ?? null,
        actor: 'executor',
        data: {
          outcome: stored.outcome,
          revision_id: stored.revision_id,
          differences: stored.differences.length,
          summary: stored.summary,
          note: stored.note,
          recovery_decision_id: stored.recovery_decision_id,
        },
      });
    })();
    if (!decision) return undefined;
    this.events.publish({
      type: 'decision.created',
      decisionId: decision.id,
      incidentId: decision.incidentId,
      status: decision.status,
    });
    return { decisionId: decision.id, status: decision.status };
  }
}
