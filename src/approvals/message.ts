/**
 * Telegram message texts (HTML parse mode) and callback data. Pure: the caller passes the view,
 * the current time and the secrets to scrub. Every string that came from outside (labels, reasons,
 * plan values, error output) is scrubbed, truncated and HTML-escaped, in that order.
 */
import { z } from 'zod';
import { scrubText } from '../shared/redact.js';
import type {
  ApprovalAlertView,
  ApprovalRequestView,
  BlockedDecisionView,
  ApprovalDecisionView,
  Verdict,
} from './ports.js';

/** Telegram's limit for callback_data, in bytes (not characters). */
export const CALLBACK_DATA_MAX_BYTES = 64;
/** Telegram's limit for a message text, in characters after entity parsing; we stay under it. */
export const MESSAGE_MAX_CHARS = 4000;

/** Value chains shown per message, and the characters of each (before escaping). */
const MAX_CHAINS = 4;
const CHAIN_MAX_CHARS = 300;

const ACTION_ID = /^[A-Za-z0-9_-]{1,62}$/;

/** `a:<actionId>` approves, `r:<actionId>` rejects. Names the action only; the server holds the rest. */
export const CallbackDataSchema = z
  .string()
  .max(CALLBACK_DATA_MAX_BYTES)
  .regex(/^[ar]:[A-Za-z0-9_-]{1,62}$/, 'must be a:<actionId> or r:<actionId>')
  .transform((s) => ({ verdict: (s[0] === 'a' ? 'approve' : 'reject') as Verdict, actionId: s.slice(2) }));

/**
 * The callback data for a button.
 * @throws Error when the action id has unexpected characters or the data would exceed 64 bytes.
 */
export function encodeCallbackData(verdict: Verdict, actionId: string): string {
  if (!ACTION_ID.test(actionId)) throw new Error(`action id "${actionId}" cannot be put in callback data`);
  const data = `${verdict === 'approve' ? 'a' : 'r'}:${actionId}`;
  if (Buffer.byteLength(data, 'utf8') > CALLBACK_DATA_MAX_BYTES) {
    throw new Error(`callback data for ${actionId} exceeds ${CALLBACK_DATA_MAX_BYTES} bytes`);
  }
  return data;
}

export interface InlineButton {
  text: string;
  callback_data: string;
}

/** The ✅/❌ keyboard while the action awaits approval; none afterwards (so the edit removes it). */
export function keyboardFor(view: Pick<ApprovalRequestView, 'actionId' | 'status'>): InlineButton[][] | undefined {
  if (view.status !== 'awaiting_approval') return undefined;
  return [
    [
      { text: '✅ Approve', callback_data: encodeCallbackData('approve', view.actionId) },
      { text: '❌ Reject', callback_data: encodeCallbackData('reject', view.actionId) },
    ],
  ];
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The first non-empty line, for error summaries. */
export function firstLine(text: string | null | undefined): string {
  return (
    (text ?? '')
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.length > 0) ?? ''
  );
}

