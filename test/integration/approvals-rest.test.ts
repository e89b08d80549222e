/**
 * REST approvals and the Telegram webhook on a real Fastify app and SQLite file. Decisions go
 * through the executor's atomic decide transaction (TransactionalApprovals).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { actionStatus, approvalRows, moveAction, PLAN_SHA, seedAction } from '../helpers/approval-fixtures.js';
import { ALICE, STRANGER, startHarness, type Harness } from '../helpers/approval-harness.js';

let h: Harness;
afterEach(async () => h?.close());

const TOKEN = 'rest-api-token-for-tests';
/** Every POST says it is JSON, also without a body (cross-site form posts cannot). */
const json = { 'content-type': 'application/json' };
const auth = { authorization: `Bearer ${TOKEN}`, ...json };

describe('REST approvals', () => {
  it('requires the API token when one is set', async () => {
    h = await startHarness({ apiToken: TOKEN });
    const { actionId } = seedAction(h.db);
    const res = await h.app.inject({ method: 'POST', url: `/ops/approve/${actionId}`, headers: json });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('ERR_UNAUTHORIZED');
    const wrong = await h.app.inject({ method: 'POST', url: `/ops/approve/${actionId}`, headers: { authorization: 'Bearer nope', ...json } });
    expect(wrong.statusCode).toBe(401);
    expect((await h.app.inject({ method: 'GET', url: '/ops/approvals/pending' })).statusCode).toBe(401);
    expect(actionStatus(h.db, actionId)).toBe('awaiting_approval');
    expect(approvalRows(h.db, actionId)).toEqual([]);
  });

  it('approves once; a second approval is 409 and changes nothing', async () => {
    h = await startHarness({ apiToken: TOKEN });
    const { actionId } = seedAction(h.db);
    const pending = await h.app.inject({ method: 'GET', url: '/ops/approvals/pending', headers: auth });
    expect(pending.json()).toMatchObject({ total: 1, limit: 100, offset: 0 });
    expect(pending.json().items.map((a: { action_id: string }) => a.action_id)).toEqual([actionId]);
    const first = await h.app.inject({
      method: 'POST', url: `/ops/approve/${actionId}`, headers: auth, payload: { actor: 'bob', reason: 'looks right', plan_sha256: PLAN_SHA },
    });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ action_id: actionId, verdict: 'approve', status: 'approved' });
    const second = await h.app.inject({ method: 'POST', url: `/ops/approve/${actionId}`, headers: auth });
    expect(second.statusCode).toBe(409);
    expect(second.json().error.code).toBe('ERR_APPROVAL_ALREADY_DECIDED');
    expect(approvalRows(h.db, actionId)).toEqual([
      { verdict: 'approve', outcome: 'accepted', channel: 'rest', actor: 'rest:bob' },
      { verdict: 'approve', outcome: 'refused', channel: 'rest', actor: 'rest' },
    ]);
    expect((await h.app.inject({ method: 'GET', url: '/ops/approvals/pending', headers: auth })).json().items).toEqual([]);
  });

  it('rejects, and records the dashboard channel when the header says so', async () => {
    h = await startHarness();
    const { actionId } = seedAction(h.db);
    const res = await h.app.inject({
      method: 'POST', url: `/ops/reject/${actionId}`, headers: { 'x-infraai-channel': 'dashboard' }, payload: { actor: 'carol' },
    });
    expect(res.statusCode).toBe(200);
    expect(actionStatus(h.db, actionId)).toBe('rejected');
    expect(approvalRows(h.db, actionId)).toEqual([{ verdict: 'reject', outcome: 'accepted', channel: 'dashboard', actor: 'dashboard:carol' }]);
    const bad = await h.app.inject({ method: 'POST', url: `/ops/reject/${actionId}`, headers: { 'x-infraai-channel': 'policy', ...json } });
    expect(bad.statusCode).toBe(400);
  });

  it('maps refusals: 404 unknown, 409 expired, 409 obsolete, 409 plan hash mismatch; validates the body', async () => {
    h = await startHarness();
    const unknown = await h.app.inject({ method: 'POST', url: '/ops/approve/act_nope', headers: json });
    expect([unknown.statusCode, unknown.json().error.code]).toEqual([404, 'ERR_ACTION_NOT_FOUND']);
    const expired = seedAction(h.db, { expiresAt: '2020-01-01T00:00:00.000Z' });
    const e = await h.app.inject({ method: 'POST', url: `/ops/approve/${expired.actionId}`, headers: json });
    expect([e.statusCode, e.json().error.code]).toEqual([409, 'ERR_APPROVAL_EXPIRED']);
    const obsolete = seedAction(h.db, { status: 'obsolete' });
    const o = await h.app.inject({ method: 'POST', url: `/ops/approve/${obsolete.actionId}`, headers: json });
    expect([o.statusCode, o.json().error.code]).toEqual([409, 'ERR_ACTION_OBSOLETE']);
    const fresh = seedAction(h.db);
    const m = await h.app.inject({ method: 'POST', url: `/ops/approve/${fresh.actionId}`, payload: { plan_sha256: 'cd'.repeat(32) } });
    expect([m.statusCode, m.json().error.code]).toEqual([409, 'ERR_CONFLICT']);
    const v = await h.app.inject({ method: 'POST', url: `/ops/approve/${fresh.actionId}`, payload: { actor: 'x'.repeat(500) } });
    expect([v.statusCode, v.json().error.code]).toEqual([400, 'ERR_VALIDATION']);
    expect(v.json().error.message).toContain('actor');
    expect(actionStatus(h.db, fresh.actionId)).toBe('awaiting_approval');
  });

  it('REST and Telegram pressed at once: exactly one is accepted', async () => {
    h = await startHarness();
    for (let round = 0; round < 5; round++) {
      const { actionId } = seedAction(h.db);
      h.tg.injectCallback({ fromId: ALICE, data: `a:${actionId}` });
      const rest = await Promise.all([
        h.app.inject({ method: 'POST', url: `/ops/approve/${actionId}`, headers: json }),
        h.app.inject({ method: 'POST', url: `/ops/approve/${actionId}`, headers: { 'x-infraai-channel': 'dashboard', ...json } }),
      ]);
      await h.tg.waitFor(() => approvalRows(h.db, actionId).length === 3, 'three attempts recorded');
      const rows = approvalRows(h.db, actionId);
      expect(rows.filter((r) => r.outcome === 'accepted')).toHaveLength(1);
      expect(rest.filter((r) => r.statusCode === 200).length).toBeLessThanOrEqual(1);
      expect(actionStatus(h.db, actionId)).toBe('approved');
    }
  });
});

