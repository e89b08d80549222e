/**
 * What the ops chat sees of queued and re-planned actions: the real service with the real telegraf
 * client against the fake Bot API server, real Terraform and SQLite. A queued action gets a short
 * "queued behind" note; when its turn comes (or a plan is made again) a NEW request message with
 * buttons follows, the old one says it is out of date, and a press on the new one applies.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeTelegramServer, type FakeMessage } from '../fakes/fake-telegram-server.js';
import {
  poolDeployment,
  prepareDecision,
  seedDecision,
  startWithDeployments,
  type Harness,
} from '../helpers/executor-harness.js';

const ALICE = 111;
let h: Harness | undefined;
let tg: FakeTelegramServer | undefined;

afterEach(async () => {
  await h?.service.stop();
  await tg?.close();
  h = undefined;
  tg = undefined;
});

async function start(files: Record<string, string>): Promise<Harness> {
  tg = new FakeTelegramServer();
  const apiRoot = await tg.start();
  return startWithDeployments(
    { web: files },
    {
      TELEGRAM_BOT_TOKEN: tg.token,
      TELEGRAM_CHAT_ID: '-1001',
      TELEGRAM_ALLOWED_USER_IDS: `${ALICE}`,
      TELEGRAM_API_ROOT: apiRoot,
    },
    { telegramRetry: { baseDelayMs: 10, retryAfterUnitMs: 10 } },
  );
}

/** Messages naming the action, oldest first. */
const messagesOf = (actionId: string): FakeMessage[] =>
  [...tg!.messages.values()].filter((m) => m.text.includes(actionId));
const buttonsOf = (m: FakeMessage) => (m.reply_markup?.inline_keyboard.flat() ?? []).map((b) => b.callback_data);

async function settle(): Promise<void> {
  await h!.service.executor.idle();
  await h!.service.telegram!.idle();
}

/** Presses ✅ on `messageId` as Alice and waits until the bot answered and the work is done. */
async function press(actionId: string, messageId: number): Promise<string> {
  const id = tg!.injectCallback({ fromId: ALICE, data: `a:${actionId}`, messageId, username: 'alice' });
  await tg!.waitFor(
    () => tg!.callsOf('answerCallbackQuery').some((c) => c.body['callback_query_id'] === id),
    'the answer to the press',
  );
  await settle();
  return String(tg!.callsOf('answerCallbackQuery').find((c) => c.body['callback_query_id'] === id)!.body['text']);
}

describe('telegram: queued and re-planned actions', () => {
  it('a queued action gets a "queued behind" note, then a new request message when its turn comes; a press there applies it', async () => {
    h = await start(poolDeployment());
    const s = h.service;
    const { action: first } = await prepareDecision(h, {
      runId: 'web',
      address: 'terraform_data.pool',
      actionType: 'scale_up',
      parameters: { count: 3 },
    });
    const { decisionId } = seedDecision(s.db, {
      runId: 'web',
      address: 'terraform_data.other',
      actionType: 'restart',
      parameters: {},
    });
    s.executor.prepare(decisionId);
    await settle();
    const secondId = (s.db.prepare('SELECT id FROM actions WHERE decision_id = ?').get(decisionId) as { id: string })
      .id;
    await tg!.waitFor(() => messagesOf(secondId).length === 1, 'the queued note');
    const note = messagesOf(secondId)[0]!;
    expect(note.text).toContain('Queued');
    expect(note.text).toContain(`behind <code>${first.id}</code>`);
    expect(note.text).toContain('position 1');
    expect(buttonsOf(note)).toEqual([]);

    expect(
      await s.executor.submitVerdict({ actionId: first.id, verdict: 'reject', channel: 'rest', actor: 'ann' }),
    ).toMatchObject({ ok: true });
    await settle();
    await tg!.waitFor(() => messagesOf(secondId).length === 2, 'the approval request of the queued action');
    const [old, request] = messagesOf(secondId) as [FakeMessage, FakeMessage];
    expect(request.text).toContain('Approval needed');
    expect(buttonsOf(request)).toEqual([`a:${secondId}`, `r:${secondId}`]);
    expect(old.text).toContain('Out of date');
    expect(buttonsOf(old)).toEqual([]);

    expect(await press(secondId, request.message_id)).toMatch(/approved/i);
    expect(s.actions.get(secondId)!.status, s.actions.get(secondId)!.statusReason ?? '').toBe('applied');
  });

  it('a colleague edits the files while the request waits: the press finds the plan stale, a new request follows, a press on it applies', async () => {
    h = await start(poolDeployment());
    const s = h.service;
    const main = path.join(h.runDir('web'), 'main.tf');
    const { action } = await prepareDecision(h, {
      runId: 'web',
      address: 'terraform_data.pool',
      actionType: 'scale_up',
      parameters: { count: 3 },
    });
    await tg!.waitFor(() => messagesOf(action.id).length === 1, 'the first request');
    const first = messagesOf(action.id)[0]!;
    appendFileSync(main, '\nlocals {\n  owner = "team-a"\n}\n');
    await press(action.id, first.message_id);
    const replanned = s.actions.get(action.id)!;
    expect(replanned.status, replanned.statusReason ?? '').toBe('awaiting_approval');
    expect(replanned.planSha256).not.toBe(action.planSha256);
    await tg!.waitFor(() => messagesOf(action.id).length === 2, 'the request for the new plan');
    const [old, request] = messagesOf(action.id) as [FakeMessage, FakeMessage];
    expect(buttonsOf(old)).toEqual([]);
    expect(old.text).toContain('Out of date');
    expect(buttonsOf(request)).toEqual([`a:${action.id}`, `r:${action.id}`]);
    expect(request.text).toContain(replanned.planSha256!.slice(0, 12));

    await press(action.id, request.message_id);
    expect(s.actions.get(action.id)!.status, s.actions.get(action.id)!.statusReason ?? '').toBe('applied');
    expect(readFileSync(main, 'utf8')).toContain('owner = "team-a"');
    expect(readFileSync(main, 'utf8')).toContain('count = 3');
  });
});
