/**
 * Telegram approvals through the real telegraf client (long polling) against the fake Bot API
 * server, on the one real service graph (compose()): actions the executor prepared with real
 * Terraform, verdicts through the executor's atomic decide, applies that really run.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  ALICE,
  STRANGER,
  actionStatus,
  approvalRows,
  awaitingAction,
  messagesOf,
  startApprovalService,
  type ApprovalService,
} from '../helpers/approval-service.js';
import { seedDecision } from '../helpers/executor-harness.js';

let h: ApprovalService;
afterEach(async () => h?.close());

/** The approval request the channel sent for the action. */
async function requestSent(actionId: string) {
  await h.tg.waitFor(() => messagesOf(h.tg, actionId).length > 0, 'sendMessage');
  await h.settle();
  return messagesOf(h.tg, actionId)[0]!;
}

async function press(fromId: number, data: string, messageId?: number): Promise<string> {
  const id = h.tg.injectCallback({
    fromId,
    data,
    ...(messageId ? { messageId } : {}),
    username: fromId === ALICE ? 'alice' : 'mallory',
  });
  await h.tg.waitFor(
    () => h.tg.callsOf('answerCallbackQuery').some((c) => c.body['callback_query_id'] === id),
    `answer to ${id}`,
  );
  const call = h.tg.callsOf('answerCallbackQuery').find((c) => c.body['callback_query_id'] === id)!;
  await h.settle();
  return String(call.body['text']);
}

function ledgerKinds(actionId: string): string[] {
  return h.service.ledger.list({ actionId }).map((e) => e.kind);
}

/** `2026-12-02T01:23:45.000Z` as the message prints it: `2026-12-02 01:23 UTC`. */
const utcMinute = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

