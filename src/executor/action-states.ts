/**
 * The lifecycle of an action. Every state is persisted (with a history row and a ledger event)
 * before the step that follows it, so after a crash the row says exactly where the action stood.
 */
export const ACTION_STATUSES = [
  'proposed', // decision accepted, action row created, prepare queued
  'preparing', // staging copy, edit, fmt, validate, plan, gate (run dir untouched)
  'awaiting_approval', // plan recorded; a human (or the policy channel) must decide before expires_at
  'prepare_failed', // edit refused, validate/plan failed after fix rounds, gate refused, or interrupted by a restart
  'superseded', // another action was already pending on the deployment; nothing was done
  'approved', // single-use approval accepted for this exact plan hash; apply queued
  'rejected', // a human said no; staging removed, run dir untouched
  'expired', // nobody decided before expires_at; staging removed
  'obsolete', // the incident resolved before anyone decided
  'applying', // terraform apply of the saved plan is running in the run dir
  'stale', // the saved plan was stale (state changed since); never applied, re-prepared
  'applied', // apply succeeded, files written, revision recorded
  'failed', // apply failed; rollback follows immediately
  'rolled_back', // files restored byte-for-byte and the original configuration re-applied
  'rollback_failed', // the re-apply failed too: needs a human now
  'interrupted', // the process stopped while applying (or approved but not started); never retried
  'effective', // verification: the alert resolved after the apply
  'ineffective', // verification: the alert kept firing
] as const;

export type ActionStatus = (typeof ACTION_STATUSES)[number];

/** Statuses that hold the deployment: at most one action per run_id may be in one of them. */
export const PENDING_STATUSES: readonly ActionStatus[] = [
  'proposed',
  'preparing',
  'awaiting_approval',
  'approved',
  'applying',
  'stale',
];

const NEXT: Record<ActionStatus, readonly ActionStatus[]> = {
  proposed: ['preparing', 'superseded', 'prepare_failed'],
  preparing: ['awaiting_approval', 'prepare_failed', 'superseded'],
  awaiting_approval: ['approved', 'rejected', 'expired', 'obsolete'],
  approved: ['applying', 'interrupted'],
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
