/**
 * Policy auto-approval: off unless the policy enables it, and then only for an action whose
 * decision is confident enough, of an allowed type, whose plan passed the gate (reaching
 * awaiting_approval means the executor's gate passed). Approves through the same decide() as
 * the humans, as actor `policy`, so it is single-use and in the ledger like any approval.
 */
import { autoApproveVerdict, type AutoApprovePolicy, type AutoApproveVerdict } from '../policy/evaluate.js';
import type { Logger } from '../shared/logger.js';
import type { ApprovalPort, ApprovalRequestView, ApprovalView } from './ports.js';

export type { AutoApprovePolicy, AutoApproveVerdict } from '../policy/evaluate.js';

/**
 * Pure: whether the policy approves this request on its own, and why (or why not). The rule is
 * the policy's (autoApproveVerdict); this adds only what an approval needs: the action is still
 * awaiting approval and its plan hash (the gate's pass) is recorded.
 */
export function evaluateAutoApprove(policy: AutoApprovePolicy, v: ApprovalRequestView): AutoApproveVerdict {
  const rule = autoApproveVerdict(policy, { actionType: v.actionType, confidence: v.decision.confidence });
  if (!rule.approve) return rule;
  if (v.status !== 'awaiting_approval') return { approve: false, reason: `action is ${v.status}` };
  if (v.planSha256 === null) return { approve: false, reason: 'no plan hash recorded (plan gate not passed)' };
  return rule;
}

export interface AutoApproverDeps {
  policy: AutoApprovePolicy;
  view: ApprovalView;
  approvals: ApprovalPort;
  logger: Logger;
}

/**
 * An action reached awaiting_approval (src/compose/reactions.ts): it is evaluated and approved in
 * the background when the policy allows. Does nothing at all when the policy disables
 * auto-approval. Never throws.
 */
export function onAwaitingApproval(d: AutoApproverDeps, actionId: string): void {
  if (!d.policy.enabled) return;
  void autoApprove(d, actionId).catch((err: unknown) =>
    d.logger.error({ actionId, error: (err as Error).message }, 'auto-approve failed'),
  );
}

/** Evaluates one action and approves it when the policy allows. Returns the verdict applied. */
export async function autoApprove(d: AutoApproverDeps, actionId: string): Promise<AutoApproveVerdict> {
  const view = await d.view.getRequest(actionId);
  if (view === undefined) return { approve: false, reason: 'unknown action' };
  const verdict = evaluateAutoApprove(d.policy, view);
  if (!verdict.approve) return verdict;
  const result = await d.approvals.submitVerdict({
    actionId,
    verdict: 'approve',
    channel: 'policy',
    actor: 'policy',
    reason: verdict.reason,
    ...(view.planSha256 !== null ? { planSha256: view.planSha256 } : {}),
  });
  d.logger.info({ actionId, result }, result.ok ? 'auto-approved by policy' : 'auto-approve refused');
  return result.ok ? verdict : { approve: false, reason: result.message };
}
