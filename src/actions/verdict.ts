/**
 * The human's (or the policy's) verdict on a prepared action. Not to be confused with the agent's
 * decision (decisions/): the agent proposes, a human approves or rejects.
 */
import type { ActionStatus } from './status.js';
import type { Result } from '../shared/result.js';

export type Verdict = 'approve' | 'reject';
export type ApprovalChannelName = 'telegram' | 'rest' | 'dashboard' | 'policy';

export interface VerdictRequest {
  /** The ACTION id (not the decision id). */
  actionId: string;
  verdict: Verdict;
  channel: ApprovalChannelName;
  /** Who gave it, e.g. `telegram:111 @alice`, `policy`, or the REST caller's claimed name. */
  actor: string;
  reason?: string | undefined;
  /** When given, the verdict is refused unless it matches the plan the approver saw. */
  planSha256?: string | undefined;
}

export type VerdictRefusalCode =
  | 'ERR_ACTION_NOT_FOUND'
  | 'ERR_APPROVAL_ALREADY_DECIDED'
  | 'ERR_APPROVAL_EXPIRED'
  | 'ERR_ACTION_OBSOLETE'
  | 'ERR_CONFLICT';

export type VerdictResult = Result<{ status: ActionStatus }, VerdictRefusalCode>;
