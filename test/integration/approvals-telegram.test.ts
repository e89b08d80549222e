/**
 * Telegram approvals through the real telegraf client (long polling) against the fake Bot API
 * server. Decisions go through the executor's atomic decide transaction on a real SQLite file
 * (TransactionalApprovals); the apply itself is covered in approvals-executor.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { actionStatus, approvalRows, moveAction, seedAction } from '../helpers/approval-fixtures.js';
import { ALICE, STRANGER, startHarness, type Harness } from '../helpers/approval-harness.js';

let h: Harness;
afterEach(async () => h?.close());

async function requestSent(actionId: string) {
  h.events.publish({ type: 'action.status', actionId, status: 'awaiting_approval', runId: 'x' });
  await h.tg.waitFor(() => h.tg.callsOf('sendMessage').length > 0, 'sendMessage');
  await h.channel.idle();
  const msg = [...h.tg.messages.values()].at(-1)!;
  return msg;
}

async function press(fromId: number, data: string, messageId?: number): Promise<string> {
  const id = h.tg.injectCallback({ fromId, data, ...(messageId ? { messageId } : {}), username: fromId === ALICE ? 'alice' : 'mallory' });
  await h.tg.waitFor(
    () => h.tg.callsOf('answerCallbackQuery').some((c) => c.body['callback_query_id'] === id),
    `answer to ${id}`,
  );
  const call = h.tg.callsOf('answerCallbackQuery').find((c) => c.body['callback_query_id'] === id)!;
  await h.channel.idle();
  return String(call.body['text']);
}

function ledgerKinds(actionId: string): string[] {
  return h.ledger.list({ actionId }).map((e) => e.kind);
}

describe('telegram approval requests', () => {
  it('sends one request with both buttons, all the facts, escaped labels and no secrets', async () => {
    h = await startHarness();
    const { actionId, runId } = seedAction(h.db, {
      alertName: 'HighCPU <b>&"x"', reason: 'token ghp_abcdefghijklmnopqrstuvwxyz0123456789AB leaked? scale anyway',
    });
    const msg = await requestSent(actionId);
    expect(h.tg.callsOf('sendMessage')).toHaveLength(1);
    expect(h.tg.callsOf('sendMessage')[0]!.body['parse_mode']).toBe('HTML');
    expect(msg.chat_id).toBe('-1001');
    const t = msg.text;
    for (const part of ['Approval needed', 'HighCPU &lt;b&gt;&amp;&quot;x&quot;', 'terraform_data.pool', 'value <b>0.93</b>',
      'since 2025-12-31 23:50 UTC', 'scale_up', 'input.node_count = 4', 'confidence 92%', 'source rules',
      'input.node_count: 2 → 4', `<code>${runId}</code>`, 'Expires:', '2999-01-01 00:00 UTC', 'update']) {
      expect(t).toContain(part);
    }
    expect(t).not.toContain('<b>&"x"');
    expect(t).not.toContain('ghp_abcdefghijklmnopqrstuvwxyz0123456789AB');
    expect(t).toContain('[REDACTED]');
    const buttons = msg.reply_markup!.inline_keyboard.flat();
    expect(buttons.map((b) => b.text)).toEqual(['✅ Approve', '❌ Reject']);
    expect(buttons.map((b) => b.callback_data)).toEqual([`a:${actionId}`, `r:${actionId}`]);
    for (const b of buttons) expect(Buffer.byteLength(b.callback_data)).toBeLessThanOrEqual(64);
    const stored = h.db.prepare('SELECT chat_id, message_id, plan_sha256 FROM telegram_messages WHERE action_id = ?').get(actionId);
    expect(stored).toEqual({ chat_id: '-1001', message_id: msg.message_id, plan_sha256: 'ab'.repeat(32) });
  });

  it("approves on an allowed user's press, answers it and edits the message without buttons", async () => {
    h = await startHarness();
    const { actionId } = seedAction(h.db);
    const msg = await requestSent(actionId);
    const answer = await press(ALICE, `a:${actionId}`, msg.message_id);
    expect(answer).toContain('Approved');
    expect(actionStatus(h.db, actionId)).toBe('approved');
    expect(approvalRows(h.db, actionId)).toEqual([{ verdict: 'approve', outcome: 'accepted', channel: 'telegram', actor: 'telegram:111 @alice' }]);
    expect(h.approvals.calls).toEqual([expect.objectContaining({ planSha256: 'ab'.repeat(32), channel: 'telegram' })]);
    await h.tg.waitFor(() => msg.edits > 0, 'edit');
    expect(msg.text).toContain('Approved</b> by telegram:111 @alice via telegram');
    expect(msg.reply_markup).toBeUndefined();
    // The executor moves on: the same message follows it to the end.
    moveAction(h.db, h.events, actionId, 'applying');
    await h.channel.idle();
    expect(msg.text).toContain('Applying');
    h.db.prepare("UPDATE actions SET revision_id = 'rev_7' WHERE id = ?").run(actionId);
    moveAction(h.db, h.events, actionId, 'applied');
    await h.channel.idle();
    expect(msg.text).toContain('✅ <b>Applied</b> · revision <code>rev_7</code>');
    expect(h.tg.callsOf('sendMessage')).toHaveLength(1);
  });

  it('rejects on the ❌ button', async () => {
    h = await startHarness();
    const { actionId } = seedAction(h.db);
    const msg = await requestSent(actionId);
    expect(await press(ALICE, `r:${actionId}`, msg.message_id)).toContain('Rejected');
    expect(actionStatus(h.db, actionId)).toBe('rejected');
    await h.tg.waitFor(() => msg.text.includes('Rejected</b> by telegram:111'), 'rejected edit');
  });

  it("refuses a stranger's press, records it, and changes nothing", async () => {
    h = await startHarness();
    const { actionId } = seedAction(h.db);
    const msg = await requestSent(actionId);
    const answer = await press(STRANGER, `a:${actionId}`, msg.message_id);
    expect(answer).toContain('not allowed');
    expect(actionStatus(h.db, actionId)).toBe('awaiting_approval');
    expect(h.approvals.calls).toHaveLength(0);
    expect(approvalRows(h.db, actionId)).toEqual([{ verdict: 'approve', outcome: 'refused', channel: 'telegram', actor: 'telegram:222 @mallory' }]);
    expect(ledgerKinds(actionId)).toContain('approval.refused');
    expect(msg.reply_markup).toBeDefined();
  });

  it('a second press changes nothing and says it was already decided', async () => {
    h = await startHarness();
    const { actionId } = seedAction(h.db);
    const msg = await requestSent(actionId);
    expect(await press(ALICE, `a:${actionId}`, msg.message_id)).toContain('Approved');
    const second = await press(ALICE, `a:${actionId}`, msg.message_id);
    expect(second).toContain('Already decided');
    expect(approvalRows(h.db, actionId).map((r) => r.outcome)).toEqual(['accepted', 'refused']);
    expect(actionStatus(h.db, actionId)).toBe('approved');
  });

  it('a press after expiry is refused, and the message says it expired', async () => {
    h = await startHarness();
    const { actionId } = seedAction(h.db, { expiresAt: '2020-01-01T00:00:00.000Z' });
    const msg = await requestSent(actionId);
    expect(await press(ALICE, `a:${actionId}`, msg.message_id)).toContain('expired');
    expect(actionStatus(h.db, actionId)).toBe('expired');
    await h.tg.waitFor(() => msg.text.includes('Expired'), 'expired edit');
    expect(msg.reply_markup).toBeUndefined();
  });

  it('when the alert resolves first the message says so and a press is refused as obsolete', async () => {
    h = await startHarness();
    const { actionId } = seedAction(h.db);
    const msg = await requestSent(actionId);
    moveAction(h.db, h.events, actionId, 'obsolete', 'incident resolved');
    await h.channel.idle();
    expect(msg.text).toContain('Alert resolved on its own');
    expect(msg.reply_markup).toBeUndefined();
    expect(await press(ALICE, `a:${actionId}`, msg.message_id)).toContain('resolved on its own');
    expect(actionStatus(h.db, actionId)).toBe('obsolete');
  });

  it('forged or unknown callback data is refused and changes nothing', async () => {
    h = await startHarness();
    const { actionId } = seedAction(h.db);
    await requestSent(actionId);
    expect(await press(ALICE, `approve:${actionId}`)).toContain('Unknown button');
    expect(await press(ALICE, 'a:../../etc')).toContain('Unknown button');
    expect(await press(ALICE, 'a:act_does_not_exist')).toContain('Unknown action');
    expect(actionStatus(h.db, actionId)).toBe('awaiting_approval');
    expect(approvalRows(h.db, actionId)).toEqual([]);
  });

  it('notifies a decision blocked by policy', async () => {
    h = await startHarness();
    const { decisionId, incidentId } = seedAction(h.db, { status: 'rejected' });
    h.db.prepare("UPDATE decisions SET status = 'blocked_by_policy', policy_verdict_json = ? WHERE id = ?")
      .run(JSON.stringify({ allowed: false, reasons: ['node_count 40 exceeds max 10'] }), decisionId);
    h.events.publish({ type: 'decision.created', decisionId, incidentId, status: 'blocked_by_policy' });
    await h.tg.waitFor(() => h.tg.callsOf('sendMessage').length === 1, 'notice');
    await h.channel.idle();
    const msg = [...h.tg.messages.values()][0]!;
    expect(msg.text).toContain('Blocked by policy');
    expect(msg.text).toContain('node_count 40 exceeds max 10');
    expect(msg.reply_markup).toBeUndefined();
  });

  it('/pending and /status answer allowed users only', async () => {
    h = await startHarness();
    const { actionId } = seedAction(h.db);
    h.tg.injectCommand({ fromId: ALICE, text: '/pending' });
    await h.tg.waitFor(() => h.tg.callsOf('sendMessage').length === 1, '/pending reply');
    expect(String(h.tg.callsOf('sendMessage')[0]!.body['text'])).toContain(actionId);
    h.tg.injectCommand({ fromId: ALICE, text: '/status' });
    await h.tg.waitFor(() => h.tg.callsOf('sendMessage').length === 2, '/status reply');
    expect(String(h.tg.callsOf('sendMessage')[1]!.body['text'])).toContain('awaiting_approval');
    h.tg.injectCommand({ fromId: STRANGER, text: '/pending' });
    await h.tg.waitFor(() => h.tg.callsOf('sendMessage').length === 3, 'refusal');
    const refusal = String(h.tg.callsOf('sendMessage')[2]!.body['text']);
    expect(refusal).toContain('not allowed');
    expect(refusal).not.toContain(actionId);
  });
});

describe('telegram outages', () => {
  it('retries 5xx during the request and delivers once Telegram recovers', async () => {
    h = await startHarness();
    const { actionId } = seedAction(h.db);
    h.tg.failNext(2, '500', { methods: ['sendMessage'] });
    await requestSent(actionId);
    await h.tg.waitFor(() => h.tg.messages.size === 1, 'delivered message');
    expect(h.tg.callsOf('sendMessage')).toHaveLength(3);
    expect(h.sleeps).toEqual([10, 20]);
    expect(ledgerKinds(actionId)).not.toContain('telegram.delivery_failed');
  });

  it('honours retry_after on 429', async () => {
    h = await startHarness();
    const { actionId } = seedAction(h.db);
    h.tg.failNext(1, '429', { retryAfter: 3, methods: ['sendMessage'] });
    await requestSent(actionId);
    await h.tg.waitFor(() => h.tg.messages.size === 1, 'delivered message');
    expect(h.tg.callsOf('sendMessage')).toHaveLength(2);
    expect(h.sleeps).toEqual([30]); // 3 × the 10 ms test unit
  });

  it('retries a connection reset', async () => {
    h = await startHarness();
    const { actionId } = seedAction(h.db);
    h.tg.failNext(1, 'reset', { methods: ['sendMessage'] });
    await requestSent(actionId);
    await h.tg.waitFor(() => h.tg.messages.size === 1, 'delivered message');
    expect(h.tg.callsOf('sendMessage')).toHaveLength(2);
  });

  it('when Telegram stays down the failure is recorded, health says so, and REST still approves', async () => {
    h = await startHarness();
    const { actionId } = seedAction(h.db);
    h.tg.failNext(100, '500', { methods: ['sendMessage'] });
    h.events.publish({ type: 'action.status', actionId, status: 'awaiting_approval', runId: 'x' });
    await h.tg.waitFor(() => h.tg.callsOf('sendMessage').length === 4, 'all attempts');
    await h.channel.idle();
    expect(h.tg.messages.size).toBe(0);
    expect(ledgerKinds(actionId)).toContain('telegram.delivery_failed');
    expect(h.channel.health().ok).toBe(false);
    expect(h.logger.lines.join('\n')).not.toContain(h.tg.token);
    const res = await h.app.inject({ method: 'POST', url: `/ops/approve/${actionId}`, payload: { actor: 'bob' } });
    expect(res.statusCode).toBe(200);
    expect(actionStatus(h.db, actionId)).toBe('approved');
  });

  it('a Bot API that is unreachable at start is retried until polling runs; the token never reaches the logs', async () => {
    h = await startHarness({ beforeStart: (tg) => tg.failNext(2, 'reset', { methods: ['getMe'] }) });
    await h.tg.waitFor(() => h.tg.callsOf('getUpdates').length > 0, 'polling');
    expect(h.tg.callsOf('getMe')).toHaveLength(3);
    const { actionId } = seedAction(h.db);
    const msg = await requestSent(actionId);
    expect(await press(ALICE, `a:${actionId}`, msg.message_id)).toContain('Approved');
    const logs = h.logger.lines.join('\n');
    expect(logs).toContain('telegram polling stopped');
    expect(logs).not.toContain(h.tg.token);
    expect(logs).not.toContain(h.tg.token.split(':')[1]);
  });
});
