/**
 * Approvals through the real service graph: compose() with the real executor, real Terraform on a
 * terraform_data deployment, the real telegraf client against the fake Bot API server.
 */
import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeTelegramServer } from '../fakes/fake-telegram-server.js';
import {
  poolDeployment,
  prepareDecision,
  startWithDeployments,
  stateList,
  type Harness,
} from '../helpers/executor-harness.js';
import { approvalRows } from '../helpers/approval-service.js';

const ALICE = 111;
let h: Harness | undefined;
let tg: FakeTelegramServer | undefined;

afterEach(async () => {
  await h?.service.stop();
  await tg?.close();
  h = undefined;
  tg = undefined;
});

async function start(): Promise<{ h: Harness; tg: FakeTelegramServer }> {
  tg = new FakeTelegramServer();
  const apiRoot = await tg.start();
  h = await startWithDeployments(
    { web: poolDeployment() },
    {
      TELEGRAM_BOT_TOKEN: tg.token,
      TELEGRAM_CHAT_ID: '-1001',
      TELEGRAM_ALLOWED_USER_IDS: `${ALICE}`,
      TELEGRAM_API_ROOT: apiRoot,
    },
    { telegramRetry: { baseDelayMs: 10, retryAfterUnitMs: 10 } },
  );
  return { h, tg };
}

async function pressAndWait(t: FakeTelegramServer, data: string, messageId: number): Promise<string> {
  const id = t.injectCallback({ fromId: ALICE, data, messageId, username: 'alice' });
  await t.waitFor(
    () => t.callsOf('answerCallbackQuery').some((c) => c.body['callback_query_id'] === id),
    'callback answer',
  );
  return String(t.callsOf('answerCallbackQuery').find((c) => c.body['callback_query_id'] === id)!.body['text']);
}

describe('approvals with the real executor', () => {
  it("an allowed user's press applies the plan; the message follows it to ✅ applied", async () => {
    const { h, tg } = await start();
    const health = await h.service.app.inject({ method: 'GET', url: '/health' });
    expect(health.json().checks.telegram.ok).toBe(true);
    const { action } = await prepareDecision(h, {
      runId: 'web',
      address: 'terraform_data.pool[0]',
      actionType: 'scale_up',
      parameters: { count: 4 },
    });
    expect(action.status, action.statusReason ?? '').toBe('awaiting_approval');
    await tg.waitFor(() => tg.messages.size === 1, 'request message');
    await h.service.telegram!.idle();
    const msg = [...tg.messages.values()][0]!;
    if (process.env['PRINT_SAMPLE']) writeFileSync(process.env['PRINT_SAMPLE'], msg.text);
    expect(msg.text).toContain('terraform_data.pool[2]');
    expect(msg.text).toContain('create');
    expect(msg.reply_markup!.inline_keyboard[0]!.map((b) => b.callback_data)).toEqual([
      `a:${action.id}`,
      `r:${action.id}`,
    ]);

    expect(await pressAndWait(tg, `a:${action.id}`, msg.message_id)).toContain('Approved');
    await h.service.executor.idle();
    await h.service.telegram!.idle();
    const done = h.service.actions.get(action.id)!;
    expect(done.status, done.statusReason ?? '').toBe('applied');
    expect(await stateList(h.runDir('web'))).toContain('terraform_data.pool[3]');
    expect(msg.text).toContain(`revision <code>${done.revisionId}</code>`);
    expect(msg.text).toContain('approved by telegram:111 @alice via telegram');
    expect(msg.reply_markup).toBeUndefined();
    expect(tg.callsOf('sendMessage')).toHaveLength(1);
    expect(h.service.ledger.list({ actionId: action.id }).map((e) => e.kind)).toContain('approval.accepted');
  });

  it('REST and Telegram approving at once: exactly one accepted, exactly one apply', async () => {
    const { h, tg } = await start();
    const { action } = await prepareDecision(h, {
      runId: 'web',
      address: 'terraform_data.pool[0]',
      actionType: 'scale_up',
      parameters: { count: 3 },
    });
    await tg.waitFor(() => tg.messages.size === 1, 'request message');
    const msg = [...tg.messages.values()][0]!;
    tg.injectCallback({ fromId: ALICE, data: `a:${action.id}`, messageId: msg.message_id });
    const rest = await Promise.all([
      h.service.app.inject({ method: 'POST', url: `/ops/approve/${action.id}`, payload: { actor: 'bob' } }),
      h.service.app.inject({
        method: 'POST',
        url: `/ops/approve/${action.id}`,
        headers: { 'x-infraai-channel': 'dashboard', 'content-type': 'application/json' },
      }),
    ]);
    await tg.waitFor(() => approvalRows(h!, action.id).length === 3, 'three attempts');
    await h.service.executor.idle();
    const rows = approvalRows(h!, action.id);
    expect(rows.filter((r) => r.outcome === 'accepted')).toHaveLength(1);
    expect(rest.filter((r) => r.statusCode === 200).length).toBeLessThanOrEqual(1);
    for (const r of rest.filter((x) => x.statusCode !== 200)) expect(r.statusCode).toBe(409);
    const history = h.service.actions.statusHistory(action.id).map((x) => x.status);
    expect(history.filter((s) => s === 'applying')).toHaveLength(1);
    expect(h.service.actions.get(action.id)!.status).toBe('applied');
    expect(await stateList(h.runDir('web'))).toContain('terraform_data.pool[2]');
  });

  it('GET /ops/approvals/pending lists the waiting action; reject over REST leaves the deployment alone', async () => {
    const { h } = await start();
    const { action } = await prepareDecision(h, {
      runId: 'web',
      address: 'terraform_data.pool[0]',
      actionType: 'scale_up',
      parameters: { count: 4 },
    });
    const pending = await h.service.app.inject({ method: 'GET', url: '/ops/approvals/pending' });
    expect(pending.json().items.map((a: { action_id: string }) => a.action_id)).toEqual([action.id]);
    const r = await h.service.app.inject({
      method: 'POST',
      url: `/ops/reject/${action.id}`,
      payload: { reason: 'not now' },
    });
    expect(r.statusCode).toBe(200);
    await h.service.executor.idle();
    expect(h.service.actions.get(action.id)!.status).toBe('rejected');
    expect(await stateList(h.runDir('web'))).not.toContain('terraform_data.pool[2]');
  });
});
