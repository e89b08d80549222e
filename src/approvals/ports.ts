/**
 * The approvals domain's ports. The executor owns the action state machine and implements
 * ApprovalPort; approval channels (Telegram, REST, dashboard, policy) only submit a verdict.
 */
import type { DecisionSource } from '../agent/decision-schema.js';
import type { ActionStatus } from '../actions/status.js';
import type { ApprovalChannelName, Verdict, VerdictRequest, VerdictResult } from '../actions/verdict.js';
import type { ValueChainView } from '../actions/value-chains.js';

export type {
  ApprovalChannelName,
  Verdict,
  VerdictRefusalCode,
  VerdictRequest,
  VerdictResult,
} from '../actions/verdict.js';

/** Implemented by the executor. */
export interface ApprovalPort {
  /**
   * Gives the human's (or the policy's) verdict on an action awaiting approval. Atomic and single-use: of any number of concurrent calls
   * at most one is accepted, and an approval leads to exactly one apply. Records the approvals
   * row and ledger event for accepted and refused attempts alike. Refusals are return values.
   * @throws only on infrastructure failure (database unavailable).
   */
  submitVerdict(request: VerdictRequest): Promise<VerdictResult>;
}

export interface PlanChangeView {
  address: string;
  /** create, update, delete, replace, no-op … */
  action: string;
  /** Attribute path → values; already redacted by the executor. */
  attributes: Array<{ path: string; before: unknown; after: unknown }>;
  /** The plan summary's disruption (a replacement, a stop/start) and its sentence, when the change interrupts what runs. */
  disruption?: { kind: string; warning: string };
}

/** The alert behind an approval request, as the approval message shows it. */
export interface ApprovalAlertView {
  name: string;
  fingerprint: string;
  status: string;
  /** The resource the alert names (label value or registry address). */
  resource: string | null;
  value: number | null;
  since: string | null;
}

/** The agent's decision behind an approval request, as the approval message shows it. */
export interface ApprovalDecisionView {
  id: string;
  actionType: string;
  parameters: Record<string, unknown>;
  confidence: number;
  reason: string;
  source: DecisionSource;
  status: string;
}

/** Everything an approval message or list needs about one action, read from the database. */
export interface ApprovalRequestView {
  actionId: string;
  status: ActionStatus;
  statusReason: string | null;
  runId: string;
  actionType: string;
  targetAddress: string;
  parameters: Record<string, unknown>;
  planSha256: string | null;
  planChanges: PlanChangeView[];
  /** Per edited attribute: where the value comes from (actions/value-chains.ts), already redacted; absent or empty when none was stored. */
  valueChains?: readonly ValueChainView[];
  expiresAt: string | null;
  decidedBy: string | null;
  decidedVia: string | null;
  decidedAt: string | null;
  revisionId: string | null;
  /** While `queued`: 1 = next to go, and the action directly ahead of it. */
  queuePosition?: number | null;
  queuedBehind?: string | null;
  createdAt: string;
  updatedAt: string;
  decision: ApprovalDecisionView;
  alert: ApprovalAlertView | null;
}

/** A decision that never became an action (blocked by policy), for notifications. */
export interface BlockedDecisionView {
  decision: ApprovalDecisionView;
  runId: string | null;
  resourceAddress: string | null;
  policyReason: string | null;
  alert: ApprovalAlertView | null;
}

/** Read-only view over actions, decisions, incidents and alerts. */
export interface ApprovalView {
  /** One action with its decision and alert; undefined when unknown. Never throws for bad ids. */
  getRequest(actionId: string): Promise<ApprovalRequestView | undefined>;
  /** Actions currently awaiting approval, oldest first. */
  listPending(): Promise<ApprovalRequestView[]>;
  /** The `limit` most recently updated actions, newest first. */
  listRecent(limit: number): Promise<ApprovalRequestView[]>;
  /** A decision by id, for "blocked by policy" notices; undefined when unknown. */
  getDecision(decisionId: string): Promise<BlockedDecisionView | undefined>;
}

/** Records approval attempts refused before they reach the executor (e.g. a stranger's press). */
export interface ApprovalAudit {
  /**
   * Writes an approvals row with outcome `refused` and a ledger event `approval.refused`, in one
   * transaction. Not idempotent: every attempt is a row.
   */
  recordRefusal(attempt: {
    actionId: string;
    verdict: Verdict;
    channel: ApprovalChannelName;
    actor: string;
    reason: string;
  }): void;
  /** Appends a ledger event about an action (e.g. `telegram.delivery_failed`). */
  recordEvent(kind: string, actionId: string | null, data: Record<string, unknown>): void;
}

export interface SentMessage {
  actionId: string;
  chatId: string;
  messageId: number;
  /** The plan hash shown in the message; a press is bound to it. */
  planSha256: string | null;
  sentAt: string;
}

/** Where the Telegram request message for each action lives, so later statuses edit it. */
export interface TelegramMessageStore {
  /** Undefined when no message was sent for the action. */
  get(actionId: string): SentMessage | undefined;
  /** Inserts or replaces the record for the action. Idempotent. */
  save(message: SentMessage): void;
}
