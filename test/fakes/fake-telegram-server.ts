/**
 * A local Bot API server speaking the wire protocol telegraf 4.16 uses (PROTOCOLS.md §2):
 * POST /bot<token>/<method> with a JSON body, answers {"ok":true,"result":…} or the real error
 * shape. Records every call, keeps sent messages (text + keyboard, edits applied), queues updates
 * for getUpdates, and can be told to fail the next N calls (5xx, 429 with retry_after, reset).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedCall {
  method: string;
  body: Record<string, unknown>;
}

export interface FakeMessage {
  message_id: number;
  chat_id: string;
  text: string;
  reply_markup?: { inline_keyboard: Array<Array<{ text: string; callback_data: string }>> };
  edits: number;
}

type Outage = { kind: '500' | '429' | 'reset'; remaining: number; retryAfter: number; methods?: string[] };

export interface FakeChat {
  id: number;
  type: 'private' | 'group' | 'supergroup' | 'channel';
  title?: string;
  username?: string;
}

/**
 * How the pressed message arrives: `normal` (the message, with its chat), `inaccessible` (Bot
 * API 7.0 InaccessibleMessage: chat, message_id, date 0), `no-chat` (a message object without a
 * chat), `none` (no message at all; with `inlineMessageId` that is an inline-mode press).
 */
export type PressedMessage = 'normal' | 'inaccessible' | 'no-chat' | 'none';

export class FakeTelegramServer {
  readonly calls: RecordedCall[] = [];
  readonly messages = new Map<number, FakeMessage>();
  private readonly updates: Array<Record<string, unknown> & { update_id: number }> = [];
  private server: Server | undefined;
  private nextMessageId = 100;
  private nextUpdateId = 1000;
  private nextCallbackId = 1;
  private outage: Outage | undefined;
  webhook: { url: string; secret_token?: string } | undefined;

  /**
   * The chat tests configure as TELEGRAM_CHAT_ID. A press that names no message and a command
   * that names no chat come from here, as they would from the ops group.
   */
  readonly opsChat: FakeChat = { id: -1001, type: 'supergroup', title: 'ops' };

  constructor(readonly token = '123456:TEST-token-for-the-fake-server-only') {}

  /** Listens on 127.0.0.1 and an ephemeral port; returns the apiRoot for telegraf. */
  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.onRequest(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this.apiRoot;
  }

