import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { parseWebhookBody } from '../../alerts/alert-schemas.js';
import type { IntakeResult } from '../../alerts/intake.js';
import { normalise, type NormalisedNotification } from '../../alerts/normalise.js';
import { AppError, ERROR_STATUS, type ErrorCode } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { RouteModule } from '../app.js';
import { responses } from '../wire/common.js';
import { WebhookResultWire, webhookResultToWire } from '../wire/ops.js';

export interface WebhookRouteDeps {
  /** Stores a notification (group-committed); resolves after commit. */
  intake: { submit(n: NormalisedNotification): Promise<IntakeResult> };
  resourceLabels: readonly string[];
  /** WEBHOOK_MAX_PENDING: above this many in-flight requests or queued decisions → 503. */
  maxPending: number;
  /** Decisions queued and not yet made. */
  backlog: () => number;
  bodyLimitBytes?: number;
  logger: Logger;
}

/** Seconds Alertmanager (which retries 5xx with backoff) is told to wait. */
const RETRY_AFTER_SECONDS = '5';

function unavailable(reply: FastifyReply, code: ErrorCode, message: string) {
  return reply.code(ERROR_STATUS[code]).header('retry-after', RETRY_AFTER_SECONDS).send({ error: { code, message } });
}

/**
 * POST /ops/webhook: Alertmanager (v4) and simple-form alerts. Everything is committed before
 * the 2xx; deciding happens after the answer. 503 (which Alertmanager retries) when overloaded
 * or when the database refuses the write; 4xx only for requests a retry cannot fix.
 */
export function webhookRoutes(deps: WebhookRouteDeps): RouteModule {
  let inFlight = 0;
  return (app) => {
    app.post(
      '/ops/webhook',
      {
        bodyLimit: deps.bodyLimitBytes ?? 1_048_576,
        // The handler builds the reply from numbers and ids; re-validating it with zod on every
        // request cost ~5% of intake time. The schema below still documents it (OpenAPI).
        serializerCompiler: () => (data) => JSON.stringify(data),
        schema: {
          description: 'Receives an Alertmanager webhook (version 4) or {"resource_id","metric","value","threshold"}.',
          body: z.unknown(),
          response: responses({ 200: WebhookResultWire, 202: WebhookResultWire }),
        },
        // WEBHOOK_TOKEN (bearer or basic), checked by access.ts before this route's own hooks and
        // before the body is read: an unauthenticated caller costs no parsing and learns nothing
        // about the body rules; only then the overload check counts the request.
        config: { access: 'webhook' },
        onRequest: [
          async (req, reply) => {
            if (inFlight >= deps.maxPending || deps.backlog() >= deps.maxPending) {
              return unavailable(
                reply,
                'ERR_OVERLOADED',
                `webhook overloaded (limit WEBHOOK_MAX_PENDING=${deps.maxPending}); retry later`,
              );
            }
            inFlight += 1;
            reply.raw.once('close', () => {
              inFlight -= 1;
            });
          },
        ],
      },
      async (req, reply) => {
        const parsed = parseWebhookBody(req.body);
        if (!parsed.ok) {
          const first = parsed.issues[0];
          throw new AppError('ERR_VALIDATION', `invalid webhook payload: ${first?.field}: ${first?.message}`, {
            details: parsed.issues,
          });
        }
        const notification = normalise(parsed.value, deps.resourceLabels);
        let result: IntakeResult;
        try {
          result = await deps.intake.submit(notification);
        } catch (err) {
          if (err instanceof AppError && err.status < 500) throw err;
          deps.logger.error({ err: { message: (err as Error).message } }, 'storing webhook notification failed');
          return unavailable(
            reply,
            'ERR_STORE_UNAVAILABLE',
            `storing the notification failed: ${(err as Error).message}`,
          );
        }
        return reply.code(result.duplicate ? 200 : 202).send(webhookResultToWire(result));
      },
    );
  };
}
