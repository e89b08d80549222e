/**
 * The approval graph on a real SQLite file with the real telegraf client talking to the fake Bot
 * API server, plus the REST routes on a real Fastify app.
 */
import path from 'node:path';
import { openDatabase, type Db } from '../../src/db/connection/database.js';
import { SqliteLedger } from '../../src/db/ledger/sqlite-ledger.js';
import { SqliteApprovalAudit } from '../../src/db/actions/sqlite-approval-audit.js';
import { SqliteApprovalView } from '../../src/db/actions/sqlite-approval-view.js';
import { SqliteTelegramMessageStore } from '../../src/db/telegram/sqlite-telegram-message-store.js';
import { TelegramApprovalChannel } from '../../src/approvals/telegram-approval-channel.js';
import type { ApprovalPort } from '../../src/approvals/ports.js';
import { buildApp, LOOPBACK_ONLY, type ZodApp } from '../../src/http/app.js';
import { approvalRoutes } from '../../src/http/routes/approvals.js';
import { telegramWebhookRoutes } from '../../src/http/routes/telegram-webhook.js';
import { systemClock } from '../../src/shared/clock.js';
import { InProcessEventBus } from '../../src/shared/events.js';
import type { Logger } from '../../src/shared/logger.js';
import { FakeTelegramServer } from '../fakes/fake-telegram-server.js';
import { TransactionalApprovals } from './approval-fixtures.js';
import { tempWorkspace } from './service.js';
import { connectTelegram } from '../../src/compose/reactions.js';

export const ALICE = 111;
export const STRANGER = 222;

/** A logger that keeps every line, to check what reaches the logs. */
export function recordingLogger(lines: string[] = []): Logger & { lines: string[] } {
  const log = (level: string) => (obj: object, msg?: string) => lines.push(`${level} ${msg ?? ''} ${JSON.stringify(obj)}`);
  const l: Logger & { lines: string[] } = {
    lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), child: () => l,
  };
  return l;
}

export interface Harness {
  db: Db;
  events: InProcessEventBus;
  ledger: SqliteLedger;
  view: SqliteApprovalView;
  approvals: ApprovalPort & { calls: unknown[] };
  tg: FakeTelegramServer;
  channel: TelegramApprovalChannel;
  app: ZodApp;
  logger: ReturnType<typeof recordingLogger>;
  sleeps: number[];
  close(): Promise<void>;
}

export async function startHarness(
  o: {
    webhook?: { url: string; secret: string }; apiToken?: string; beforeStart?: (tg: FakeTelegramServer) => void;
    approvals?: (h: Pick<Harness, 'db' | 'ledger' | 'events'>) => ApprovalPort & { calls: unknown[] };
    /** TELEGRAM_ALLOWED_CHAT_IDS. */
    allowedChatIds?: string[];
  } = {},
): Promise<Harness> {
  const ws = tempWorkspace('infraai-approvals-');
  const db = openDatabase(path.join(ws.root, 'db.sqlite'));
  const ledger = new SqliteLedger(db);
  const events = new InProcessEventBus();
  const view = new SqliteApprovalView(db);
  const approvals = o.approvals?.({ db, ledger, events }) ?? new TransactionalApprovals(db, ledger, systemClock, events);
  const tg = new FakeTelegramServer();
  const apiRoot = await tg.start();
  const logger = recordingLogger();
  const sleeps: number[] = [];
  const channel = new TelegramApprovalChannel({
    token: tg.token, chatId: String(tg.opsChat.id), allowedUserIds: [String(ALICE)], apiRoot,
    ...(o.allowedChatIds ? { allowedChatIds: o.allowedChatIds } : {}),
    ...(o.webhook ? { webhook: o.webhook } : {}),
    approvals, view, messages: new SqliteTelegramMessageStore(db), audit: new SqliteApprovalAudit(db, ledger, systemClock),
    events, clock: systemClock, logger,
    // Small waits so outage tests stay quick; the retry_after unit is 10 ms instead of 1 s.
    retry: {
      attempts: 4, baseDelayMs: 10, maxDelayMs: 1000, retryAfterUnitMs: 10,
      sleep: (ms) => { sleeps.push(ms); return new Promise((r) => setTimeout(r, ms)); },
    },
  });
  const routes = [approvalRoutes({ approvals, view })];
  if (o.webhook) {
    routes.push(telegramWebhookRoutes({
      path: new URL(o.webhook.url).pathname, secret: o.webhook.secret, handle: (u) => channel.handleWebhookUpdate(u),
    }));
  }
  const app = await buildApp({ logger, routes, security: { ...LOOPBACK_ONLY, tokens: { apiToken: o.apiToken } } });
  await app.ready();
  o.beforeStart?.(tg);
  connectTelegram(events, channel);
  channel.start();
  return {
    db, events, ledger, view, approvals, tg, channel, app, logger, sleeps,
    async close() {
      await channel.stop();
      await app.close();
      await tg.close();
      db.close();
    },
  };
}