describe('telegram approval requests', () => {
  it('sends one request with both buttons, all the facts, escaped labels and no secrets', async () => {
    h = await startApprovalService();
    const { actionId, runId, planSha256 } = await awaitingAction(h, {
      alert: { alertname: 'HighCPU <b>&"x"', value: '0.93', startsAt: '2025-12-31T23:50:00Z' },
      reason: 'token ghp_abcdefghijklmnopqrstuvwxyz0123456789AB leaked? scale anyway',
      confidence: 0.92,
    });
    const msg = await requestSent(actionId);
    const expiresAt = h.service.actions.get(actionId)!.expiresAt!;
    expect(h.tg.callsOf('sendMessage')).toHaveLength(1);
    expect(h.tg.callsOf('sendMessage')[0]!.body['parse_mode']).toBe('HTML');
    expect(msg.chat_id).toBe('-1001');
    const t = msg.text;
    for (const part of [
      'Approval needed',
      'HighCPU &lt;b&gt;&amp;&quot;x&quot;',
      'terraform_data.pool',
      'value <b>0.93</b>',
      'since 2025-12-31 23:50 UTC',
      'scale_up',
      'count = 3',
      'confidence 92%',
      'source rules',
      'terraform_data.pool[2]',
      `<code>${runId}</code>`,
      'Expires:',
      utcMinute(expiresAt),
      'create',
    ]) {
      expect(t).toContain(part);
    }
    expect(t).not.toContain('<b>&"x"');
    expect(t).not.toContain('ghp_abcdefghijklmnopqrstuvwxyz0123456789AB');
    expect(t).toContain('[REDACTED]');
    const buttons = msg.reply_markup!.inline_keyboard.flat();
    expect(buttons.map((b) => b.text)).toEqual(['✅ Approve', '❌ Reject']);
    expect(buttons.map((b) => b.callback_data)).toEqual([`a:${actionId}`, `r:${actionId}`]);
    for (const b of buttons) expect(Buffer.byteLength(b.callback_data)).toBeLessThanOrEqual(64);
    const stored = h.db
      .prepare('SELECT chat_id, message_id, plan_sha256 FROM telegram_messages WHERE action_id = ?')
      .get(actionId);
    expect(stored).toEqual({ chat_id: '-1001', message_id: msg.message_id, plan_sha256: planSha256 });
  });

  it("approves on an allowed user's press, answers it and edits the message without buttons", async () => {
    h = await startApprovalService();
    const { actionId, planSha256 } = await awaitingAction(h);
    const msg = await requestSent(actionId);
    const answer = await press(ALICE, `a:${actionId}`, msg.message_id);
    expect(answer).toContain('Approved');
    expect(approvalRows(h, actionId)).toEqual([
      { verdict: 'approve', outcome: 'accepted', channel: 'telegram', actor: 'telegram:111 @alice' },
    ]);
    // The press approved exactly the plan the message showed.
    expect(h.service.actions.approvals(actionId)[0]!.planSha256).toBe(planSha256);
    await h.tg.waitFor(() => msg.edits > 0, 'edit');
    expect(msg.reply_markup).toBeUndefined();
    // The executor moves on and applies: the same message follows it to the end.
    await h.settle();
    expect(actionStatus(h, actionId)).toBe('applied');
    const revision = h.service.actions.get(actionId)!.revisionId!;
    await h.tg.waitFor(() => msg.text.includes('Applied'), 'applied edit');
    expect(msg.text).toContain(
      `✅ <b>Applied</b> · revision <code>${revision}</code> · approved by telegram:111 @alice via telegram`,
    );
    expect(msg.reply_markup).toBeUndefined();
    expect(h.tg.callsOf('sendMessage')).toHaveLength(1);
  });

  it('rejects on the ❌ button', async () => {
    h = await startApprovalService();
    const { actionId } = await awaitingAction(h);
    const msg = await requestSent(actionId);
    expect(await press(ALICE, `r:${actionId}`, msg.message_id)).toContain('Rejected');
    expect(actionStatus(h, actionId)).toBe('rejected');
    await h.tg.waitFor(() => msg.text.includes('Rejected</b> by telegram:111'), 'rejected edit');
  });

  it("refuses a stranger's press, records it, and changes nothing", async () => {
    h = await startApprovalService();
    const { actionId } = await awaitingAction(h);
    const msg = await requestSent(actionId);
    const answer = await press(STRANGER, `a:${actionId}`, msg.message_id);
    expect(answer).toContain('not allowed');
    expect(actionStatus(h, actionId)).toBe('awaiting_approval');
    expect(approvalRows(h, actionId)).toEqual([
      { verdict: 'approve', outcome: 'refused', channel: 'telegram', actor: 'telegram:222 @mallory' },
    ]);
    expect(ledgerKinds(actionId)).toContain('approval.refused');
    expect(msg.reply_markup).toBeDefined();
  });

  it('a second press changes nothing and says it was already decided', async () => {
    h = await startApprovalService();
    const { actionId } = await awaitingAction(h);
    const msg = await requestSent(actionId);
    expect(await press(ALICE, `a:${actionId}`, msg.message_id)).toContain('Approved');
    const second = await press(ALICE, `a:${actionId}`, msg.message_id);
    expect(second).toContain('Already decided');
    expect(approvalRows(h, actionId).map((r) => r.outcome)).toEqual(['accepted', 'refused']);
    expect(actionStatus(h, actionId)).toBe('applied');
  });

  it('a press after expiry is refused, and the message says it expired', async () => {
    h = await startApprovalService({ env: { APPROVAL_TTL_SECONDS: '60' } });
    const { actionId } = await awaitingAction(h);
    const msg = await requestSent(actionId);
    h.clock.advance(61_000); // past the expiry; the sweep has not run
    expect(await press(ALICE, `a:${actionId}`, msg.message_id)).toContain('expired');
    expect(actionStatus(h, actionId)).toBe('expired');
    await h.tg.waitFor(() => msg.text.includes('Expired'), 'expired edit');
    expect(msg.reply_markup).toBeUndefined();
  });

  it('when the alert resolves first the message says so and a press is refused as obsolete', async () => {
    h = await startApprovalService();
    const { actionId, incidentId } = await awaitingAction(h);
    const msg = await requestSent(actionId);
    expect(h.service.executor.markObsolete(incidentId)).toEqual([actionId]);
    await h.settle();
    expect(msg.text).toContain('Alert resolved on its own');
    expect(msg.reply_markup).toBeUndefined();
    expect(await press(ALICE, `a:${actionId}`, msg.message_id)).toContain('resolved on its own');
    expect(actionStatus(h, actionId)).toBe('obsolete');
  });

  it('forged or unknown callback data is refused and changes nothing', async () => {
    h = await startApprovalService();
    const { actionId } = await awaitingAction(h);
    await requestSent(actionId);
    expect(await press(ALICE, `approve:${actionId}`)).toContain('Unknown button');
    expect(await press(ALICE, 'a:../../etc')).toContain('Unknown button');
    expect(await press(ALICE, 'a:act_does_not_exist')).toContain('Unknown action');
    expect(actionStatus(h, actionId)).toBe('awaiting_approval');
    expect(approvalRows(h, actionId)).toEqual([]);
  });

  it('notifies a decision blocked by policy', async () => {
    h = await startApprovalService();
    const { decisionId, incidentId } = seedDecision(h.db, {
      runId: 'web0',
      address: 'terraform_data.pool',
      actionType: 'scale_up',
      parameters: { count: 40 },
      status: 'blocked_by_policy',
      policyVerdict: { allowed: false, rule: 'max', message: 'node_count 40 exceeds max 10' },
    });
    const before = h.tg.callsOf('sendMessage').length;
    // What the decision service publishes after it stored a blocked decision.
    h.service.events.publish({ type: 'decision.created', decisionId, incidentId, status: 'blocked_by_policy' });
    await h.tg.waitFor(() => h.tg.callsOf('sendMessage').length === before + 1, 'notice');
    await h.settle();
    const msg = [...h.tg.messages.values()].at(-1)!;
    expect(msg.text).toContain('Blocked by policy');
    expect(msg.text).toContain('node_count 40 exceeds max 10 (rule max)');
    expect(msg.text).not.toContain('"allowed"');
    expect(msg.reply_markup).toBeUndefined();
  });

  it('/pending and /status answer allowed users only', async () => {
    h = await startApprovalService();
    const { actionId } = await awaitingAction(h);
    const sent = h.tg.callsOf('sendMessage').length; // the approval request itself
    h.tg.injectCommand({ fromId: ALICE, text: '/pending' });
    await h.tg.waitFor(() => h.tg.callsOf('sendMessage').length === sent + 1, '/pending reply');
    expect(String(h.tg.callsOf('sendMessage')[sent + 0]!.body['text'])).toContain(actionId);
    h.tg.injectCommand({ fromId: ALICE, text: '/status' });
    await h.tg.waitFor(() => h.tg.callsOf('sendMessage').length === sent + 2, '/status reply');
    expect(String(h.tg.callsOf('sendMessage')[sent + 1]!.body['text'])).toContain('awaiting_approval');
    h.tg.injectCommand({ fromId: STRANGER, text: '/pending' });
    await h.tg.waitFor(() => h.tg.callsOf('sendMessage').length === sent + 3, 'refusal');
    const refusal = String(h.tg.callsOf('sendMessage')[sent + 2]!.body['text']);
    expect(refusal).toContain('not allowed');
    expect(refusal).not.toContain(actionId);
  });
});

