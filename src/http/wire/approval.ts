import { z } from 'zod';
import { DECISION_SOURCES } from '../../agent/decision-schema.js';
import type { ApprovalRequestView } from '../../approvals/ports.js';
import { DataMap, pageOf } from './common.js';

export const VerdictWire = z.strictObject({
  action_id: z.string(),
  verdict: z.enum(['approve', 'reject']),
  status: z.string(),
});

export const PendingApprovalWire = z.strictObject({
  action_id: z.string(),
  run_id: z.string(),
  action_type: z.string(),
  target_address: z.string(),
  parameters: DataMap,
  plan_sha256: z.string().nullable(),
  expires_at: z.string().nullable(),
  confidence: z.number(),
  reason: z.string(),
  source: z.enum(DECISION_SOURCES),
  alert: z.string().nullable(),
});

export const PendingPageWire = pageOf(PendingApprovalWire);

export function pendingToWire(v: ApprovalRequestView): z.infer<typeof PendingApprovalWire> {
  return {
    action_id: v.actionId,
    run_id: v.runId,
    action_type: v.actionType,
    target_address: v.targetAddress,
    parameters: v.parameters,
    plan_sha256: v.planSha256,
    expires_at: v.expiresAt,
    confidence: v.decision.confidence,
    reason: v.decision.reason,
    source: v.decision.source,
    alert: v.alert?.name ?? null,
  };
}