describe('telegram webhook mode', () => {
  const webhook = { url: 'https://infraai.example.test/telegram/hook', secret: 'webhook-secret_123' };

  it('registers the webhook with the secret and rejects a wrong or missing secret', async () => {
    h = await startHarness({ webhook });
    await h.tg.waitFor(() => h.tg.webhook !== undefined, 'setWebhook');
    expect(h.tg.webhook).toEqual({ url: webhook.url, secret_token: webhook.secret });
    expect(h.tg.callsOf('getUpdates')).toHaveLength(0);
    const { actionId } = seedAction(h.db);
    const update = h.tg.callbackUpdate({ fromId: ALICE, data: `a:${actionId}` });
    const missing = await h.app.inject({ method: 'POST', url: '/telegram/hook', payload: update });
    expect(missing.statusCode).toBe(401);
    const wrong = await h.app.inject({
      method: 'POST', url: '/telegram/hook', payload: update, headers: { 'x-telegram-bot-api-secret-token': 'webhook-secret_124' },
    });
    expect(wrong.statusCode).toBe(403);
    await h.channel.idle();
    expect(h.tg.callsOf('answerCallbackQuery')).toHaveLength(0);
    expect(actionStatus(h.db, actionId)).toBe('awaiting_approval');
  });

  it('handles a press delivered with the right secret', async () => {
    h = await startHarness({ webhook });
    const { actionId } = seedAction(h.db);
    const update = h.tg.callbackUpdate({ fromId: ALICE, data: `a:${actionId}` });
    const res = await h.app.inject({
      method: 'POST', url: '/telegram/hook', payload: update, headers: { 'x-telegram-bot-api-secret-token': webhook.secret },
    });
    expect(res.statusCode).toBe(200);
    await h.tg.waitFor(() => h.tg.callsOf('answerCallbackQuery').length === 1, 'callback answer');
    expect(String(h.tg.callsOf('answerCallbackQuery')[0]!.body['text'])).toContain('Approved');
    expect(actionStatus(h.db, actionId)).toBe('approved');
    const stranger = h.tg.callbackUpdate({ fromId: STRANGER, data: `r:${actionId}` });
    await h.app.inject({
      method: 'POST', url: '/telegram/hook', payload: stranger, headers: { 'x-telegram-bot-api-secret-token': webhook.secret },
    });
    await h.tg.waitFor(() => h.tg.callsOf('answerCallbackQuery').length === 2, 'second answer');
    expect(approvalRows(h.db, actionId).map((r) => r.outcome)).toEqual(['accepted', 'refused']);
  });

  it('an obsolete action can no longer be approved over REST either', async () => {
    h = await startHarness();
    const { actionId } = seedAction(h.db);
    moveAction(h.db, h.events, actionId, 'obsolete');
    const res = await h.app.inject({ method: 'POST', url: `/ops/approve/${actionId}`, headers: json });
    expect(res.statusCode).toBe(409);
  });
});