describe('telegram outages', () => {
  it('retries 5xx during the request and delivers once Telegram recovers', async () => {
    h = await startApprovalService();
    h.tg.failNext(2, '500', { methods: ['sendMessage'] });
    const { actionId } = await awaitingAction(h);
    await requestSent(actionId);
    await h.tg.waitFor(() => h.tg.messages.size === 1, 'delivered message');
    expect(h.tg.callsOf('sendMessage')).toHaveLength(3);
    expect(h.sleeps).toEqual([10, 20]);
    expect(ledgerKinds(actionId)).not.toContain('telegram.delivery_failed');
  });

  it('honours retry_after on 429', async () => {
    h = await startApprovalService();
    h.tg.failNext(1, '429', { retryAfter: 3, methods: ['sendMessage'] });
    const { actionId } = await awaitingAction(h);
    await requestSent(actionId);
    await h.tg.waitFor(() => h.tg.messages.size === 1, 'delivered message');
    expect(h.tg.callsOf('sendMessage')).toHaveLength(2);
    expect(h.sleeps).toEqual([30]); // 3 × the 10 ms test unit
  });

  it('retries a connection reset', async () => {
    h = await startApprovalService();
    h.tg.failNext(1, 'reset', { methods: ['sendMessage'] });
    const { actionId } = await awaitingAction(h);
    await requestSent(actionId);
    await h.tg.waitFor(() => h.tg.messages.size === 1, 'delivered message');
    expect(h.tg.callsOf('sendMessage')).toHaveLength(2);
  });

  it('when Telegram stays down the failure is recorded, health says so, and REST still approves', async () => {
    h = await startApprovalService();
    h.tg.failNext(100, '500', { methods: ['sendMessage'] });
    const { actionId } = await awaitingAction(h);
    await h.tg.waitFor(() => h.tg.callsOf('sendMessage').length === 4, 'all attempts');
    await h.settle();
    expect(h.tg.messages.size).toBe(0);
    expect(ledgerKinds(actionId)).toContain('telegram.delivery_failed');
    expect(h.service.telegram!.health().ok).toBe(false);
    expect(h.logger.lines.join('\n')).not.toContain(h.tg.token);
    const res = await h.service.app.inject({
      method: 'POST',
      url: `/ops/approve/${actionId}`,
      payload: { actor: 'bob' },
    });
    expect(res.statusCode).toBe(200);
    await h.settle();
    expect(actionStatus(h, actionId)).toBe('applied');
  });

  it('a Bot API that is unreachable at start is retried until polling runs; the token never reaches the logs', async () => {
    h = await startApprovalService({ beforeStart: (tg) => tg.failNext(2, 'reset', { methods: ['getMe'] }) });
    await h.tg.waitFor(() => h.tg.callsOf('getUpdates').length > 0, 'polling');
    expect(h.tg.callsOf('getMe')).toHaveLength(3);
    const { actionId } = await awaitingAction(h);
    const msg = await requestSent(actionId);
    expect(await press(ALICE, `a:${actionId}`, msg.message_id)).toContain('Approved');
    const logs = h.logger.lines.join('\n');
    expect(logs).toContain('telegram polling stopped');
    expect(logs).not.toContain(h.tg.token);
    expect(logs).not.toContain(h.tg.token.split(':')[1]);
  });
});
