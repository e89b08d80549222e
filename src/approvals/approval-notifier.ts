/**
 * Keeps one chat message per action in step with the action: sends the request when it starts
 * waiting for approval and edits the same message at every later status. Reads the database view
 * at the time of sending, so a burst of events collapses into the latest state. Never throws:
 * a message that cannot be delivered is recorded, and the action stays approvable elsewhere.
 */
import type { ActionStatus } from '../actions/status.js';
import { isoAt, type Clock } from '../shared/clock.js';
import { errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { scrubText } from '../shared/redact.js';
import {
  keyboardFor,
  renderActionMessage,
  renderBlockedNotice,
  renderReplacedNotice,
  type InlineButton,
} from './message.js';
import type { ApprovalAudit, ApprovalView, TelegramMessageStore } from './ports.js';

/** A chat that can show and edit messages. Implementations retry transient failures themselves. */
export interface ChatSender {
  /**
   * Sends an HTML message, with buttons when given.
   * @throws when delivery failed after retries.
   */
  send(text: string, keyboard?: InlineButton[][]): Promise<{ chatId: string; messageId: number }>;
  /**
   * Replaces a message's text; no keyboard removes the buttons. Editing to identical text succeeds.
   * @throws when delivery failed after retries.
   */
  edit(chatId: string, messageId: number, text: string, keyboard?: InlineButton[][]): Promise<void>;
}

export interface NotifierDeps {
  sender: ChatSender;
  view: ApprovalView;
  messages: TelegramMessageStore;
  audit: ApprovalAudit;
  clock: Clock;
  logger: Logger;
  /** Strings scrubbed from everything sent or logged (the bot token among them). */
  secrets: readonly string[];
  /** Called with the scrubbed error of every failed delivery, and with undefined on success. */
  onDelivery?: (error: string | undefined) => void;
}

/** States before a request exists; nothing to show yet. */
const SILENT: ReadonlySet<ActionStatus> = new Set<ActionStatus>(['proposed', 'preparing']);

export class ApprovalNotifier {
  private readonly queues = new Map<string, Promise<void>>();
  private readonly lastText = new Map<string, string>();

  constructor(private readonly deps: NotifierDeps) {}

  /** Tells the ops chat that policy blocked a decision (queued; returns at once). */
  blocked(decisionId: string): void {
    this.enqueue(`decision:${decisionId}`, () => this.sendBlocked(decisionId));
  }

  /** Brings the action's message up to date with the database (queued behind earlier work). */
  refresh(actionId: string): void {
    this.enqueue(actionId, () => this.sync(actionId));
  }

  /** Resolves when all queued work is done. */
  async idle(): Promise<void> {
    while (this.queues.size > 0) await Promise.all([...this.queues.values()]);
  }

  private enqueue(key: string, work: () => Promise<void>): void {
    const prev = this.queues.get(key) ?? Promise.resolve();
    const next = prev.then(work).catch((err: unknown) => this.failed(key, 'update', err));
    this.queues.set(key, next);
    void next.then(() => {
      if (this.queues.get(key) === next) this.queues.delete(key);
    });
  }

  private async sync(actionId: string): Promise<void> {
    const view = await this.deps.view.getRequest(actionId);
    if (view === undefined || SILENT.has(view.status)) return;
    const text = renderActionMessage(view, this.deps.clock.now(), this.deps.secrets);
    const keyboard = keyboardFor(view);
    let existing = this.deps.messages.get(actionId);
    // A plan being made again before any request was sent: nothing to tell yet.
    if (existing === undefined && view.status === 'stale') return;
    // A request for a new plan (re-planned, or a queued action's turn) is a new message, so the chat
    // notices it; the old one is first edited to say so, buttons removed.
    if (existing !== undefined && keyboard !== undefined && existing.planSha256 !== view.planSha256) {
      const old = existing;
      await this.deliver(actionId, 'replaced', () =>
        this.deps.sender.edit(old.chatId, old.messageId, renderReplacedNotice(view, this.deps.secrets)),
      );
      existing = undefined;
    }
    if (existing === undefined) {
      const sent = await this.deliver(actionId, view.status, () => this.deps.sender.send(text, keyboard));
      if (sent === undefined) return;
      this.deps.messages.save({
        actionId,
        chatId: sent.chatId,
        messageId: sent.messageId,
        planSha256: keyboard === undefined ? null : view.planSha256,
        sentAt: isoAt(this.deps.clock),
      });
    } else {
      if (this.lastText.get(actionId) === text) return;
      const done = await this.deliver(actionId, view.status, async () => {
        await this.deps.sender.edit(existing.chatId, existing.messageId, text, keyboard);
        return true;
      });
      if (done === undefined) return;
    }
    this.lastText.set(actionId, text);
  }

  private async sendBlocked(decisionId: string): Promise<void> {
    const blocked = await this.deps.view.getDecision(decisionId);
    if (blocked === undefined) return;
    const text = renderBlockedNotice(blocked, this.deps.secrets);
    await this.deliver(null, 'blocked_by_policy', () => this.deps.sender.send(text));
  }

  private async deliver<T>(actionId: string | null, status: string, call: () => Promise<T>): Promise<T | undefined> {
    try {
      const result = await call();
      this.deps.onDelivery?.(undefined);
      return result;
    } catch (err) {
      this.failed(actionId ?? 'notice', status, err);
      return undefined;
    }
  }

  private failed(key: string, status: string, err: unknown): void {
    const error = scrubText(errorMessage(err), this.deps.secrets);
    this.deps.onDelivery?.(error);
    this.deps.logger.warn({ key, status, error }, 'telegram delivery failed; the action stays approvable over REST');
    const actionId = key.startsWith('decision:') || key === 'notice' ? null : key;
    try {
      this.deps.audit.recordEvent('telegram.delivery_failed', actionId, { status, error });
    } catch (auditErr) {
      this.deps.logger.error({ error: errorMessage(auditErr) }, 'recording a telegram delivery failure failed');
    }
  }
}
