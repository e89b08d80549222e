import { z } from 'zod';
import type { RouteModule } from '../app.js';
import { responses } from '../wire/common.js';
import { TelegramAckWire } from '../wire/ops.js';

export interface TelegramWebhookOptions {
  /** Path part of TELEGRAM_WEBHOOK_URL. */
  path: string;
  /** What Telegram sends in X-Telegram-Bot-Api-Secret-Token (set through setWebhook). */
  secret: string;
  /** Hands an authenticated update to the bot; must return quickly. */
  handle(update: unknown): void;
}

// Only the envelope is checked here; telegraf dispatches on the update's own fields.
const UpdateSchema = z.looseObject({ update_id: z.number().int().nonnegative() });

/** Telegram webhook endpoint: 401 without the secret header, 403 with a wrong one, else 200 at once. */
export function telegramWebhookRoutes(o: TelegramWebhookOptions): RouteModule {
  return (app) => {
    app.post(
      o.path,
      {
        schema: { hide: true, body: UpdateSchema, response: responses({ 200: TelegramAckWire }) },
        // Checked (and failures rate-limited) by access.ts like every other credential.
        config: { access: { secretHeader: 'x-telegram-bot-api-secret-token', secret: o.secret } },
      },
      async (req, reply) => {
        o.handle(req.body);
        return reply.code(200).send({ ok: true as const });
      },
    );
  };
}
