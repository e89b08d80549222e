/**
 * What people watching see after each verdict, on the one real service graph: the Telegram
 * request is edited (no "Approval needed", no live buttons) and a dashboard's SSE stream
 * (GET /ops/events) hears the action.status event, whether the verdict came from REST, the
 * dashboard, Telegram or the expiry sweep.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  ALICE,
  actionStatus,
  approvalRows,
  awaitingAction,
  buttonsOf,
  messagesOf,
  startApprovalService,
  type ApprovalService,
} from '../helpers/approval-service.js';

let a: ApprovalService | undefined;
afterEach(async () => {
  stream?.stop();
  stream = undefined;
  await a?.close();
  a = undefined;
});

/** An SSE client on a real socket that keeps every frame it received. */
interface EventStream {
  frames: Array<{ event: string; data: Record<string, unknown> }>;
  stop(): void;
}
let stream: EventStream | undefined;

async function openEvents(s: ApprovalService): Promise<EventStream> {
  const address = await s.service.app.listen({ host: '127.0.0.1', port: 0 });
  const controller = new AbortController();
  const res = await fetch(`${address}/ops/events`, {
    headers: { accept: 'text/event-stream' },
    signal: controller.signal,
  });
  if (!res.ok || !res.body) throw new Error(`GET /ops/events answered ${res.status}`);
  const out: EventStream = { frames: [], stop: () => controller.abort() };
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true as const }));
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const field = (name: string) =>
          frame
            .split('\n')
            .find((l) => l.startsWith(`${name}: `))
            ?.slice(name.length + 2);
        const data = field('data');
        if (data !== undefined)
          out.frames.push({ event: field('event') ?? '', data: JSON.parse(data) as Record<string, unknown> });
      }
    }
  })();
  await s.tg.waitFor(
    () => s.service.metrics.registry.render().includes('infraai_sse_clients 1'),
    'the SSE client to connect',
  );
  return out;
}

/** The action.status statuses the stream carried for the action (field names in one place). */
const statusesHeard = (e: EventStream, actionId: string): string[] =>
  e.frames
    .filter((f) => f.event === 'action.status' && (f.data['actionId'] ?? f.data['action_id']) === actionId)
    .map((f) => String(f.data['status']));

async function heard(s: ApprovalService, e: EventStream, actionId: string, status: string): Promise<void> {
  await s.tg.waitFor(() => statusesHeard(e, actionId).includes(status), `SSE action.status ${status} for ${actionId}`);
}

/** The one request message of the action, after the channel finished its edits. */
async function requestMessage(s: ApprovalService, actionId: string, headline: string) {
  await s.settle();
  await s.tg.waitFor(
    () => messagesOf(s.tg, actionId).some((m) => m.text.includes(headline)),
    `the message to say "${headline}"`,
  );
  const [message, ...more] = messagesOf(s.tg, actionId);
  expect(more, 'one message per action').toEqual([]);
  return message!;
}

const json = { 'content-type': 'application/json' };

