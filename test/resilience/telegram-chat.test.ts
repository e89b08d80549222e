/**
 * The Telegram chat restriction, through the real telegraf client (long polling) against the fake
 * Bot API server, on the one real service graph (compose()) with actions the executor prepared. Presses and `/pending` / `/status` are taken only from
 * TELEGRAM_CHAT_ID (and TELEGRAM_ALLOWED_CHAT_IDS): from any other chat — another group, an
 * allowed user's private chat, a channel, an inline-mode message, a message without a chat — they
 * are answered "only works in the ops chat", recorded in the ledger, and nothing is decided.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import type { Service } from '../../src/main.js';
import {
  ALICE,
  LiveAction,
  STRANGER,
  actionStatus,
  approvalRows,
  awaitingAction,
  startApprovalService,
  startWithPool,
  type ApprovalService,
} from '../helpers/approval-service.js';
import { FakeTelegramServer, type FakeChat, type PressedMessage } from '../fakes/fake-telegram-server.js';
import { Tally, tableCounts } from './tally.js';

const tally = new Tally('telegram chat');
const WRONG_CHAT = /only works in the ops chat/;

const group: FakeChat = { id: -2002, type: 'group', title: 'random group' };
const supergroup: FakeChat = { id: -1002002, type: 'supergroup', title: 'another team' };
const aliceDm: FakeChat = { id: ALICE, type: 'private' };
const strangerDm: FakeChat = { id: STRANGER, type: 'private' };
const channel: FakeChat = { id: -1003003, type: 'channel', title: 'announcements', username: 'ops_news' };
const lookalikes: FakeChat[] = [
  { id: 1001, type: 'private' }, // the ops id without its sign
  { id: -10010, type: 'supergroup' },
  { id: -100, type: 'group' },
  { id: -1001001, type: 'supergroup' },
];

interface Press {
  name: string;
  fromId: number;
  verb: 'a' | 'r';
  chat?: FakeChat;
  message?: PressedMessage;
  inlineMessageId?: string;
}

const PRESSES: Press[] = [
  { name: 'approve from another group', fromId: ALICE, verb: 'a', chat: group },
  { name: 'reject from another group', fromId: ALICE, verb: 'r', chat: group },
  { name: 'approve from another supergroup', fromId: ALICE, verb: 'a', chat: supergroup },
  { name: "approve in the allowed user's private chat", fromId: ALICE, verb: 'a', chat: aliceDm },
  { name: "reject in the allowed user's private chat", fromId: ALICE, verb: 'r', chat: aliceDm },
  { name: "a stranger in the stranger's private chat", fromId: STRANGER, verb: 'a', chat: strangerDm },
  { name: 'a stranger in another group', fromId: STRANGER, verb: 'a', chat: group },
  { name: 'approve in a channel', fromId: ALICE, verb: 'a', chat: channel },
  { name: 'reject in a channel', fromId: ALICE, verb: 'r', chat: channel },
  ...lookalikes.map((chat): Press => ({
    name: `approve from look-alike chat ${chat.id}`,
    fromId: ALICE,
    verb: 'a',
    chat,
  })),
  {
    name: 'inaccessible message in another group',
    fromId: ALICE,
    verb: 'a',
    chat: supergroup,
    message: 'inaccessible',
  },
  { name: 'inaccessible message in a private chat', fromId: ALICE, verb: 'a', chat: aliceDm, message: 'inaccessible' },
];

const CHATLESS: Press[] = [
  { name: 'message without a chat', fromId: ALICE, verb: 'a', message: 'no-chat' },
  { name: 'message without a chat (reject)', fromId: ALICE, verb: 'r', message: 'no-chat' },
  {
    name: 'inline-mode press (inline_message_id, no message)',
    fromId: ALICE,
    verb: 'a',
    message: 'none',
    inlineMessageId: 'AgAAAInline0001',
  },
  { name: 'inline-mode reject', fromId: ALICE, verb: 'r', message: 'none', inlineMessageId: 'AgAAAInline0002' },
  { name: 'neither message nor inline id', fromId: ALICE, verb: 'a', message: 'none' },
];

describe('presses outside the ops chat', () => {
  let h: ApprovalService;
  afterEach(async () => h?.close());

  async function press(p: Omit<Press, 'name' | 'verb'> & { data: string }): Promise<string> {
    const id = h.tg.injectCallback({ ...p, username: p.fromId === ALICE ? 'alice' : 'mallory' });
    await h.tg.waitFor(
      () => h.tg.callsOf('answerCallbackQuery').some((c) => c.body['callback_query_id'] === id),
      `answer to ${id}`,
    );
    await h.settle();
    return String(h.tg.callsOf('answerCallbackQuery').find((c) => c.body['callback_query_id'] === id)!.body['text']);
  }

  const refusedLedger = (actionId: string) =>
    h.service.ledger.list({ actionId }).filter((e) => e.kind === 'approval.refused');

  it.each([
    ['from another chat', PRESSES],
    ['without a chat', CHATLESS],
  ] as const)('each press %s is refused, recorded, and decides nothing', async (cls, cases) => {
    h = await startApprovalService();
    const { actionId } = await awaitingAction(h);
    for (const c of cases) {
      const before = { rows: approvalRows(h, actionId).length, ledger: refusedLedger(actionId).length };
      const text = await press({ ...c, data: `${c.verb}:${actionId}` });
      const rows = approvalRows(h, actionId);
      const last = refusedLedger(actionId).at(-1);
      const where = c.chat ? `chat ${c.chat.id}` : 'no chat';
      const ok =
        WRONG_CHAT.test(text) &&
        actionStatus(h, actionId) === 'awaiting_approval' &&
        rows.length === before.rows + 1 &&
        rows.at(-1)?.outcome === 'refused' &&
        refusedLedger(actionId).length === before.ledger + 1 &&
        String(last?.data['reason']).includes(where);
      tally.record(`press ${cls}`, ok, `${c.name} → ${text}`);
      expect(text, c.name).toMatch(WRONG_CHAT);
      expect(actionStatus(h, actionId), c.name).toBe('awaiting_approval');
      expect(rows.at(-1), c.name).toMatchObject({
        verdict: c.verb === 'a' ? 'approve' : 'reject',
        outcome: 'refused',
        channel: 'telegram',
      });
      expect(String(last?.data['reason']), c.name).toContain(where);
    }
    expect(
      approvalRows(h, actionId).filter((r) => r.outcome === 'accepted'),
      'no verdict taken',
    ).toEqual([]);
  });

  it('forged or unknown data from another chat is refused for the chat and recorded without touching any action', async () => {
    h = await startApprovalService();
    const { actionId } = await awaitingAction(h);
    const cases: Array<[string, string, FakeChat | undefined, PressedMessage]> = [
      ['forged verb in another group', `approve:${actionId}`, group, 'normal'],
      ['oversized data in a private chat', `a:${'x'.repeat(300)}`, aliceDm, 'normal'],
      ['unknown action id in a channel', 'a:act_does_not_exist', channel, 'normal'],
      ['empty data, inline mode', '', undefined, 'none'],
    ];
    for (const [name, data, chat, message] of cases) {
      const counts = tableCounts(h.db);
      const text = await press({ fromId: ALICE, data, message, ...(chat ? { chat } : {}) });
      const after = tableCounts(h.db);
      const ok =
        WRONG_CHAT.test(text) &&
        actionStatus(h, actionId) === 'awaiting_approval' &&
        after.actions === counts.actions &&
        after.ledger === counts.ledger! + 1;
      tally.record('press from another chat', ok, `${name} → ${text}`);
      expect(text, name).toMatch(WRONG_CHAT);
      expect(after.ledger, name).toBe(counts.ledger! + 1);
    }
    const events = h.db
      .prepare(
        "SELECT data_json FROM ledger WHERE kind IN ('telegram.callback_refused', 'approval.refused') ORDER BY id",
      )
      .all() as Array<{ data_json: string }>;
    expect(
      events.map((e) => JSON.parse(e.data_json).reason as string).every((r) => /is not the ops chat/.test(r)),
    ).toBe(true);
    expect(
      approvalRows(h, actionId).filter((r) => r.outcome === 'accepted'),
      'no verdict taken',
    ).toEqual([]);
    expect(approvalRows(h, actionId)).toEqual([]);
  });

  it('webhook mode refuses the same presses (one update handler for both transports)', async () => {
    const webhook = { url: 'https://infraai.example.test/telegram/hook', secret: 'chat-suite-secret' };
    h = await startApprovalService({ webhook });
    const { actionId } = await awaitingAction(h);
    const cases = [PRESSES[0]!, PRESSES[3]!, PRESSES[7]!, CHATLESS[2]!];
    for (const [i, c] of cases.entries()) {
      const update = h.tg.callbackUpdate({ ...c, data: `${c.verb}:${actionId}` });
      const res = await h.service.app.inject({
        method: 'POST',
        url: '/telegram/hook',
        payload: update,
        headers: { 'x-telegram-bot-api-secret-token': webhook.secret },
      });
      expect(res.statusCode).toBe(200);
      await h.tg.waitFor(() => h.tg.callsOf('answerCallbackQuery').length === i + 1, `answer ${i + 1}`);
      const text = String(h.tg.callsOf('answerCallbackQuery')[i]!.body['text']);
      const ok =
        WRONG_CHAT.test(text) &&
        actionStatus(h, actionId) === 'awaiting_approval' &&
        approvalRows(h, actionId).length === i + 1;
      tally.record('press from another chat', ok, `webhook: ${c.name} → ${text}`);
      expect(text, c.name).toMatch(WRONG_CHAT);
      expect(approvalRows(h, actionId), c.name).toHaveLength(i + 1);
    }
    expect(actionStatus(h, actionId)).toBe('awaiting_approval');
    expect(
      approvalRows(h, actionId).filter((r) => r.outcome === 'accepted'),
      'no verdict taken',
    ).toEqual([]);
  });

  it('in the ops chat a press still approves, also from an inaccessible (old) message there', async () => {
    h = await startApprovalService({ deployments: 2 });
    const first = await awaitingAction(h, { runId: 'web0' });
    const second = await awaitingAction(h, { runId: 'web1' });
    const approved = await press({ fromId: ALICE, data: `a:${first.actionId}` });
    const old = await press({
      fromId: ALICE,
      data: `r:${second.actionId}`,
      chat: h.tg.opsChat,
      message: 'inaccessible',
    });
    const ok =
      /Approved/.test(approved) &&
      /Rejected/.test(old) &&
      actionStatus(h, first.actionId) === 'applied' &&
      actionStatus(h, second.actionId) === 'rejected';
    tally.record('ops chat still works (controls)', ok, `${approved} / ${old}`);
    expect(approved).toContain('Approved');
    expect(actionStatus(h, first.actionId)).toBe('applied');
    expect(old).toContain('Rejected');
    expect(actionStatus(h, second.actionId)).toBe('rejected');
  });
});

describe('commands outside the ops chat', () => {
  let h: ApprovalService;
  afterEach(async () => h?.close());

  /** Sends `text` from `chat` and returns the bot's reply there. */
  async function command(fromId: number, text: string, chat?: FakeChat): Promise<{ chatId: string; text: string }> {
    const sent = h.tg.callsOf('sendMessage').length;
    h.tg.injectCommand({ fromId, text, ...(chat ? { chat } : {}) });
    await h.tg.waitFor(() => h.tg.callsOf('sendMessage').length > sent, `reply to ${text}`);
    const reply = h.tg.callsOf('sendMessage')[sent]!.body;
    return { chatId: String(reply['chat_id']), text: String(reply['text']) };
  }

  const refusedCommands = () =>
    (
      h.db.prepare("SELECT data_json FROM ledger WHERE kind = 'telegram.command_refused' ORDER BY id").all() as Array<{
        data_json: string;
      }>
    ).map((r) => JSON.parse(r.data_json) as Record<string, unknown>);

  it('/pending and /status from any other chat get "only works in the ops chat", are recorded, and list nothing', async () => {
    h = await startApprovalService();
    const { actionId } = await awaitingAction(h);
    const cases: Array<[string, number, string, FakeChat]> = [
      ['/pending in another group', ALICE, '/pending', group],
      ['/status in another group', ALICE, '/status', group],
      ["/pending in the allowed user's private chat", ALICE, '/pending', aliceDm],
      ["/status in the allowed user's private chat", ALICE, '/status', aliceDm],
      ['/pending@bot in another supergroup', ALICE, '/pending@infraai_test_bot', supergroup],
      ['/status with arguments in another supergroup', ALICE, '/status all', supergroup],
      ['/pending by a stranger in another group', STRANGER, '/pending', group],
      ['/status by a stranger in a private chat', STRANGER, '/status', strangerDm],
      ...lookalikes.map((chat): [string, number, string, FakeChat] => [
        `/pending from look-alike chat ${chat.id}`,
        ALICE,
        '/pending',
        chat,
      ]),
    ];
    const toOpsChat = () =>
      h.tg.callsOf('sendMessage').filter((c) => String(c.body['chat_id']) === String(h.tg.opsChat.id));
    const opsBefore = toOpsChat().length; // the approval request itself
    for (const [name, fromId, text, chat] of cases) {
      const reply = await command(fromId, text, chat);
      const last = refusedCommands().at(-1);
      const ok =
        WRONG_CHAT.test(reply.text) &&
        reply.chatId === String(chat.id) &&
        !reply.text.includes(actionId) &&
        last?.chat_id === chat.id &&
        /is not the ops chat/.test(String(last?.reason));
      tally.record('command from another chat', ok, `${name} → ${reply.text}`);
      expect(reply.text, name).toMatch(WRONG_CHAT);
      expect(reply.chatId, name).toBe(String(chat.id));
      expect(reply.text, name).not.toContain(actionId);
      expect(last, name).toMatchObject({ chat_id: chat.id, from: fromId });
    }
    expect(refusedCommands()).toHaveLength(cases.length);
    // Nothing more was posted to the ops chat, and the action is untouched.
    expect(toOpsChat()).toHaveLength(opsBefore);
    expect(actionStatus(h, actionId)).toBe('awaiting_approval');
  });

  it('a channel post is never taken as a command; in the ops chat the allowed user still gets the list', async () => {
    h = await startApprovalService();
    const { actionId } = await awaitingAction(h);
    h.tg.injectCommand({ fromId: ALICE, text: '/pending', chat: channel, channelPost: true });
    const list = await command(ALICE, '/pending');
    const ignored = h.tg.callsOf('sendMessage').every((c) => String(c.body['chat_id']) !== String(channel.id));
    tally.record('command from another chat', ignored, 'channel post /pending (not honoured)');
    expect(ignored).toBe(true);
    const ok = list.chatId === String(h.tg.opsChat.id) && list.text.includes(actionId);
    tally.record('ops chat still works (controls)', ok, `/pending in the ops chat → ${list.text.slice(0, 60)}`);
    expect(list.text).toContain(actionId);
    const stranger = await command(STRANGER, '/status');
    expect(stranger.text).toContain('not allowed');
    expect(refusedCommands().at(-1)).toMatchObject({ from: STRANGER, reason: 'user not in TELEGRAM_ALLOWED_USER_IDS' });
  });
});

