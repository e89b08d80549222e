/**
 * REST approval endpoints. `:id` is always the ACTION id (what the dashboard, the Telegram message
 * and GET /ops/approvals/pending show), never the decision id.
 */
import { z } from 'zod';
import { DECISION_SOURCES } from '../../agent/decision-schema.js';
import type { ApprovalPort, ApprovalRequestView, ApprovalView, Verdict } from '../../approvals/ports.js';
import { AppError } from '../../shared/errors.js';
import type { RouteModule } from '../app.js';

export interface ApprovalRoutesOptions {
  approvals: ApprovalPort;
  view: ApprovalView;
}

const ParamsSchema = z.object({ id: z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'must be an action id') });

const BodySchema = z
  .object({
    actor: z.string().trim().min(1).max(120).optional(),
    reason: z.string().max(1000).optional(),
    plan_sha256: z.string().regex(/^[a-f0-9]{64}$/, 'must be a hex sha256').optional(),
  })
  .strict()
  // Fastify hands an absent body over as null.
  .nullish();

const HeadersSchema = z.object({
  'x-infraai-channel': z.enum(['rest', 'dashboard']).optional(),
});

const PendingQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});

const DecidedSchema = z.object({ action_id: z.string(), verdict: z.enum(['approve', 'reject']), status: z.string() });

const PendingSchema = z.object({
  total: z.number(),
  limit: z.number(),
  offset: z.number(),
  items: z.array(
    z.object({
      action_id: z.string(), run_id: z.string(), action_type: z.string(), target_address: z.string(),
      parameters: z.record(z.string(), z.unknown()), plan_sha256: z.string().nullable(), expires_at: z.string().nullable(),
      confidence: z.number(), reason: z.string(), source: z.enum(DECISION_SOURCES), alert: z.string().nullable(),
    }),
  ),
});

function pendingItem(v: ApprovalRequestView): z.infer<typeof PendingSchema>['items'][number] {
  return {
    action_id: v.actionId, run_id: v.runId, action_type: v.actionType, target_address: v.targetAddress,
    parameters: v.parameters, plan_sha256: v.planSha256, expires_at: v.expiresAt,
    confidence: v.decision.confidence, reason: v.decision.reason, source: v.decision.source, alert: v.alert?.name ?? null,
  };
}

/** Tokens are checked for every route by access.ts (writes: API_TOKEN; reads: API_TOKEN or READ_TOKEN). */
export function approvalRoutes(o: ApprovalRoutesOptions): RouteModule {
  return (app) => {
    const decideRoute = (verdict: Verdict) =>
      app.post(
        `/ops/${verdict}/:id`,
        {
          schema: {
            description: `${verdict === 'approve' ? 'Approves' : 'Rejects'} the ACTION with this id (single-use; 409 once decided, expired or obsolete). Send "X-InfraAI-Channel: dashboard" from the dashboard.`,
            params: ParamsSchema, body: BodySchema, headers: HeadersSchema, response: { 200: DecidedSchema },
          },
        },
        async (req) => {
          const body = req.body ?? {};
          const channel = req.headers['x-infraai-channel'] ?? 'rest';
          const result = await o.approvals.submitVerdict({
            actionId: req.params.id, verdict, channel, actor: body.actor === undefined ? channel : `${channel}:${body.actor}`,
            ...(body.reason !== undefined ? { reason: body.reason } : {}),
            ...(body.plan_sha256 !== undefined ? { planSha256: body.plan_sha256 } : {}),
          });
          if (!result.ok) throw new AppError(result.code, result.message);
          return { action_id: req.params.id, verdict, status: result.status };
        },
      );
    decideRoute('approve');
    decideRoute('reject');
    app.get(
      '/ops/approvals/pending',
      {
        schema: { description: 'Actions awaiting approval, oldest first.', querystring: PendingQuery, response: { 200: PendingSchema } },
      },
      async (req) => {
        // Few at a time (one pending action per deployment): paged in memory, the common list shape.
        const { limit, offset } = req.query;
        const all = await o.view.listPending();
        return { total: all.length, limit, offset, items: all.slice(offset, offset + limit).map(pendingItem) };
      },
    );
  };
}
