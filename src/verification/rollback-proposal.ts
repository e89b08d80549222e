import { isoAt, type Clock } from '../shared/clock.js';
import { evaluateDecision } from '../policy/evaluate.js';
import type { Policy } from '../policy/policy-schema.js';
import type { ProposedDecision, WatchedAction } from './ports.js';

/** How sure verification is that undoing the change is right: the alert fired on, but it may have other causes. */
export const ROLLBACK_CONFIDENCE = 0.6;

/**
 * The rollback decision for an ineffective action. Pure.
 *
 * The policy is applied like for any decision, with one deliberate difference:
 * `allowed_action_types` limits what the *agent* may propose on its own; a rollback that
 * verification proposes restores the configuration that ran before the change, and is still
 * only applied after a human approves it (or the policy's auto_approve covers `rollback`). So a
 * refusal by `allowed_action_types` alone keeps the decision `proposed` (the verdict recorded
 * says why no auto-approval applies); any other refusal (e.g. min_confidence) blocks it.
 */
export function proposeRollback(
  d: { policy: () => Policy; clock: Clock; newId: (prefix: string) => string },
  a: WatchedAction,
  why: string,
): ProposedDecision {
  const reason = `${why}; proposing to roll back to the configuration before it`;
  const output = { action_type: 'rollback' as const, resource_id: a.targetAddress, parameters: {}, confidence: ROLLBACK_CONFIDENCE, reason };
  const verdict = evaluateDecision(output, {}, d.policy());
  const blocked = !verdict.allowed && verdict.rule !== 'allowed_action_types';
  return {
    id: d.newId('dec'), incidentId: a.incidentId, runId: a.runId, resourceAddress: a.targetAddress, actionType: 'rollback',
    resourceId: a.targetAddress, parameters: {}, confidence: ROLLBACK_CONFIDENCE, reason, source: 'verification',
    status: blocked ? 'blocked_by_policy' : 'proposed', policyVerdict: verdict, ofActionId: a.id, createdAt: isoAt(d.clock),
  };
}
