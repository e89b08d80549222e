import { isoAt, type Clock } from '../shared/clock.js';
import { evaluateDecision } from '../policy/evaluate.js';
import type { Policy } from '../policy/policy-schema.js';
import type { ProposedDecision, WatchedAction } from './ports.js';

/** How sure verification is that undoing the change is right: the alert fired on, but it may have other causes. */
export const ROLLBACK_CONFIDENCE = 0.6;

/**
 * The rollback decision for an ineffective action. Pure.
 *
 * The policy is applied like for any decision: an operator who removed `rollback` from
 * `allowed_action_types` gets a `blocked_by_policy` decision (visible on the dashboard with the
 * rule it broke), never a rollback request. The default policy allows it; it is still applied
 * only after a human approves it (or the policy's auto_approve covers `rollback`).
 */
export function proposeRollback(
  d: { policy: () => Policy; clock: Clock; newId: (prefix: string) => string },
  a: WatchedAction,
  why: string,
): ProposedDecision {
  return rollbackDecision(d, a, a.baseRevisionId, `${why}; proposing to roll back to the configuration before it`);
}

/** What a rollback decision is about: the action it follows up on. */
export interface RollbackSubject {
  id: string;
  incidentId: string;
  runId: string;
  targetAddress: string;
}

/**
 * The recovery decision after an apply was interrupted mid-way (the service died) and left the
 * state half-applied: a rollback pinned to `revisionId`, the last applied revision, whose files
 * are still the run dir's — preparing it plans those files against the state, so approving it
 * converges the deployment back. Same policy and approval path as any rollback. Pure.
 */
export function proposeRecovery(
  d: { policy: () => Policy; clock: Clock; newId: (prefix: string) => string },
  a: RollbackSubject,
  revisionId: string,
  why: string,
): ProposedDecision {
  return rollbackDecision(d, a, revisionId, `${why}\nproposing to re-apply revision ${revisionId}`);
}

function rollbackDecision(
  d: { policy: () => Policy; clock: Clock; newId: (prefix: string) => string },
  a: RollbackSubject,
  revisionId: string | null,
  reason: string,
): ProposedDecision {
  const output = {
    action_type: 'rollback' as const,
    resource_id: a.targetAddress,
    parameters: {},
    confidence: ROLLBACK_CONFIDENCE,
    reason,
  };
  const verdict = evaluateDecision(output, {}, d.policy());
  const blocked = !verdict.allowed;
  return {
    id: d.newId('dec'),
    incidentId: a.incidentId,
    runId: a.runId,
    resourceAddress: a.targetAddress,
    actionType: 'rollback',
    resourceId: a.targetAddress,
    parameters: {},
    confidence: ROLLBACK_CONFIDENCE,
    reason,
    source: 'verification',
    status: blocked ? 'blocked_by_policy' : 'proposed',
    policyVerdict: verdict,
    ofActionId: a.id,
    rollbackRevisionId: revisionId,
    createdAt: isoAt(d.clock),
  };
}
