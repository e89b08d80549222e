/**
 * What the bot does with updates from Telegram: button presses become ApprovalPort.decide calls
 * (after the chat, the callback data and the user are checked), `/pending` and `/status` list
 * actions. Every refusal is answered and recorded. The transport (polling, webhook, sending) is
 * telegram-approval-channel.ts.
 */
import type { Context } from 'telegraf';
import type { EventBus } from '../shared/events.js';
import type { Logger } from '../shared/logger.js';
import { CallbackDataSchema, callbackAnswer, renderActionList } from './message.js';
import type {
  ApprovalAudit,
  ApprovalPort,
  ApprovalView,
  VerdictResult,
  TelegramMessageStore,
  Verdict,
} from './ports.js';
import {
  callbackChat,
  ChatScope,
  describeChat,
  WRONG_CHAT_COMMAND,
  WRONG_CHAT_PRESS,
  type ChatRef,
} from './telegram-chat-scope.js';
import { withRetry, type RetryOptions } from './telegram-retry.js';

export interface TelegramUpdateDeps {
  approvals: ApprovalPort;
  view: ApprovalView;
  messages: TelegramMessageStore;
  audit: ApprovalAudit;
  events: EventBus;
  logger: Logger;
  /** TELEGRAM_ALLOWED_USER_IDS. */
  allowedUserIds: readonly string[];
  /** TELEGRAM_CHAT_ID and TELEGRAM_ALLOWED_CHAT_IDS: the only chats presses and commands are taken from. */
  chats: readonly string[];
  secrets: readonly string[];
  retry: RetryOptions;
  /** How long a press waits for decide() before the callback is answered with "working on it". */
  decideDeadlineMs?: number;
  /** Re-renders an action's message (a refused press may come from a stale one). */
  refresh(actionId: string): void;
  /** The error's message with the bot token and other secrets removed. */
  scrub(err: unknown): string;
}

const REFUSAL_TEXT: Record<string, string> = {
  ERR_ACTION_NOT_FOUND: '❓ Unknown action. Nothing was changed.',
  ERR_APPROVAL_ALREADY_DECIDED: '↩️ Already decided. Nothing was changed.',
  ERR_APPROVAL_EXPIRED: '⌛ This request has expired. Nothing was changed.',
  ERR_ACTION_OBSOLETE: '🟢 The alert resolved on its own. Nothing was changed.',
  ERR_CONFLICT: '⚠️ The plan changed since this message was sent. Nothing was changed.',
};

/** The callback answer for a decide() result. */
export function describeVerdictResult(verdict: Verdict, r: VerdictResult): string {
  if (r.ok) return verdict === 'approve' ? '✅ Approved. Applying the plan now.' : '🚫 Rejected. Nothing will change.';
  return callbackAnswer(`${REFUSAL_TEXT[r.code] ?? '⚠️ Refused.'} ${r.message}`);
}

const NOT_OPS_CHAT = 'is not the ops chat (TELEGRAM_CHAT_ID, TELEGRAM_ALLOWED_CHAT_IDS)';

export class TelegramUpdates {
  private readonly allowed: Set<string>;
  private readonly chats: ChatScope;

  constructor(private readonly o: TelegramUpdateDeps) {
    this.allowed = new Set(o.allowedUserIds);
    this.chats = new ChatScope(o.chats);
  }

  private async answer(ctx: Context, text: string): Promise<void> {
    try {
      await withRetry(() => ctx.answerCbQuery(callbackAnswer(text), { show_alert: false }), {
        ...this.o.retry,
        attempts: 2,
      });
    } catch (err) {
      this.o.logger.warn({ error: this.o.scrub(err) }, 'answering a telegram callback failed');
    }
  }

  /** A button press: checked (chat, data, user) before anything is decided. Never throws. */
  async onCallback(ctx: Context): Promise<void> {
    const cq = ctx.callbackQuery;
    if (cq === undefined) return;
    const parsed = CallbackDataSchema.safeParse('data' in cq ? cq.data : undefined);
    const chat = callbackChat(cq);
    if (!this.chats.allows(chat)) return this.refuseChatPress(ctx, chat, parsed.success ? parsed.data : undefined);
    if (!parsed.success) {
      this.o.logger.warn({ from: cq.from.id }, 'telegram callback with unknown data refused');
      // Forged presses are attempts too: keep a durable, bounded trace (a log line alone is lost).
      const raw = 'data' in cq && typeof cq.data === 'string' ? cq.data : '';
      this.o.audit.recordEvent('telegram.callback_refused', null, {
        from: cq.from.id,
        allowed: this.allowed.has(String(cq.from.id)),
        reason: 'unknown callback data',
        data_prefix: raw.slice(0, 64),
        data_bytes: Buffer.byteLength(raw),
      });
      return this.answer(ctx, '⚠️ Unknown button. Nothing was changed.');
    }
    const { verdict, actionId } = parsed.data;
    const actor = `telegram:${cq.from.id}${cq.from.username ? ` @${cq.from.username}` : ''}`;
    if (!this.allowed.has(String(cq.from.id))) {
      this.o.audit.recordRefusal({
        actionId,
        verdict,
        channel: 'telegram',
        actor,
        reason: 'user not in TELEGRAM_ALLOWED_USER_IDS',
      });
      this.o.events.publish({ type: 'approval.recorded', actionId, verdict, outcome: 'refused', channel: 'telegram' });
      return this.answer(ctx, '⛔ You are not allowed to approve or reject changes. This attempt was recorded.');
    }
    await this.decideAndAnswer(ctx, { verdict, actionId, actor });
  }