describe('TELEGRAM_ALLOWED_CHAT_IDS on the real service', () => {
  let service: Service | undefined;
  let tg: FakeTelegramServer | undefined;
  afterEach(async () => {
    await service?.stop();
    await tg?.close();
    service = undefined;
  });
  afterAll(() => tally.print());

  it('a listed second chat may use /pending; an unlisted one is refused; approval requests still go to TELEGRAM_CHAT_ID', async () => {
    tg = new FakeTelegramServer();
    const apiRoot = await tg.start();
    const exec = await startWithPool({
      TELEGRAM_BOT_TOKEN: tg.token,
      TELEGRAM_CHAT_ID: String(tg.opsChat.id),
      TELEGRAM_ALLOWED_USER_IDS: String(ALICE),
      TELEGRAM_ALLOWED_CHAT_IDS: `${supergroup.id}, @oncall_room`,
      TELEGRAM_API_ROOT: apiRoot,
    });
    service = exec.service;
    const replyTo = async (chat: FakeChat) => {
      const sent = tg!.callsOf('sendMessage').length;
      tg!.injectCommand({ fromId: ALICE, text: '/status', chat });
      await tg!.waitFor(() => tg!.callsOf('sendMessage').length > sent, `reply in ${chat.id}`);
      return String(tg!.callsOf('sendMessage')[sent]!.body['text']);
    };
    const listed = await replyTo(supergroup);
    const byName = await replyTo({ id: -1009009, type: 'supergroup', username: 'OnCall_Room' });
    const unlisted = await replyTo(group);
    const ok = /Last actions/.test(listed) && /Last actions/.test(byName) && WRONG_CHAT.test(unlisted);
    tally.record('ops chat still works (controls)', ok, `listed: ${listed.slice(0, 40)} / unlisted: ${unlisted}`);
    expect(listed).toContain('Last actions');
    expect(byName).toContain('Last actions');
    expect(unlisted).toMatch(WRONG_CHAT);

    const actionId = await new LiveAction(exec).get();
    await tg.waitFor(
      () => tg!.callsOf('sendMessage').some((c) => String(c.body['text']).includes(actionId)),
      'approval request',
    );
    const requests = tg.callsOf('sendMessage').filter((c) => String(c.body['text']).includes('Approval needed'));
    expect(requests.map((c) => String(c.body['chat_id']))).toEqual([String(tg.opsChat.id)]);
  });

  it.each([
    ['a name', 'ops-room'],
    ['a short @name', '@abc'],
    ['a decimal', '-100.5'],
    ['a URL', 'https://t.me/ops'],
    ['one bad of two', '-1001,chat'],
  ])('refuses to start with %s in TELEGRAM_ALLOWED_CHAT_IDS, naming the variable', (_n, value) => {
    const load = () => loadConfig({ TELEGRAM_ALLOWED_CHAT_IDS: value, DATABASE_PATH: ':memory:' });
    expect(load).toThrow(/TELEGRAM_ALLOWED_CHAT_IDS/);
    tally.record('bad TELEGRAM_ALLOWED_CHAT_IDS refused at start', true, value);
  });
});
