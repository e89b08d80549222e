/**
 * The lifecycle of an action. Every state is persisted (with a history row and a ledger event)
 * before the step that follows it, so after a crash the row says exactly where the action stood.
 */
export const ACTION_STATUSES = [
  'queued', // another action holds the deployment; prepared (against the files and state of then) when its turn comes
  'proposed', // decision accepted, action row created, prepare queued
  'preparing', // staging copy, edit, fmt, validate, plan, gate (run dir untouched)
  'awaiting_approval', // plan recorded; a human (or the policy channel) must decide before expires_at
  'prepare_failed', // edit refused, validate/plan failed after fix rounds, gate refused, or interrupted by a restart
  'superseded', // legacy, never set any more: rows from before the queue, when a second action on a busy deployment was dropped
  'approved', // single-use approval accepted for this exact plan hash; apply queued
  'rejected', // a human said no; staging removed, run dir untouched
  'expired', // nobody decided before expires_at; staging removed
  'obsolete', // the incident resolved before anyone decided
  'applying', // terraform apply of the saved plan is running in the run dir
  'stale', // state or the deployment's files changed since the plan was made; never applied, re-prepared and asked again
  'applied', // apply succeeded, files written, revision recorded
  'failed', // apply failed; rollback follows immediately
  'rolled_back', // the apply failed; the files (never written) are as before and the original configuration is re-applied
  'rollback_failed', // the re-apply failed too: needs a human now
  'interrupted', // the process stopped while applying (or approved but not started); never retried
  'effective', // verification: the alert resolved after the apply
  'ineffective', // verification: the alert kept firing
] as const;

export type ActionStatus = (typeof ACTION_STATUSES)[number];

/**
 * At most one action per run_id may be in one of these (the database's partial unique index
 * `actions_one_pending` lists exactly these).
 */
export const PENDING_STATUSES: readonly ActionStatus[] = [
  'proposed',
  'preparing',
  'awaiting_approval',
  'approved',
  'applying',
  'stale',
];

/**
 * Statuses in which an action holds its deployment: while one does, a new action on the same
 * deployment is `queued`. `failed` lasts only while the rollback re-applies; it holds too, so the
 * next action never plans against a deployment in the middle of a rollback.
 */
export const HOLDING_STATUSES: readonly ActionStatus[] = [...PENDING_STATUSES, 'failed'];

/**
 * True when an action reaching `status` lets the next queued action of its deployment go: every
 * terminal status and the post-apply ones (verification of an applied action does not hold the
 * deployment; the next action plans against the applied state).
 */
export function releasesDeployment(status: ActionStatus): boolean {
  return status !== 'queued' && !HOLDING_STATUSES.includes(status);
}

const NEXT: Record<ActionStatus, readonly ActionStatus[]> = {
  queued: ['proposed', 'obsolete'],
  proposed: ['preparing', 'prepare_failed'],
  preparing: ['awaiting_approval', 'prepare_failed', 'stale'],
  awaiting_approval: ['approved', 'rejected', 'expired', 'obsolete'],
  approved: ['applying', 'stale', 'interrupted'],
  applying: ['applied', 'failed', 'stale', 'interrupted'],
  stale: ['preparing', 'prepare_failed'],
  failed: ['rolled_back', 'rollback_failed'],
  applied: ['effective', 'ineffective'],
  prepare_failed: [],
  superseded: [],
  rejected: [],
  expired: [],
  obsolete: [],
  rolled_back: [],
  rollback_failed: [],
  interrupted: [],
  effective: [],
  ineffective: [],
};

/** True when `to` may follow `from`. Pure. */
export function canTransition(from: ActionStatus, to: ActionStatus): boolean {
  return NEXT[from].includes(to);
}

export function isActionStatus(value: string): value is ActionStatus {
  return (ACTION_STATUSES as readonly string[]).includes(value);
}
