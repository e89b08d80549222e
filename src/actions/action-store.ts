import type { ActionStatus } from './status.js';
import type { VerdictRequest, VerdictResult } from './verdict.js';
import type { SourceChange, SourceFingerprint } from '../executor/source-files.js';

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
  /** The deployment's files the current plan was made from (relative path → sha256), set by prepare. */
  sources: SourceFingerprint | null;
  /** Every time the deployment's files changed under this action (what made it stale), oldest first. */
  sourceChanges: SourceChange[];
  /** 1 = next to go, while `queued`; otherwise null. Computed when read. */
  queuePosition: number | null;
  /** The action directly ahead in the deployment's queue (the holder for position 1), while `queued`. */
  queuedBehind: string | null;
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
  sources?: SourceFingerprint | null;
  sourceChanges?: SourceChange[];
}

export interface NewAction {
  decisionId: string;
  incidentId: string | null;
  runId: string;
  actionType: string;
  targetAddress: string;
  parameters: Record<string, unknown>;
}

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
  status?: ActionStatus | undefined;
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
   * Creates the action for a decision: 'proposed', or 'queued' (reason names the action ahead)
   * when another action holds the deployment or is queued on it already, so queue order is
   * creation order. Idempotent per decision: a second call returns the existing action.
   */
  create(input: NewAction): ActionRecord;
  /**
   * Moves the deployment's queue on, in one transaction, when no action holds it: the oldest queued
   * action becomes 'proposed' — unless `irrelevant(action)` gives a reason (e.g. its incident
   * resolved), then it becomes 'obsolete' with that reason and the next one is looked at.
   * Returns the promoted action (undefined when none, or when the deployment is still held).
   */
  promoteNext(
    runId: string,
    irrelevant: (a: ActionRecord) => string | null,
  ): { promoted?: ActionRecord; obsoleted: ActionRecord[] };
  /** Deployments with at least one queued action (recovery after a restart). */
  queuedRuns(): string[];
  get(id: string): ActionRecord | undefined;
  list(filter: ActionListFilter): { items: ActionRecord[]; total: number };
  /** Actions in the given statuses, oldest first (recovery, sweeps). */
  inStatus(statuses: readonly ActionStatus[]): ActionRecord[];
  /**
   * Moves `id` from one of `from` to `to`, recording `patch` in the same transaction.
   * Returns false (and changes nothing) when the action is no longer in `from`.
   * @throws AppError ERR_CONFLICT when the transition is not allowed by the lifecycle.
   */
  transition(
    id: string,
    from: readonly ActionStatus[],
    to: ActionStatus,
    reason: string | null,
    patch?: ActionPatch,
  ): boolean;
  /** Records columns without a status change. */
  patch(id: string, patch: ActionPatch): void;
  /**
   * The single-use approval: an atomic compare-and-set from 'awaiting_approval', bound to the plan
   * hash and the expiry. Accepted and refused attempts both leave an approval row and a ledger event.
   */
  submitVerdict(input: VerdictRequest): VerdictResult;
  /** awaiting_approval actions whose expires_at has passed become 'expired'; returns their ids. */
  expireDue(): string[];
  statusHistory(id: string): Array<{ status: ActionStatus; detail: string | null; at: string }>;
  approvals(id: string): ApprovalRow[];
  latestRevision(runId: string): RevisionRow | undefined;
  getRevision(id: string): RevisionRow | undefined;
  insertRevision(row: RevisionRow): void;
  /** The incident's actions in one of `statuses` (for obsolescence: awaiting_approval, queued). */
  forIncident(incidentId: string, statuses: readonly ActionStatus[]): ActionRecord[];
}

/**
 * What the decision service and verification call for each proposed decision (implemented by the
 * executor): creates the action for `decisionId` (or finds the existing one) and queues its
 * preparation (staging, edit, plan, approval request). Returns at once; never throws (a missing or
 * unusable decision is logged). Idempotent per decision.
 */
export interface ActionPreparer {
  prepare(decisionId: string): void;
}
