import { z } from 'zod';
import type { ActionRecord, ApprovalRow } from '../../actions/action-store.js';
import { ACTION_STATUSES } from '../../actions/status.js';
import { CHAIN_STEP_KINDS, storedValueChains } from '../../actions/value-chains.js';
import type { LedgerRow } from '../../shared/ledger.js';
import { DataMap, snakeKeys } from './common.js';
import { LedgerRowWire, ledgerToWire } from './ledger.js';

export const PlanSummaryItemWire = z.strictObject({
  address: z.string(),
  action: z.string(),
  changes: z.array(z.strictObject({ path: z.string(), before: z.string(), after: z.string() })).optional(),
  reason: z.string().optional(),
  /** Present when the change interrupts what runs (plan/disruption.ts): a replacement or a stop/start. */
  disruption: z.enum(['replace', 'stop_start']).optional(),
  /** With `disruption`: what happens, in one sentence ("destroys and recreates the whole node pool (every node) …"). */
  warning: z.string().optional(),
});

export const PlanSummaryWire = z.array(PlanSummaryItemWire).nullable();

/** One step of a value chain (actions/value-chains.ts): where the value the action changes comes from. */
export const ValueChainStepWire = z.strictObject({
  kind: z.enum(CHAIN_STEP_KINDS),
  where: z
    .string()
    .describe('as a person reads it: `module.gke var.node_pools`, `prod.tfvars node_pools.default.node_count`'),
  file: z.string().nullable().describe('deployment-relative path of the file holding this step'),
  line: z.number().int().positive().nullable().describe('1-based'),
});

/** Per edited attribute: from the resource instance back to the literal that is edited, and its value before → after. */
export const ValueChainWire = z.strictObject({
  steps: z.array(ValueChainStepWire).min(1),
  from: z.unknown().describe('the literal before (redacted when sensitive)'),
  to: z.unknown().describe('the literal after (redacted when sensitive)'),
  text: z.string().describe('the chain in one line: `a ← b ← c (line 12): 3 → 4`'),
  shared_with: z
    .array(z.string())
    .optional()
    .describe('resource blocks that read the same literal and change with it (policy shared_values: allow)'),
});

export const ActionListItemWire = z.strictObject({
  id: z.string(),
  decision_id: z.string(),
  incident_id: z.string().nullable(),
  run_id: z.string(),
  action_type: z.string(),
  target_address: z.string(),
  parameters: DataMap,
  status: z.enum(ACTION_STATUSES),
  status_reason: z.string().nullable(),
  plan_sha256: z.string().nullable(),
  expires_at: z.string().nullable(),
  revision_id: z.string().nullable(),
  base_revision_id: z.string().nullable(),
  decided_by: z.string().nullable(),
  decided_via: z.string().nullable(),
  decided_at: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  queue_position: z.number().int().nullable(),
  queued_behind: z.string().nullable(),
  value_chains: z
    .array(ValueChainWire)
    .describe('one per edited attribute, in edit order; empty when the action stored none (older actions, no edit)'),
});

export const ApprovalRowWire = z.strictObject({
  verdict: z.string(),
  outcome: z.string(),
  channel: z.string(),
  actor: z.string(),
  reason: z.string().nullable(),
  plan_sha256: z.string().nullable(),
  at: z.string(),
});

/** Stored JSON written by the executor; keys are snake_case, shapes vary by action kind. */
const Blob = z.unknown();

export const ActionDetailWire = ActionListItemWire.extend({
  status_history: z.array(z.strictObject({ status: z.string(), detail: z.string().nullable(), at: z.string() })),
  plan_summary: PlanSummaryWire,
  plan_gate: Blob,
  plan_json: Blob.describe("Terraform's plan JSON (redacted)"),
  diff: z.string().nullable(),
  changes: Blob,
  files: z.strictObject({ changed: z.array(z.string()), deleted: z.array(z.string()) }).nullable(),
  source_files: z.record(z.string(), z.string()).nullable().describe('relative path → sha256 the plan was made from'),
  source_changes: z.array(Blob),
  fix_attempts: z.array(Blob),
  terraform_output: z.array(Blob),
  rollback: Blob,
  result: Blob,
  interrupted_state: Blob,
  approvals: z.array(ApprovalRowWire),
  ledger: z.array(LedgerRowWire),
  withheld: z
    .string()
    .optional()
    .describe('present when plan fields of an unapproved POST /infra deployment are withheld'),
});

export type ActionDetail = z.infer<typeof ActionDetailWire>;

export function actionListItemToWire(a: ActionRecord): z.infer<typeof ActionListItemWire> {
  return {
    id: a.id,
    decision_id: a.decisionId,
    incident_id: a.incidentId,
    run_id: a.runId,
    action_type: a.actionType,
    target_address: a.targetAddress,
    parameters: a.parameters,
    status: a.status,
    status_reason: a.statusReason,
    plan_sha256: a.planSha256,
    expires_at: a.expiresAt,
    revision_id: a.revisionId,
    base_revision_id: a.baseRevisionId,
    decided_by: a.decidedBy,
    decided_via: a.decidedVia,
    decided_at: a.decidedAt,
    created_at: a.createdAt,
    updated_at: a.updatedAt,
    queue_position: a.queuePosition,
    queued_behind: a.queuedBehind,
    value_chains: storedValueChains(a.changes, a.planSummary),
  };
}

function approvalToWire(r: ApprovalRow): z.infer<typeof ApprovalRowWire> {
  return {
    verdict: r.verdict,
    outcome: r.outcome,
    channel: r.channel,
    actor: r.actor,
    reason: r.reason,
    plan_sha256: r.planSha256,
    at: r.at,
  };
}

export interface ActionDetailParts {
  history: Array<{ status: string; detail: string | null; at: string }>;
  approvals: ApprovalRow[];
  ledger: LedgerRow[];
  interruptedState: unknown;
}

export function actionDetailToWire(a: ActionRecord, p: ActionDetailParts): ActionDetail {
  return {
    ...actionListItemToWire(a),
    status_history: p.history.map((h) => ({ status: h.status, detail: h.detail, at: h.at })),
    plan_summary: (a.planSummary ?? null) as ActionDetail['plan_summary'],
    plan_gate: snakeKeys(a.gate),
    plan_json: a.planJson,
    diff: a.diff,
    changes: snakeKeys(a.changes),
    files: a.files,
    source_files: a.sources,
    source_changes: a.sourceChanges.map(snakeKeys),
    fix_attempts: a.fixAttempts.map(snakeKeys),
    terraform_output: a.tfOutput.map(snakeKeys),
    rollback: snakeKeys(a.rollback),
    result: snakeKeys(a.result),
    interrupted_state: p.interruptedState,
    approvals: p.approvals.map(approvalToWire),
    ledger: p.ledger.map(ledgerToWire),
  };
}
