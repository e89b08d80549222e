import type Database from 'better-sqlite3';
import type { SentMessage, TelegramMessageStore } from '../../approvals/ports.js';

interface Row {
  action_id: string;
  chat_id: string;
  message_id: number;
  plan_sha256: string | null;
  sent_at: string;
}

/** telegram_messages: one request message per action. */
export class SqliteTelegramMessageStore implements TelegramMessageStore {
  private readonly getStmt: Database.Statement<[string], Row>;
  private readonly saveStmt: Database.Statement<[SentMessage]>;

  constructor(db: Database.Database) {
    this.getStmt = db.prepare('SELECT * FROM telegram_messages WHERE action_id = ?');
    this.saveStmt = db.prepare(
      `INSERT INTO telegram_messages (action_id, chat_id, message_id, plan_sha256, sent_at)
       VALUES (@actionId, @chatId, @messageId, @planSha256, @sentAt)
       ON CONFLICT(action_id) DO UPDATE SET chat_id = excluded.chat_id, message_id = excluded.message_id,
         plan_sha256 = excluded.plan_sha256, sent_at = excluded.sent_at`,
    );
  }

  get(actionId: string): SentMessage | undefined {
    const r = this.getStmt.get(actionId);
    return r === undefined
      ? undefined
      : {
          actionId: r.action_id,
          chatId: r.chat_id,
          messageId: r.message_id,
          planSha256: r.plan_sha256,
          sentAt: r.sent_at,
        };
  }

  save(m: SentMessage): void {
    this.saveStmt.run(m);
  }
}
