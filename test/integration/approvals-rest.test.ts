/**
 * REST approvals and the Telegram webhook on the one real service graph (compose()): real
 * Fastify app, SQLite file, Terraform, and actions the executor prepared.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  ALICE,
  STRANGER,
  actionStatus,
  approvalRows,
  awaitingAction,
  startApprovalService,
  type ApprovalService,
} from '../helpers/approval-service.js';

let h: ApprovalService;
afterEach(async () => h?.close());

const TOKEN = 'rest-api-token-for-tests';
/** Every POST says it is JSON, also without a body (cross-site form posts cannot). */
const json = { 'content-type': 'application/json' };
const auth = { authorization: `Bearer ${TOKEN}`, ...json };

describe('REST approvals', () => {
  it('requires the API token when one is set', async () => {
    h = await startApprovalService({ apiToken: TOKEN });
    const { actionId } = await awaitingAction(h);
    const res = await h.service.app.inject({ method: 'POST', url: `/ops/approve/${actionId}`, headers: json });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('ERR_UNAUTHORIZED');
    const wrong = await h.service.app.inject({
      method: 'POST',
      url: `/ops/approve/${actionId}`,
      headers: { authorization: 'Bearer nope', ...json },
    });
    expect(wrong.statusCode).toBe(401);
    expect((await h.service.app.inject({ method: 'GET', url: '/ops/approvals/pending' })).statusCode).toBe(401);
    expect(actionStatus(h, actionId)).toBe('awaiting_approval');
    expect(approvalRows(h, actionId)).toEqual([]);
  });

  it('approves once; a second approval is 409 and changes nothing', async () => {
    h = await startApprovalService({ apiToken: TOKEN });
    const { actionId, planSha256 } = await awaitingAction(h);
    const pending = await h.service.app.inject({ method: 'GET', url: '/ops/approvals/pending', headers: auth });
    expect(pending.json()).toMatchObject({ total: 1, limit: 100, offset: 0 });
    expect(pending.json().items.map((a: { action_id: string }) => a.action_id)).toEqual([actionId]);
    const first = await h.service.app.inject({
      method: 'POST',
      url: `/ops/approve/${actionId}`,
      headers: auth,
      payload: { actor: 'bob', reason: 'looks right', plan_sha256: planSha256 },
    });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ action_id: actionId, verdict: 'approve', status: 'approved' });
    const second = await h.service.app.inject({ method: 'POST', url: `/ops/approve/${actionId}`, headers: auth });
    expect(second.statusCode).toBe(409);
    expect(second.json().error.code).toBe('ERR_APPROVAL_ALREADY_DECIDED');
    expect(approvalRows(h, actionId)).toEqual([
      { verdict: 'approve', outcome: 'accepted', channel: 'rest', actor: 'rest:bob' },
      { verdict: 'approve', outcome: 'refused', channel: 'rest', actor: 'rest' },
    ]);
    expect(
      (await h.service.app.inject({ method: 'GET', url: '/ops/approvals/pending', headers: auth })).json().items,
    ).toEqual([]);
  });

  it('rejects, and records the dashboard channel when the header says so', async () => {
    h = await startApprovalService();
    const { actionId } = await awaitingAction(h);
    const res = await h.service.app.inject({
      method: 'POST',
      url: `/ops/reject/${actionId}`,
      headers: { 'x-infraai-channel': 'dashboard' },
      payload: { actor: 'carol' },
    });
    expect(res.statusCode).toBe(200);
    expect(actionStatus(h, actionId)).toBe('rejected');
    expect(approvalRows(h, actionId)).toEqual([
      { verdict: 'reject', outcome: 'accepted', channel: 'dashboard', actor: 'dashboard:carol' },
    ]);
    const bad = await h.service.app.inject({
      method: 'POST',
      url: `/ops/reject/${actionId}`,
      headers: { 'x-infraai-channel': 'policy', ...json },
    });
    expect(bad.statusCode).toBe(400);
  });

  it('maps refusals: 404 unknown, 409 expired, 409 obsolete, 409 plan hash mismatch; validates the body', async () => {
    h = await startApprovalService({ deployments: 3, env: { APPROVAL_TTL_SECONDS: '60' } });
    const unknown = await h.service.app.inject({ method: 'POST', url: '/ops/approve/act_nope', headers: json });
    expect([unknown.statusCode, unknown.json().error.code]).toEqual([404, 'ERR_ACTION_NOT_FOUND']);
    const fresh = await awaitingAction(h, { runId: 'web0' });
    const m = await h.service.app.inject({
      method: 'POST',
      url: `/ops/approve/${fresh.actionId}`,
      payload: { plan_sha256: 'cd'.repeat(32) },
    });
    expect([m.statusCode, m.json().error.code]).toEqual([409, 'ERR_CONFLICT']);
    const v = await h.service.app.inject({
      method: 'POST',
      url: `/ops/approve/${fresh.actionId}`,
      payload: { actor: 'x'.repeat(500) },
    });
    expect([v.statusCode, v.json().error.code]).toEqual([400, 'ERR_VALIDATION']);
    expect(v.json().error.message).toContain('actor');
    expect(actionStatus(h, fresh.actionId)).toBe('awaiting_approval');
    // The incident resolved before anyone decided (what a resolved alert does).
    const obsolete = await awaitingAction(h, { runId: 'web1' });
    expect(h.service.executor.markObsolete(obsolete.incidentId)).toEqual([obsolete.actionId]);
    const o = await h.service.app.inject({ method: 'POST', url: `/ops/approve/${obsolete.actionId}`, headers: json });
    expect([o.statusCode, o.json().error.code]).toEqual([409, 'ERR_ACTION_OBSOLETE']);
    // Past its expiry (APPROVAL_TTL_SECONDS=60), before the sweep ran.
    const expired = await awaitingAction(h, { runId: 'web2' });
    h.clock.advance(61_000);
    const e = await h.service.app.inject({ method: 'POST', url: `/ops/approve/${expired.actionId}`, headers: json });
    expect([e.statusCode, e.json().error.code]).toEqual([409, 'ERR_APPROVAL_EXPIRED']);
  });

  it('REST and Telegram pressed at once: exactly one is accepted', async () => {
    h = await startApprovalService();
    for (let round = 0; round < 5; round++) {
      // Each round's apply lands, so the next one scales one further.
      const { actionId } = await awaitingAction(h, { count: 3 + round });
      h.tg.injectCallback({ fromId: ALICE, data: `a:${actionId}` });
      const rest = await Promise.all([
        h.service.app.inject({ method: 'POST', url: `/ops/approve/${actionId}`, headers: json }),
        h.service.app.inject({
          method: 'POST',
          url: `/ops/approve/${actionId}`,
          headers: { 'x-infraai-channel': 'dashboard', ...json },
        }),
      ]);
      await h.tg.waitFor(() => approvalRows(h, actionId).length === 3, 'three attempts recorded');
      const rows = approvalRows(h, actionId);
      expect(rows.filter((r) => r.outcome === 'accepted')).toHaveLength(1);
      expect(rest.filter((r) => r.statusCode === 200).length).toBeLessThanOrEqual(1);
      await h.settle();
      expect(actionStatus(h, actionId)).toBe('applied');
    }
  });
});