  /** A press outside the ops chat: answered, recorded (on the action when the data names one), never decided. */
  private async refuseChatPress(
    ctx: Context,
    chat: ChatRef | undefined,
    target: { verdict: Verdict; actionId: string } | undefined,
  ): Promise<void> {
    const cq = ctx.callbackQuery!;
    const reason = `${describeChat(chat)} ${NOT_OPS_CHAT}`;
    this.o.logger.warn({ from: cq.from.id, chat: chat?.id ?? null }, 'telegram press outside the ops chat refused');
    // Recorded before the answer: once the user reads "recorded", it is.
    if (target === undefined) {
      const raw = 'data' in cq && typeof cq.data === 'string' ? cq.data : '';
      this.o.audit.recordEvent('telegram.callback_refused', null, {
        from: cq.from.id,
        allowed: this.allowed.has(String(cq.from.id)),
        reason,
        chat_id: chat?.id ?? null,
        data_prefix: raw.slice(0, 64),
        data_bytes: Buffer.byteLength(raw),
      });
    } else {
      const actor = `telegram:${cq.from.id}${cq.from.username ? ` @${cq.from.username}` : ''}`;
      this.o.audit.recordRefusal({ ...target, channel: 'telegram', actor, reason });
      this.o.events.publish({ type: 'approval.recorded', ...target, outcome: 'refused', channel: 'telegram' });
    }
    await this.answer(ctx, WRONG_CHAT_PRESS);
  }

  private async decideAndAnswer(ctx: Context, p: { verdict: Verdict; actionId: string; actor: string }): Promise<void> {
    const planSha256 = this.o.messages.get(p.actionId)?.planSha256 ?? undefined;
    const decision = this.o.approvals
      .submitVerdict({
        actionId: p.actionId,
        verdict: p.verdict,
        channel: 'telegram',
        actor: p.actor,
        ...(planSha256 ? { planSha256 } : {}),
      })
      .then(
        (r) => ({ r }),
        (err: unknown) => ({ err }),
      );
    // Telegram shows a spinner until answered; apply work is the executor's, so decide() is short,
    // but never keep the user waiting on it beyond the deadline.
    const deadline = new Promise<'late'>((resolve) =>
      setTimeout(() => resolve('late'), this.o.decideDeadlineMs ?? 2500).unref(),
    );
    const outcome = await Promise.race([decision, deadline]);
    if (outcome === 'late') {
      await this.answer(ctx, '⏳ Received. The message will update when it is recorded.');
    } else if ('err' in outcome) {
      this.o.logger.error(
        { error: this.o.scrub(outcome.err), actionId: p.actionId },
        'decide failed for a telegram press',
      );
      await this.answer(ctx, '⚠️ Could not record your decision (internal error). Try again or use the dashboard.');
    } else {
      await this.answer(ctx, describeVerdictResult(p.verdict, outcome.r));
      // A refused press may come from a stale message (e.g. expired while Telegram was down).
      if (!outcome.r.ok) this.o.refresh(p.actionId);
    }
  }

  /** `/pending` and `/status`: answered only in the ops chat and only to allowed users. Never throws. */
  async onList(ctx: Context, which: 'pending' | 'status'): Promise<void> {
    const chat = ctx.chat as ChatRef | undefined;
    const userAllowed = ctx.from !== undefined && this.allowed.has(String(ctx.from.id));
    if (!this.chats.allows(chat))
      return this.refuseCommand(ctx, which, userAllowed, `${describeChat(chat)} ${NOT_OPS_CHAT}`, WRONG_CHAT_COMMAND);
    if (!userAllowed)
      return this.refuseCommand(
        ctx,
        which,
        userAllowed,
        'user not in TELEGRAM_ALLOWED_USER_IDS',
        '⛔ You are not allowed to use this bot.',
      );
    const views = which === 'pending' ? await this.o.view.listPending() : await this.o.view.listRecent(10);
    const title = which === 'pending' ? 'Waiting for approval' : 'Last actions';
    await withRetry(
      () => ctx.reply(renderActionList(title, views, this.o.secrets), { parse_mode: 'HTML' }),
      this.o.retry,
    ).catch((err: unknown) => this.o.logger.warn({ error: this.o.scrub(err) }, 'telegram reply failed'));
  }

  /** A refused command: recorded in the ledger (who, where, why), then answered with `text` and nothing else. */
  private async refuseCommand(
    ctx: Context,
    command: string,
    userAllowed: boolean,
    reason: string,
    text: string,
  ): Promise<void> {
    this.o.audit.recordEvent('telegram.command_refused', null, {
      command,
      from: ctx.from?.id ?? null,
      allowed: userAllowed,
      chat_id: ctx.chat?.id ?? null,
      reason,
    });
    await ctx.reply(text).catch(() => undefined);
  }
}