  get apiRoot(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  /** The next `count` calls (optionally only of these methods) fail the given way. */
  failNext(count: number, kind: Outage['kind'], opts: { retryAfter?: number; methods?: string[] } = {}): void {
    this.outage = { kind, remaining: count, retryAfter: opts.retryAfter ?? 1, methods: opts.methods };
  }

  /** Queues a button press as Telegram would deliver it; returns the callback query id. */
  injectCallback(p: {
    fromId: number;
    data: string;
    messageId?: number;
    username?: string;
    chat?: FakeChat;
    message?: PressedMessage;
    inlineMessageId?: string;
  }): string {
    const id = `cbq-${this.nextCallbackId++}`;
    const msg = p.messageId === undefined ? undefined : this.messages.get(p.messageId);
    const chat = p.chat ?? (msg ? this.chatOf(msg.chat_id) : this.opsChat);
    const base = { message_id: p.messageId ?? 1, date: 1_700_000_000 };
    const message = {
      normal: {
        ...base,
        chat,
        text: msg?.text ?? 'request',
        ...(msg?.reply_markup ? { reply_markup: msg.reply_markup } : {}),
      },
      inaccessible: { ...base, date: 0, chat },
      'no-chat': base,
      none: undefined,
    }[p.message ?? 'normal'];
    this.updates.push({
      update_id: this.nextUpdateId++,
      callback_query: {
        id,
        chat_instance: '-123456789',
        data: p.data,
        from: {
          id: p.fromId,
          is_bot: false,
          first_name: p.username ?? 'User',
          ...(p.username ? { username: p.username } : {}),
        },
        ...(message ? { message } : {}),
        ...(p.inlineMessageId ? { inline_message_id: p.inlineMessageId } : {}),
      },
    });
    return id;
  }

  /** The chat of a message this server sent (its id is all the fake keeps). */
  private chatOf(chatId: string): FakeChat {
    const n = Number(chatId);
    return n === this.opsChat.id ? this.opsChat : { id: n, type: n < 0 ? 'supergroup' : 'private' };
  }

  /** The update JSON for a press, for webhook tests (not queued). */
  callbackUpdate(p: Parameters<FakeTelegramServer['injectCallback']>[0]): Record<string, unknown> {
    this.injectCallback(p);
    return this.updates.pop()!;
  }

  /**
   * Queues a text message (e.g. a command such as /pending) from a user, in the ops chat unless
   * `chat` says otherwise; `channelPost` sends it as a channel post (no user, as Telegram does).
   */
  injectCommand(p: { fromId: number; text: string; chat?: FakeChat; channelPost?: boolean }): void {
    const command = p.text.split(' ')[0] ?? p.text;
    const chat = p.chat ?? this.opsChat;
    const message = {
      message_id: this.nextMessageId++,
      date: 1_700_000_000,
      text: p.text,
      chat,
      ...(p.channelPost ? { sender_chat: chat } : { from: { id: p.fromId, is_bot: false, first_name: 'User' } }),
      entities: [{ type: 'bot_command', offset: 0, length: command.length }],
    };
    this.updates.push({ update_id: this.nextUpdateId++, ...(p.channelPost ? { channel_post: message } : { message }) });
  }

  callsOf(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Waits until `predicate` holds (checked every 20 ms); rejects after `ms` with what was seen. */
  async waitFor(predicate: () => boolean, what: string, ms = 10_000): Promise<void> {
    const until = Date.now() + ms;
    while (!predicate()) {
      if (Date.now() > until) {
        throw new Error(
          `fake telegram: timed out waiting for ${what}; calls: ${this.calls.map((c) => c.method).join(',')}`,
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !match)
      return this.reply(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
    const [, token, method] = match as unknown as [string, string, string];
    if (token !== this.token) return this.reply(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
    const text = Buffer.concat(chunks).toString('utf8');
    const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
    this.calls.push({ method, body });
    if (this.failIfScripted(method, res)) return;
    const result = await this.dispatch(method, body);
    if (result === undefined) {
      return this.reply(res, 400, {
        ok: false,
        error_code: 400,
        description: `Bad Request: fake does not know ${method}`,
      });
    }
    if ('error' in result) return this.reply(res, 400, { ok: false, error_code: 400, description: result.error });
    return this.reply(res, 200, { ok: true, result: result.ok });
  }

  private failIfScripted(method: string, res: ServerResponse): boolean {
    const o = this.outage;
    if (!o || o.remaining <= 0 || (o.methods && !o.methods.includes(method))) return false;
    o.remaining -= 1;
    if (o.kind === 'reset') res.socket?.destroy();
    else if (o.kind === '500')
      this.reply(res, 500, { ok: false, error_code: 500, description: 'Internal Server Error' });
    else {
      this.reply(res, 429, {
        ok: false,
        error_code: 429,
        description: `Too Many Requests: retry after ${o.retryAfter}`,
        parameters: { retry_after: o.retryAfter },
      });
    }
    return true;
  }

  private async dispatch(
    method: string,
    b: Record<string, unknown>,
  ): Promise<{ ok: unknown } | { error: string } | undefined> {
    switch (method) {
      case 'getMe':
        return { ok: { id: 999, is_bot: true, first_name: 'InfraAI', username: 'infraai_test_bot' } };
      case 'deleteWebhook':
        this.webhook = undefined;
        return { ok: true };
      case 'setWebhook':
        this.webhook = {
          url: String(b['url']),
          ...(b['secret_token'] ? { secret_token: String(b['secret_token']) } : {}),
        };
        return { ok: true };
      case 'getUpdates':
        return { ok: await this.getUpdates(b) };
      case 'sendMessage':
        return this.sendMessage(b);
      case 'editMessageText':
        return this.editMessage(b, true);
      case 'editMessageReplyMarkup':
        return this.editMessage(b, false);
      case 'answerCallbackQuery':
        return { ok: true };
      default:
        return undefined;
    }
  }

  private async getUpdates(b: Record<string, unknown>): Promise<unknown[]> {
    const offset = typeof b['offset'] === 'number' ? b['offset'] : 0;
    // Confirmed updates (below offset) are forgotten, as Telegram does.
    while (this.updates.length > 0 && this.updates[0]!.update_id < offset) this.updates.shift();
    const limit = typeof b['limit'] === 'number' ? b['limit'] : 100;
    if (limit === 1 && b['timeout'] === undefined) return this.updates.slice(0, 1); // telegraf's offset sync on stop
    const until = Date.now() + 200;
    while (this.updates.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    return this.updates.slice(0, limit);
  }

  private sendMessage(b: Record<string, unknown>): { ok: unknown } | { error: string } {
    const text = String(b['text'] ?? '');
    if (text.length === 0) return { error: 'Bad Request: message text is empty' };
    const markup = b['reply_markup'] as FakeMessage['reply_markup'] | undefined;
    for (const row of markup?.inline_keyboard ?? []) {
      for (const btn of row) {
        if (Buffer.byteLength(btn.callback_data ?? '') > 64) return { error: 'Bad Request: BUTTON_DATA_INVALID' };
      }
    }
    const m: FakeMessage = {
      message_id: this.nextMessageId++,
      chat_id: String(b['chat_id']),
      text,
      edits: 0,
      ...(markup ? { reply_markup: markup } : {}),
    };
    this.messages.set(m.message_id, m);
    return {
      ok: { message_id: m.message_id, date: 1_700_000_000, chat: { id: Number(m.chat_id), type: 'group' }, text },
    };
  }

  private editMessage(b: Record<string, unknown>, withText: boolean): { ok: unknown } | { error: string } {
    const m = this.messages.get(Number(b['message_id']));
    if (!m || m.chat_id !== String(b['chat_id'])) return { error: 'Bad Request: message to edit not found' };
    const markup = b['reply_markup'] as FakeMessage['reply_markup'] | undefined;
    if (withText) {
      const text = String(b['text'] ?? '');
      if (text === m.text && JSON.stringify(markup) === JSON.stringify(m.reply_markup)) {
        return {
          error:
            'Bad Request: message is not modified: specified new message content and reply markup are exactly the same',
        };
      }
      m.text = text;
    }
    // Like Telegram: an edit without reply_markup removes the inline keyboard.
    if (markup) m.reply_markup = markup;
    else delete m.reply_markup;
    m.edits += 1;
    return {
      ok: {
        message_id: m.message_id,
        date: 1_700_000_000,
        chat: { id: Number(m.chat_id), type: 'group' },
        text: m.text,
      },
    };
  }

  private reply(res: ServerResponse, status: number, body: unknown): void {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }
}
