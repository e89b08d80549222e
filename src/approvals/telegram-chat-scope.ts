/**
 * Which Telegram chats the bot takes button presses and commands from: TELEGRAM_CHAT_ID (where
 * approval requests go) plus TELEGRAM_ALLOWED_CHAT_IDS. An allowed user acting anywhere else —
 * another group, their private chat with the bot, a channel, an inline-mode message — is refused:
 * approvals are a team decision made where the team sees them.
 */

/** The part of a Telegram chat the decision needs (as updates deliver it). */
export interface ChatRef {
  id: number | string;
  type?: string;
  username?: string;
}

export const WRONG_CHAT_PRESS =
  '⛔ This bot only works in the ops chat. Nothing was changed; this attempt was recorded.';
export const WRONG_CHAT_COMMAND = '⛔ This bot only works in the ops chat.';

export class ChatScope {
  private readonly ids = new Set<string>();
  private readonly usernames = new Set<string>();

  /** `chats`: numeric ids (`-100…` for groups and channels) or `@username`s of public chats. */
  constructor(chats: readonly string[]) {
    for (const c of chats.map((x) => x.trim()).filter((x) => x !== '')) {
      if (c.startsWith('@')) this.usernames.add(c.slice(1).toLowerCase());
      else this.ids.add(c);
    }
  }

  /** True only for a chat that is known and listed. Never throws. */
  allows(chat: ChatRef | undefined): boolean {
    if (chat === undefined || chat.id === undefined || chat.id === null) return false;
    if (this.ids.has(String(chat.id))) return true;
    return typeof chat.username === 'string' && this.usernames.has(chat.username.toLowerCase());
  }
}

/** How a chat is named in a refusal reason (ledger, approvals row). */
export function describeChat(chat: ChatRef | undefined): string {
  if (chat === undefined) return 'no chat (inline or inaccessible message)';
  return `chat ${String(chat.id)}${chat.type ? ` (${chat.type})` : ''}`;
}

/**
 * The chat a callback query was pressed in: its message's chat. Inline-mode presses carry only an
 * `inline_message_id`, and a malformed or inaccessible message may carry no chat: undefined then.
 */
export function callbackChat(cq: object): ChatRef | undefined {
  const message = (cq as { message?: unknown }).message;
  if (message === null || typeof message !== 'object') return undefined;
  const chat = (message as { chat?: unknown }).chat;
  if (chat === null || typeof chat !== 'object') return undefined;
  const { id, type, username } = chat as { id?: unknown; type?: unknown; username?: unknown };
  if (typeof id !== 'number' && typeof id !== 'string') return undefined;
  return { id, ...(typeof type === 'string' ? { type } : {}), ...(typeof username === 'string' ? { username } : {}) };
}
