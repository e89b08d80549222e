import type { ActionStatus } from './action-states.js';

/** One action as stored (JSON columns parsed). Everything here is already redacted. */
export interface ActionRecord extends NewAction {
  id: string;
  status: ActionStatus;
  statusReason: string | null;
  stagingDir: string | null;
  baseRevisionId: string | null;
  revisionId: string | null;
  planSha256: string | null;
  planSummary: unknown;
  planJson: unknown;
  diff: string | null;
  changes: unknown;
  files: { changed: string[]; deleted: string[] } | null;
  gate: unknown;
  fixAttempts: unknown[];
  tfOutput: unknown[];
  rollback: unknown;
  result: unknown;
  expiresAt: string | null;
  decidedBy: string | null;
  decidedVia: string | null;
  decidedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Columns a step may record alongside (or without) a status change. */
export interface ActionPatch {
  stagingDir?: string | null;
  baseRevisionId?: string | null;
  revisionId?: string | null;
  planSha256?: string | null;
  planSummary?: unknown;
  planJson?: unknown;
  diff?: string | null;
  changes?: unknown;
  files?: { changed: string[]; deleted: string[] } | null;
  gate?: unknown;
  fixAttempts?: unknown[];
  tfOutput?: unknown[];
  rollback?: unknown;
  result?: unknown;
  expiresAt?: string | null;
}

export interface NewAction {
  decisionId: string;
  incidentId: string | null;
  runId: string;
  actionType: string;
  targetAddress: string;
  parameters: Record<string, unknown>;
}

export interface DecideInput {
  actionId: string;
  verdict: 'approve' | 'reject';
  channel: 'telegram' | 'rest' | 'dashboard' | 'policy';
  actor: string;
  reason?: string | undefined;
  planSha256?: string | undefined;
}

export type DecideCode =
  | 'ERR_ACTION_NOT_FOUND'
  | 'ERR_APPROVAL_ALREADY_DECIDED'
  | 'ERR_APPROVAL_EXPIRED'
  | 'ERR_ACTION_OBSOLETE'
  | 'ERR_CONFLICT';

export type DecideResult = { ok: true; status: ActionStatus } | { ok: false; code: DecideCode; message: string };

export interface ApprovalRow {
  verdict: string;
  outcome: string;
  channel: string;
  actor: string;
  reason: string | null;
  planSha256: string | null;
  at: string;
}

export interface RevisionRow {
  id: string;
  runId: string;
  parentId: string | null;
  actionId: string | null;
  filesDir: string;
  planSha256: string | null;
  stateSerial: number | null;
  createdAt: string;
}

export interface ActionListFilter {
  status?: string | undefined;
  runId?: string | undefined;
  /** created_at window, ISO UTC: since inclusive, until exclusive. */
  since?: string | undefined;
  until?: string | undefined;
  limit: number;
  offset: number;
}

/**
 * Durable action records. Every status change writes the row, a history row and a ledger event
 * in one transaction, then publishes `action.status`.
 */
export interface ActionStore {
  /**
   * Creates the action for a decision: 'proposed', or 'superseded' (reason names the pending
   * action) when the deployment already has a pending one. Idempotent per decision: a second call
   * returns the existing action.
   */
  create(input: NewAction): ActionRecord;
  get(id: string): ActionRecord | undefined;
  list(filter: ActionListFilter): { items: ActionRecord[]; total: number };
  /** Actions in the given statuses, oldest first (recovery, sweeps). */
  inStatus(statuses: readonly ActionStatus[]): ActionRecord[];
  /**
   * Moves `id` from one of `from` to `to`, recording `patch` in the same transaction.
   * Returns false (and changes nothing) when the action is no longer in `from`.
   * @throws AppError ERR_CONFLICT when the transition is not allowed by the lifecycle.
   */
  transition(id: string, from: readonly ActionStatus[], to: ActionStatus, reason: string | null, patch?: ActionPatch): boolean;
  /** Records columns without a status change. */
  patch(id: string, patch: ActionPatch): void;
  /**
   * The single-use approval: an atomic compare-and-set from 'awaiting_approval', bound to the plan
   * hash and the expiry. Accepted and refused attempts both leave an approval row and a ledger event.
   */
  decide(input: DecideInput): DecideResult;
  /** awaiting_approval actions whose expires_at has passed become 'expired'; returns their ids. */
  expireDue(): string[];
  statusHistory(id: string): Array<{ status: string; detail: string | null; at: string }>;
  approvals(id: string): ApprovalRow[];
  latestRevision(runId: string): RevisionRow | undefined;
  getRevision(id: string): RevisionRow | undefined;
  insertRevision(row: RevisionRow): void;
  /** Open actions waiting for approval on an incident (for obsolescence). */
  awaitingForIncident(incidentId: string): ActionRecord[];
}