describe('after a verdict the ops chat and the dashboard stream are told', () => {
  it('REST reject: the Telegram request says Rejected with no buttons, and SSE hears "rejected"', async () => {
    a = await startApprovalService();
    stream = await openEvents(a);
    const { actionId } = await awaitingAction(a);
    const [before] = messagesOf(a.tg, actionId);
    expect(before!.text).toContain('Approval needed');
    expect(buttonsOf(before!)).toEqual([`a:${actionId}`, `r:${actionId}`]);
    expect(statusesHeard(stream, actionId)).toContain('awaiting_approval');

    const res = await a.service.app.inject({
      method: 'POST',
      url: `/ops/reject/${actionId}`,
      headers: json,
      payload: { actor: 'bob' },
    });
    expect(res.statusCode, res.body).toBe(200);
    await heard(a, stream, actionId, 'rejected');
    const after = await requestMessage(a, actionId, 'Rejected');
    expect(after.text).not.toContain('Approval needed');
    expect(after.text).toContain('rest:bob');
    expect(buttonsOf(after)).toEqual([]);
    expect(actionStatus(a, actionId)).toBe('rejected');
  });

  it('dashboard reject (channel "dashboard"): the Telegram request is edited, and SSE hears "rejected"', async () => {
    a = await startApprovalService();
    stream = await openEvents(a);
    const { actionId } = await awaitingAction(a);
    const res = await a.service.app.inject({
      method: 'POST',
      url: `/ops/reject/${actionId}`,
      headers: { 'x-infraai-channel': 'dashboard', ...json },
      payload: { actor: 'carol' },
    });
    expect(res.statusCode, res.body).toBe(200);
    await heard(a, stream, actionId, 'rejected');
    const after = await requestMessage(a, actionId, 'Rejected');
    expect(after.text).toContain('via dashboard');
    expect(after.text).not.toContain('Approval needed');
    expect(buttonsOf(after)).toEqual([]);
    expect(approvalRows(a, actionId)).toEqual([
      { verdict: 'reject', outcome: 'accepted', channel: 'dashboard', actor: 'dashboard:carol' },
    ]);
  });

  it('REST approve: SSE hears "approved", then the apply; the Telegram request ends as Applied with no buttons', async () => {
    a = await startApprovalService();
    stream = await openEvents(a);
    const { actionId, planSha256 } = await awaitingAction(a);
    const res = await a.service.app.inject({
      method: 'POST',
      url: `/ops/approve/${actionId}`,
      headers: json,
      payload: { actor: 'bob', plan_sha256: planSha256 },
    });
    expect(res.statusCode, res.body).toBe(200);
    await heard(a, stream, actionId, 'approved');
    await heard(a, stream, actionId, 'applied');
    const after = await requestMessage(a, actionId, 'Applied');
    expect(after.text).toContain('approved by rest:bob');
    expect(buttonsOf(after)).toEqual([]);
    const heardOrder = statusesHeard(stream, actionId);
    expect(heardOrder.indexOf('approved')).toBeLessThan(heardOrder.indexOf('applied'));
  });

  it('Telegram approve (a press by an allowed user): SSE hears "approved" and the message loses its buttons', async () => {
    a = await startApprovalService();
    stream = await openEvents(a);
    const { actionId } = await awaitingAction(a);
    const [request] = messagesOf(a.tg, actionId);
    a.tg.injectCallback({ fromId: ALICE, data: `a:${actionId}`, messageId: request!.message_id, username: 'alice' });
    await heard(a, stream, actionId, 'approved');
    await heard(a, stream, actionId, 'applied');
    const after = await requestMessage(a, actionId, 'Applied');
    expect(buttonsOf(after)).toEqual([]);
    expect(approvalRows(a, actionId)).toMatchObject([{ verdict: 'approve', outcome: 'accepted', channel: 'telegram' }]);
  });

  it('expiry (the service sweep): the Telegram request says Expired with no buttons, and SSE hears "expired"', async () => {
    a = await startApprovalService({ env: { APPROVAL_TTL_SECONDS: '60' } });
    stream = await openEvents(a);
    const { actionId } = await awaitingAction(a);
    a.scheduler.runAll();
    expect(actionStatus(a, actionId), 'not due yet').toBe('awaiting_approval');
    a.clock.advance(61_000);
    a.scheduler.runAll();
    await heard(a, stream, actionId, 'expired');
    const after = await requestMessage(a, actionId, 'Expired');
    expect(after.text).not.toContain('Approval needed');
    expect(buttonsOf(after)).toEqual([]);
    const late = await a.service.app.inject({ method: 'POST', url: `/ops/approve/${actionId}`, headers: json });
    expect([late.statusCode, late.json().error.code]).toEqual([409, 'ERR_APPROVAL_EXPIRED']);
  });
});
