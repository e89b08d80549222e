import type { DecisionModel } from '../agent/decision-model.js';
import { GeminiDecisionClient } from '../agent/gemini-decision-client.js';
import type { ApprovalPort, ApprovalView } from '../approvals/ports.js';
import { TelegramApprovalChannel } from '../approvals/telegram-approval-channel.js';
import type { RetryOptions } from '../approvals/telegram-retry.js';
import type { Config } from '../config/config.js';
import type { Db } from '../db/connection/database.js';
import type { Ledger } from '../db/ledger/sqlite-ledger.js';
import { SqliteApprovalAudit } from '../db/actions/sqlite-approval-audit.js';
import { SqliteTelegramMessageStore } from '../db/telegram/sqlite-telegram-message-store.js';
import type { Clock } from '../shared/clock.js';
import { AppError } from '../shared/errors.js';
import type { EventBus } from '../shared/events.js';
import type { Logger } from '../shared/logger.js';

/** The Telegram channel when a bot token is configured (long polling, or webhook with TELEGRAM_WEBHOOK_URL). */
export function telegramFrom(
  config: Config,
  d: {
    approvals: ApprovalPort;
    view: ApprovalView;
    db: Db;
    ledger: Ledger;
    events: EventBus;
    clock: Clock;
    logger: Logger;
    retry?: Partial<RetryOptions>;
  },
): TelegramApprovalChannel | undefined {
  const env = config.env;
  if (env.TELEGRAM_BOT_TOKEN === undefined || env.TELEGRAM_CHAT_ID === undefined) return undefined;
  if (env.TELEGRAM_WEBHOOK_URL !== undefined && new URL(env.TELEGRAM_WEBHOOK_URL).pathname === '/') {
    throw new AppError('ERR_CONFIG', 'TELEGRAM_WEBHOOK_URL needs a path (e.g. https://host/telegram/webhook)');
  }
  return new TelegramApprovalChannel({
    token: env.TELEGRAM_BOT_TOKEN,
    chatId: env.TELEGRAM_CHAT_ID,
    allowedChatIds: env.TELEGRAM_ALLOWED_CHAT_IDS,
    allowedUserIds: env.TELEGRAM_ALLOWED_USER_IDS,
    ...(env.TELEGRAM_API_ROOT ? { apiRoot: env.TELEGRAM_API_ROOT } : {}),
    ...(env.TELEGRAM_WEBHOOK_URL
      ? {
          webhook: {
            url: env.TELEGRAM_WEBHOOK_URL,
            ...(env.TELEGRAM_WEBHOOK_SECRET ? { secret: env.TELEGRAM_WEBHOOK_SECRET } : {}),
          },
        }
      : {}),
    approvals: d.approvals,
    view: d.view,
    messages: new SqliteTelegramMessageStore(d.db),
    audit: new SqliteApprovalAudit(d.db, d.ledger, d.clock),
    events: d.events,
    clock: d.clock,
    logger: d.logger,
    secrets: [env.API_TOKEN, env.WEBHOOK_TOKEN, env.GEMINI_API_KEY].filter((s): s is string => s !== undefined),
    ...(d.retry ? { retry: d.retry } : {}),
  });
}

/** Gemini when a key is configured; otherwise undefined and the rules agent decides. */
export function geminiFrom(config: Config): DecisionModel | undefined {
  const env = config.env;
  if (env.GEMINI_API_KEY === undefined) return undefined;
  return new GeminiDecisionClient({
    apiKey: env.GEMINI_API_KEY,
    model: env.GEMINI_MODEL,
    timeoutMs: env.GEMINI_TIMEOUT_MS,
    maxRetries: env.GEMINI_MAX_RETRIES,
    ...(env.GEMINI_BASE_URL ? { baseUrl: env.GEMINI_BASE_URL } : {}),
  });
}
