import { z } from 'zod';
import { AppError } from '../../shared/errors.js';
import type { RouteModule } from '../app.js';
import { safeEqual } from '../auth.js';

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
        schema: { hide: true, body: UpdateSchema },
        onRequest: async (req) => {
          const given = req.headers['x-telegram-bot-api-secret-token'];
          if (typeof given !== 'string' || given.length === 0) {
            throw new AppError('ERR_WEBHOOK_UNAUTHORIZED', 'missing X-Telegram-Bot-Api-Secret-Token header');
          }
          if (!safeEqual(given, o.secret)) throw new AppError('ERR_FORBIDDEN', 'wrong X-Telegram-Bot-Api-Secret-Token');
        },
      },
      async (req, reply) => {
        o.handle(req.body);
        return reply.code(200).send({ ok: true });
      },
    );
  };
}