describe('telegram webhook mode', () => {
  const webhook = { url: 'https://infraai.example.test/telegram/hook', secret: 'webhook-secret_123' };

  it('registers the webhook with the secret and rejects a wrong or missing secret', async () => {
    h = await startApprovalService({ webhook });
    await h.tg.waitFor(() => h.tg.webhook !== undefined, 'setWebhook');
    expect(h.tg.webhook).toEqual({ url: webhook.url, secret_token: webhook.secret });
    expect(h.tg.callsOf('getUpdates')).toHaveLength(0);
    const { actionId } = await awaitingAction(h);
    const update = h.tg.callbackUpdate({ fromId: ALICE, data: `a:${actionId}` });
    const missing = await h.service.app.inject({ method: 'POST', url: '/telegram/hook', payload: update });
    expect(missing.statusCode).toBe(401);
    const wrong = await h.service.app.inject({
      method: 'POST',
      url: '/telegram/hook',
      payload: update,
      headers: { 'x-telegram-bot-api-secret-token': 'webhook-secret_124' },
    });
    expect(wrong.statusCode).toBe(403);
    await h.settle();
    expect(h.tg.callsOf('answerCallbackQuery')).toHaveLength(0);
    expect(actionStatus(h, actionId)).toBe('awaiting_approval');
  });

  it('handles a press delivered with the right secret', async () => {
    h = await startApprovalService({ webhook });
    const { actionId } = await awaitingAction(h);
    const update = h.tg.callbackUpdate({ fromId: ALICE, data: `a:${actionId}` });
    const res = await h.service.app.inject({
      method: 'POST',
      url: '/telegram/hook',
      payload: update,
      headers: { 'x-telegram-bot-api-secret-token': webhook.secret },
    });
    expect(res.statusCode).toBe(200);
    await h.tg.waitFor(() => h.tg.callsOf('answerCallbackQuery').length === 1, 'callback answer');
    expect(String(h.tg.callsOf('answerCallbackQuery')[0]!.body['text'])).toContain('Approved');
    expect(['approved', 'applying', 'applied']).toContain(actionStatus(h, actionId));
    const stranger = h.tg.callbackUpdate({ fromId: STRANGER, data: `r:${actionId}` });
    await h.service.app.inject({
      method: 'POST',
      url: '/telegram/hook',
      payload: stranger,
      headers: { 'x-telegram-bot-api-secret-token': webhook.secret },
    });
    await h.tg.waitFor(() => h.tg.callsOf('answerCallbackQuery').length === 2, 'second answer');
    expect(approvalRows(h, actionId).map((r) => r.outcome)).toEqual(['accepted', 'refused']);
  });

  it('an obsolete action can no longer be approved over REST either', async () => {
    h = await startApprovalService();
    const { actionId, incidentId } = await awaitingAction(h);
    h.service.executor.markObsolete(incidentId);
    const res = await h.service.app.inject({ method: 'POST', url: `/ops/approve/${actionId}`, headers: json });
    expect(res.statusCode).toBe(409);
  });
});
