/**
 * REST approval endpoints. `:id` is always the ACTION id (what the dashboard, the Telegram message
 * and GET /ops/approvals/pending show), never the decision id.
 */
import { z } from 'zod';
import type { ApprovalPort, ApprovalView, Verdict } from '../../approvals/ports.js';
import { AppError } from '../../shared/errors.js';
import type { RouteModule } from '../app.js';
import { PendingPageWire, VerdictWire, pendingToWire } from '../wire/approval.js';
import { responses } from '../wire/common.js';

export interface ApprovalRoutesOptions {
  approvals: ApprovalPort;
  view: ApprovalView;
}

const ParamsSchema = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9_-]+$/, 'must be an action id'),
});

const BodySchema = z
  .object({
    actor: z.string().trim().min(1).max(120).optional(),
    reason: z.string().max(1000).optional(),
    plan_sha256: z
      .string()
      .regex(/^[a-f0-9]{64}$/, 'must be a hex sha256')
      .optional(),
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

/** Tokens are checked for every route by access.ts (writes: API_TOKEN; reads: API_TOKEN or READ_TOKEN). */
export function approvalRoutes(o: ApprovalRoutesOptions): RouteModule {
  return (app) => {
    const decideRoute = (verdict: Verdict) =>
      app.post(
        `/ops/${verdict}/:id`,
        {
          schema: {
            description: `${verdict === 'approve' ? 'Approves' : 'Rejects'} the ACTION with this id (single-use; 409 once decided, expired or obsolete). Send "X-InfraAI-Channel: dashboard" from the dashboard.`,
            params: ParamsSchema,
            body: BodySchema,
            headers: HeadersSchema,
            response: responses({ 200: VerdictWire }),
          },
        },
        async (req) => {
          const body = req.body ?? {};
          const channel = req.headers['x-infraai-channel'] ?? 'rest';
          const result = await o.approvals.submitVerdict({
            actionId: req.params.id,
            verdict,
            channel,
            actor: body.actor === undefined ? channel : `${channel}:${body.actor}`,
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
        schema: {
          description: 'Actions awaiting approval, oldest first.',
          querystring: PendingQuery,
          response: responses({ 200: PendingPageWire }),
        },
      },
      async (req) => {
        // Few at a time (one pending action per deployment): paged in memory, the common list shape.
        const { limit, offset } = req.query;
        const all = await o.view.listPending();
        return { total: all.length, limit, offset, items: all.slice(offset, offset + limit).map(pendingToWire) };
      },
    );
  };
}
