/** Small records: stats, UI config, health, webhook and POST /infra answers. */
import { z } from 'zod';
import type { DayStats } from '../../db/ops/sqlite-ops-queries.js';
import type { CreateResult } from '../../infra/create-deployment.js';
import type { IntakeResult } from '../../alerts/intake.js';
import { PlanSummaryWire } from './action.js';

const figure = z.number().int().nullable().describe('null when the figure could not be computed');

export const StatsWire = z.strictObject({
  since: z.string().describe('start of the window (ISO-8601 UTC); default: today 00:00 UTC'),
  alerts_received: figure.describe('distinct alerts that fired'),
  alerts_analysed: figure.describe('distinct alerts whose incident got a decision'),
  decisions: figure,
  actions_approved: figure,
  actions_rejected: figure,
  applied: figure,
  failed: figure,
  rolled_back: figure,
  rollback_failed: figure,
  effective: figure,
  ineffective: figure,
  pending_approvals: figure.describe('now, not since'),
  active_alerts: figure.describe('now, not since'),
});

export function statsToWire(s: DayStats): z.infer<typeof StatsWire> {
  return { ...s };
}

export const UiConfigWire = z.strictObject({ auth_required: z.boolean(), version: z.string() });

const CheckWire = z.strictObject({ ok: z.boolean(), detail: z.string() });
const Checks = z
  .record(z.string(), CheckWire)
  .describe('by check name: database, terraform, runs_dir, registry, telegram, agent …');
export const HealthWire = z.strictObject({ status: z.enum(['ok', 'degraded']), checks: Checks });
export const HealthDownWire = z.strictObject({ status: z.literal('unavailable'), checks: Checks });

export const WebhookResultWire = z.strictObject({
  notification_id: z.string(),
  alerts: z.number().int(),
  incidents_opened: z.number().int(),
  duplicate: z.boolean(),
});

export function webhookResultToWire(r: IntakeResult): z.infer<typeof WebhookResultWire> {
  return {
    notification_id: r.notificationId,
    alerts: r.alerts,
    incidents_opened: r.incidentsOpened,
    duplicate: r.duplicate,
  };
}

export const InfraCreatedWire = z.strictObject({
  action_id: z.string(),
  status: z.string(),
  status_reason: z.string().nullable(),
  plan_summary: PlanSummaryWire,
  plan_sha256: z.string().nullable(),
});

export function infraCreatedToWire(r: CreateResult): z.infer<typeof InfraCreatedWire> {
  return {
    action_id: r.actionId,
    status: r.status,
    status_reason: r.statusReason,
    plan_summary: r.planSummary,
    plan_sha256: r.planSha256,
  };
}

export const TelegramAckWire = z.strictObject({ ok: z.literal(true) });
