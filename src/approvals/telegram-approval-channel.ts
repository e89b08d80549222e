/**
 * Telegram adapter (telegraf 4.16): sends approval requests, edits them as actions move on, and
 * hands presses and commands to TelegramUpdates (telegram-updates.ts). Long polling by default
 * (works behind NAT); webhook mode when a webhook URL is configured. The bot token is part of
 * every API URL, so every error is scrubbed of it before it is logged or stored.
 */
import { randomBytes } from 'node:crypto';
import { Telegraf } from 'telegraf';
import type { Clock } from '../shared/clock.js';
import { errorMessage } from '../shared/errors.js';
import type { EventBus } from '../shared/events.js';
import type { Logger } from '../shared/logger.js';
import { scrubText } from '../shared/redact.js';
import { ApprovalNotifier, type ChatSender } from './approval-notifier.js';
import type { InlineButton } from './message.js';
import type { ApprovalAudit, ApprovalPort, ApprovalView, TelegramMessageStore } from './ports.js';
import { TelegramHealth } from './telegram-health.js';
import { TelegramUpdates } from './telegram-updates.js';
import { DEFAULT_RETRY, retryDelay, withRetry, type RetryOptions } from './telegram-retry.js';

export interface TelegramChannelOptions {
  token: string;
  chatId: string;
  /** Chats besides `chatId` whose presses and commands are taken (TELEGRAM_ALLOWED_CHAT_IDS). */
  allowedChatIds?: readonly string[];
  allowedUserIds: readonly string[];
  apiRoot?: string;
  /** Webhook mode when set; the secret is generated when not configured. */
  webhook?: { url: string; secret?: string };
  approvals: ApprovalPort;
  view: ApprovalView;
  messages: TelegramMessageStore;
  audit: ApprovalAudit;
  events: EventBus;
  clock: Clock;
  logger: Logger;
  /** Other secrets to scrub from texts and errors (the token is always scrubbed). */
  secrets?: readonly string[];
  retry?: Partial<RetryOptions>;
  /** How long a press waits for decide() before the callback is answered with "working on it". */
  decideDeadlineMs?: number;
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export class TelegramApprovalChannel {
  readonly mode: 'polling' | 'webhook';
  /** The secret Telegram must send in X-Telegram-Bot-Api-Secret-Token (webhook mode). */
  readonly webhookSecret: string | undefined;
  private readonly bot: Telegraf;
  private readonly notifier: ApprovalNotifier;
  private readonly secrets: string[];
  private readonly retry: RetryOptions;
  private started = false;
  private polling: Promise<void> | undefined;
  private launched = false;
  private stopped = false;
  private relaunchTimer: NodeJS.Timeout | undefined;
  private readonly status: TelegramHealth;
  private connected = false;

  constructor(private readonly o: TelegramChannelOptions) {
    this.mode = o.webhook === undefined ? 'polling' : 'webhook';
    this.webhookSecret = o.webhook === undefined ? undefined : (o.webhook.secret ?? randomBytes(24).toString('hex'));
    this.secrets = [o.token, ...(o.secrets ?? []), ...(this.webhookSecret ? [this.webhookSecret] : [])];
    this.retry = { ...DEFAULT_RETRY, ...o.retry };
    this.bot = new Telegraf(o.token, {
      telegram: { ...(o.apiRoot ? { apiRoot: o.apiRoot } : {}), webhookReply: false },
      handlerTimeout: 30_000,
    });
    this.status = new TelegramHealth({
      // A webhook that never got registered is what the probe retries; otherwise getMe is enough.
      probe: () => (this.mode === 'webhook' && !this.connected ? this.setWebhook() : this.bot.telegram.getMe()),
      probeMs: Math.max(this.retry.maxDelayMs, 10),
      onRecovered: () => this.resendMissing(),
      scrub: (err) => this.scrub(err),
    });
    this.notifier = new ApprovalNotifier({
      sender: this.sender(),
      view: o.view,
      messages: o.messages,
      audit: o.audit,
      clock: o.clock,
      logger: o.logger,
      secrets: this.secrets,
      onDelivery: (e) => (e === undefined ? this.status.succeeded() : this.status.failed(e)),
    });
    const updates = new TelegramUpdates({
      approvals: o.approvals,
      view: o.view,
      messages: o.messages,
      audit: o.audit,
      events: o.events,
      logger: o.logger,
      allowedUserIds: o.allowedUserIds,
      chats: [o.chatId, ...(o.allowedChatIds ?? [])],
      secrets: this.secrets,
      retry: this.retry,
      ...(o.decideDeadlineMs === undefined ? {} : { decideDeadlineMs: o.decideDeadlineMs }),
      refresh: (actionId) => this.notifier.refresh(actionId),
      scrub: (err) => this.scrub(err),
    });
    this.bot.on('callback_query', (ctx) => updates.onCallback(ctx));
    this.bot.command('pending', (ctx) => updates.onList(ctx, 'pending'));
    this.bot.command('status', (ctx) => updates.onList(ctx, 'status'));
    this.bot.catch((err, ctx) => {
      this.o.logger.error({ error: this.scrub(err), update: ctx.updateType }, 'telegram update handler failed');
    });
  }

  /** An action's status changed: its request message is sent or brought up to date (queued; returns at once). */
  onActionStatus(actionId: string): void {
    this.notifier.refresh(actionId);
  }

  /** Policy blocked a decision: the ops chat is told (queued; returns at once). */
  onDecisionBlocked(decisionId: string): void {
    this.notifier.blocked(decisionId);
  }

  /** Connects (without waiting for Telegram); connect its reactions first. Idempotent. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.resendMissing();
    if (this.mode === 'polling') this.launchPolling(1);
    else void this.registerWebhook();
  }

  /** Requests that never reached Telegram (it was down, or the service restarted) are sent now. */
  private resendMissing(): void {
    void this.o.view.listPending().then(
      (pending) =>
        pending
          .filter((v) => this.o.messages.get(v.actionId) === undefined)
          .forEach((v) => this.notifier.refresh(v.actionId)),
      (err: unknown) => this.o.logger.error({ error: this.scrub(err) }, 'listing pending approvals failed'),
    );
  }

  /** Stops polling and waits briefly for queued messages. Idempotent; never throws. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.status.stop();
    clearTimeout(this.relaunchTimer);
    if (this.launched) await this.stopPolling();
    await Promise.race([this.notifier.idle(), delay(3000)]);
  }

  /**
   * bot.stop() throws "Bot is not running!" until launch() has got through getMe and
   * deleteWebhook; keep trying until polling runs (then stop it) or launch has failed.
   */
  private async stopPolling(): Promise<void> {
    let settled = false;
    const done = (this.polling ?? Promise.resolve()).finally(() => {
      settled = true;
    });
    for (let i = 0; i < 150 && !settled; i++) {
      try {
        this.bot.stop('service stopping');
        break;
      } catch {
        await delay(20);
      }
    }
    await Promise.race([done, delay(3000)]);
  }

  /** For tests and shutdown: resolves when queued sends/edits are done. */
  idle(): Promise<void> {
    return this.notifier.idle();
  }

  /** Re-renders an action's message (e.g. after a refused press found it stale). */
  refresh(actionId: string): void {
    this.notifier.refresh(actionId);
  }

  health(): { ok: boolean; detail: string } {
    if (this.status.error !== undefined) return { ok: false, detail: `${this.mode}; last error: ${this.status.error}` };
    return { ok: true, detail: `${this.mode}; ${this.connected ? 'connected' : 'connecting'}` };
  }

  /** Webhook mode: hands one update (already authenticated by the route) to telegraf. */
  handleWebhookUpdate(update: unknown): void {
    void this.bot.handleUpdate(update as Parameters<Telegraf['handleUpdate']>[0]).catch((err: unknown) => {
      this.o.logger.error({ error: this.scrub(err) }, 'telegram webhook update failed');
    });
  }

  private scrub(err: unknown): string {
    return scrubText(errorMessage(err), this.secrets);
  }

  private launchPolling(attempt: number): void {
    if (this.stopped) return;
    this.launched = true;
    this.polling = this.bot
      .launch(() => {
        this.connected = true;
        this.status.succeeded();
        this.o.logger.info({ mode: 'polling' }, 'telegram connected');
      })
      .catch((err: unknown) => {
        this.connected = false;
        const error = this.scrub(err);
        this.status.failed(error);
        const delay = retryDelay(err, Math.min(attempt, 6), this.retry);
        this.o.logger.error({ error, retryInMs: delay }, 'telegram polling stopped');
        if (delay !== undefined && !this.stopped) {
          this.relaunchTimer = setTimeout(() => this.launchPolling(attempt + 1), delay);
          this.relaunchTimer.unref();
        }
      });
  }

  private async registerWebhook(): Promise<void> {
    try {
      await withRetry(() => this.setWebhook(), this.retry);
      this.status.succeeded();
    } catch (err) {
      const error = this.scrub(err);
      this.status.failed(error);
      this.o.logger.error({ error }, 'telegram setWebhook failed');
    }
  }

  private async setWebhook(): Promise<void> {
    const url = this.o.webhook?.url ?? '';
    await this.bot.telegram.setWebhook(url, {
      secret_token: this.webhookSecret,
      allowed_updates: ['callback_query', 'message'],
    });
    this.connected = true;
    this.o.logger.info({ mode: 'webhook', url }, 'telegram webhook registered');
  }

  private sender(): ChatSender {
    const markup = (k?: InlineButton[][]) => (k === undefined ? {} : { reply_markup: { inline_keyboard: k } });
    const onRetry = (err: unknown, attempt: number, delayMs: number) =>
      this.o.logger.warn({ error: this.scrub(err), attempt, delayMs }, 'telegram call failed; retrying');
    return {
      send: async (text, keyboard) => {
        const m = await withRetry(
          () =>
            this.bot.telegram.sendMessage(this.o.chatId, text, {
              parse_mode: 'HTML',
              link_preview_options: { is_disabled: true },
              ...markup(keyboard),
            }),
          this.retry,
          onRetry,
        );
        return { chatId: String(m.chat.id), messageId: m.message_id };
      },
      edit: async (chatId, messageId, text, keyboard) => {
        try {
          await withRetry(
            () =>
              this.bot.telegram.editMessageText(chatId, messageId, undefined, text, {
                parse_mode: 'HTML',
                link_preview_options: { is_disabled: true },
                ...markup(keyboard),
              }),
            this.retry,
            onRetry,
          );
        } catch (err) {
          if (!/message is not modified/i.test(errorMessage(err))) throw err;
        }
      },
    };
  }
}