/** `2026-01-01T00:15:00.000Z` → `2026-01-01 00:15 UTC`. */
export function formatTime(iso: string | null): string {
  if (iso === null) return 'unknown';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function relative(iso: string | null, now: number): string {
  if (iso === null) return '';
  const diff = Date.parse(iso) - now;
  if (Number.isNaN(diff)) return '';
  const mins = Math.round(Math.abs(diff) / 60_000);
  const span = mins >= 120 ? `${Math.round(mins / 60)} h` : `${mins} min`;
  return diff >= 0 ? ` (in ${span})` : ` (${span} ago)`;
}

/**
 * Escaped `text` of at most `max` characters: a longer one loses its middle (marked …), so both
 * ends stay readable. Cuts before escaping, never inside an entity.
 */
function middleCut(text: string, max: number): string {
  let keep = text.length;
  for (;;) {
    const head = Math.ceil(keep / 3);
    const cut = keep >= text.length ? text : `${text.slice(0, head)} … ${text.slice(text.length - (keep - head))}`;
    const escaped = escapeHtml(cut);
    if (escaped.length <= max || keep <= 8) return escaped;
    keep = Math.max(8, keep - Math.max(1, Math.ceil((escaped.length - max) / 2)));
  }
}

/** Renders one message; holds the secrets so every helper scrubs the same way. */
class Renderer {
  constructor(private readonly secrets: readonly string[]) {}

  /** scrub → truncate → escape. */
  s(value: unknown, max = 200): string {
    const raw = typeof value === 'string' ? value : (JSON.stringify(value) ?? 'null');
    const scrubbed = scrubText(raw, this.secrets);
    const cut = scrubbed.length > max ? `${scrubbed.slice(0, max - 1)}…` : scrubbed;
    return escapeHtml(cut);
  }

  alert(a: ApprovalAlertView | null): string {
    if (a === null) return '<b>Alert:</b> none linked';
    const value = a.value === null ? '' : ` · value <b>${this.s(String(a.value), 40)}</b>`;
    const since = a.since === null ? '' : ` · since ${formatTime(a.since)}`;
    return `<b>Alert:</b> ${this.s(a.name, 120)} (${this.s(a.status, 20)}) on <code>${this.s(a.resource ?? 'unknown resource', 160)}</code>${value}${since}`;
  }

  params(p: Record<string, unknown>): string {
    const entries = Object.entries(p);
    if (entries.length === 0) return 'no parameters';
    return entries.map(([k, v]) => `${this.s(k, 80)} = ${this.s(v, 80)}`).join(', ');
  }

  decision(d: ApprovalDecisionView): string {
    return [
      `<b>Decision:</b> ${this.s(d.actionType, 40)} (${this.params(d.parameters)})`,
      `confidence ${Math.round(d.confidence * 100)}% · source ${this.s(d.source, 20)}`,
      `<b>Reason:</b> ${this.s(d.reason, 500)}`,
    ].join('\n');
  }

  /**
   * One ⚠️ line per disruptive change (a replacement, a stop/start), placed last, right above the
   * buttons, so an approver cannot miss that approving interrupts what runs.
   */
  disruptions(v: ApprovalRequestView): string {
    const items = v.planChanges.filter((c) => c.disruption !== undefined);
    if (items.length === 0) return '';
    const lines = items
      .slice(0, 5)
      .map(
        (c) =>
          `⚠️ <b>Disruptive (${this.s(c.disruption?.kind.replace('_', '/'), 20)}):</b> <code>${this.s(c.address, 160)}</code> ${this.s(c.disruption?.warning, 300)}`,
      );
    if (items.length > 5) lines.push(`⚠️ … and ${items.length - 5} more disruptive changes`);
    return lines.join('\n');
  }

  /**
   * One 🔗 line per value chain: from the resource attribute back to the literal that is edited,
   * and its value before → after. A long chain loses its middle, never its ends (the attribute, and
   * the file line and values being the point).
   */
  chains(v: ApprovalRequestView): string {
    const list = v.valueChains ?? [];
    if (list.length === 0) return '';
    const lines = list
      .slice(0, MAX_CHAINS)
      .map((c) => `🔗 <b>Edits:</b> <code>${middleCut(scrubText(c.text, this.secrets), CHAIN_MAX_CHARS)}</code>`);
    if (list.length > MAX_CHAINS) lines.push(`🔗 … and ${list.length - MAX_CHAINS} more edited values`);
    return lines.join('\n');
  }

  plan(v: ApprovalRequestView): string {
    if (v.planChanges.length === 0) return '<b>Plan:</b> no resource changes recorded';
    const lines = v.planChanges.slice(0, 10).map((c) => {
      const attrs = c.attributes
        .slice(0, 6)
        .map((a) => `\n    ${this.s(a.path, 80)}: ${this.s(a.before, 60)} → ${this.s(a.after, 60)}`)
        .join('');
      return `• <code>${this.s(c.address, 160)}</code> ${this.s(c.action, 20)}${attrs}`;
    });
    if (v.planChanges.length > 10) lines.push(`… and ${v.planChanges.length - 10} more`);
    const hash = v.planSha256 === null ? '' : `\nplan sha256 <code>${this.s(v.planSha256.slice(0, 12), 12)}</code>`;
    return `<b>Plan:</b>\n${lines.join('\n')}${hash}`;
  }
}

/** The header line that says where the action stands. */
export function statusLine(v: ApprovalRequestView, r: Renderer = new Renderer([])): string {
  const by = `${r.s(v.decidedBy ?? 'unknown', 80)} via ${r.s(v.decidedVia ?? 'unknown', 20)}`;
  const err = r.s(firstLine(v.statusReason) || 'no detail', 300);
  switch (v.status) {
    case 'awaiting_approval':
      return '🟡 <b>Approval needed</b>';
    case 'approved':
      return `👍 <b>Approved</b> by ${by} · applying soon`;
    case 'applying':
      return `⏳ <b>Applying</b> · approved by ${by}`;
    case 'applied':
      return `✅ <b>Applied</b> · revision <code>${r.s(v.revisionId ?? 'unknown', 60)}</code> · approved by ${by}`;
    case 'effective':
      return `✅ <b>Applied and effective</b> (alert resolved) · revision <code>${r.s(v.revisionId ?? 'unknown', 60)}</code>`;
    case 'ineffective':
      return `⚠️ <b>Applied but ineffective</b> (alert still firing) · revision <code>${r.s(v.revisionId ?? 'unknown', 60)}</code>`;
    case 'failed':
      return `❌ <b>Apply failed</b>: ${err}`;
    case 'rolled_back':
      return `↩️ <b>Apply failed, rolled back</b>: ${err}`;
    case 'rollback_failed':
      return `🔥 <b>Apply failed and rollback failed</b>: ${err}`;
    case 'rejected':
      return `🚫 <b>Rejected</b> by ${by} · nothing was changed`;
    case 'expired':
      return `⌛ <b>Expired</b> at ${formatTime(v.expiresAt)} without a decision · nothing was changed`;
    case 'obsolete':
      return '🟢 <b>Alert resolved on its own</b> · nothing was changed';
    case 'prepare_failed':
      return `❌ <b>Preparing the change failed</b>: ${err}`;
    case 'queued':
      return `⏸ <b>Queued</b> behind <code>${r.s(v.queuedBehind ?? 'the current action', 64)}</code> · position ${v.queuePosition ?? '?'} on this deployment · the approval request follows when its turn comes`;
    case 'stale':
      return `🔁 <b>Plan out of date</b>: ${err} · a new approval request follows`;
    case 'superseded':
      return `⏭ <b>Superseded</b> (recorded before actions were queued): ${err}`;
    default:
      return `ℹ️ <b>${r.s(v.status, 40)}</b>`;
  }
}

function clamp(text: string, max = MESSAGE_MAX_CHARS): string {
  // Cutting HTML could leave an open tag; the body parts are already bounded, so this is a last guard.
  return text.length <= max ? text : `${text.slice(0, max - 20).replace(/<[^>]*$/, '')}\n… (truncated)`;
}

/** The whole message for an action: status line, then alert, decision, plan, deployment, expiry. */
export function renderActionMessage(v: ApprovalRequestView, now: number, secrets: readonly string[]): string {
  const r = new Renderer(secrets);
  if (v.status === 'queued') return renderQueuedNote(v, r);
  const expiry =
    v.status === 'awaiting_approval'
      ? `<b>Expires:</b> ${formatTime(v.expiresAt)}${relative(v.expiresAt, now)}`
      : `<b>Requested:</b> ${formatTime(v.createdAt)}`;
  const body = [
    statusLine(v, r),
    `${r.s(v.actionType, 40)} <code>${r.s(v.targetAddress, 160)}</code>`,
    '',
    r.alert(v.alert),
    r.decision(v.decision),
    r.plan(v),
    `<b>Deployment:</b> <code>${r.s(v.runId, 80)}</code>`,
    expiry,
    `<i>action ${r.s(v.actionId, 64)}</i>`,
  ].join('\n');
  // The value chains and the disruption warning are never the part cut off: the body gives way to them.
  const tail = clamp([r.chains(v), r.disruptions(v)].filter((t) => t !== '').join('\n\n'), MESSAGE_MAX_CHARS - 600);
  if (tail === '') return clamp(body);
  return `${clamp(body, MESSAGE_MAX_CHARS - tail.length - 2)}\n\n${tail}`;
}

/** A queued action has no plan yet: a short note; the full request follows when its turn comes. */
function renderQueuedNote(v: ApprovalRequestView, r: Renderer): string {
  return clamp(
    [
      statusLine(v, r),
      `${r.s(v.actionType, 40)} <code>${r.s(v.targetAddress, 160)}</code>`,
      r.alert(v.alert),
      `<b>Deployment:</b> <code>${r.s(v.runId, 80)}</code>`,
      `<i>action ${r.s(v.actionId, 64)}</i>`,
    ].join('\n'),
  );
}

/** What an earlier message of an action becomes once a newer request (a new plan) was sent for it. */
export function renderReplacedNotice(v: ApprovalRequestView, secrets: readonly string[]): string {
  const r = new Renderer(secrets);
  return clamp(
    [
      '↪️ <b>Out of date</b> · see the newer approval request for this action below',
      `${r.s(v.actionType, 40)} <code>${r.s(v.targetAddress, 160)}</code> · <b>Deployment:</b> <code>${r.s(v.runId, 80)}</code>`,
      `<i>action ${r.s(v.actionId, 64)}</i>`,
    ].join('\n'),
  );
}

/** A one-off notice for a decision the policy blocked (no action, no buttons). */
export function renderBlockedNotice(b: BlockedDecisionView, secrets: readonly string[]): string {
  const r = new Renderer(secrets);
  return clamp(
    [
      '⛔ <b>Blocked by policy</b> · no change will be made',
      r.alert(b.alert),
      r.decision(b.decision),
      `<b>Policy:</b> ${r.s(b.policyReason ?? 'no detail', 500)}`,
      `<b>Deployment:</b> <code>${r.s(b.runId ?? 'unknown', 80)}</code>`,
    ].join('\n'),
  );
}

/** `/pending` and `/status` answers: one line per action. */
export function renderActionList(
  title: string,
  views: readonly ApprovalRequestView[],
  secrets: readonly string[],
): string {
  const r = new Renderer(secrets);
  if (views.length === 0) return `<b>${escapeHtml(title)}</b>\nnothing`;
  const lines = views.slice(0, 20).map((v) => {
    const expires =
      v.status === 'awaiting_approval'
        ? ` · expires ${formatTime(v.expiresAt)}`
        : v.status === 'queued'
          ? ` · #${v.queuePosition ?? '?'} behind <code>${r.s(v.queuedBehind ?? '?', 64)}</code>`
          : '';
    return `• <code>${r.s(v.actionId, 64)}</code> ${r.s(v.actionType, 40)} ${r.s(v.targetAddress, 100)} · <b>${r.s(v.status, 30)}</b>${expires}`;
  });
  return clamp(`<b>${escapeHtml(title)}</b>\n${lines.join('\n')}`);
}

/** The short text of a callback answer (Telegram shows at most 200 characters). */
export function callbackAnswer(text: string): string {
  return text.length <= 200 ? text : `${text.slice(0, 199)}…`;
}
