/**
 * Auth: every mutating route, read from the app's own route table (so a new route cannot
 * escape), is called without a token, with a wrong one, with the right one in a wrong scheme
 * (each with a body that would fail validation, so auth must come first) → 401 and no state
 * change; with the right token → past auth. Telegram: webhook updates without/with a wrong
 * secret; button presses from strangers, forged callback data, replays after completion.
 * And the service refuses to listen beyond loopback without both tokens.
 */
import { readdirSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { assertSafeBinding, runServer, type Service } from '../../src/main.js';
import {
  ALICE,
  STRANGER,
  actionStatus,
  approvalRows,
  awaitingAction,
  startApprovalService,
  type ApprovalService,
} from '../helpers/approval-service.js';
import { startTestService, tempWorkspace, testConfig } from '../helpers/service.js';
import { FakeTelegramServer } from '../fakes/fake-telegram-server.js';
import { amFixture } from '../helpers/webhook.js';
import { routeTable } from './route-table.js';
import { Tally, tableCounts } from './tally.js';

const API = 'api-token-for-auth-suite-0123456789';
const HOOK = 'webhook-token-for-auth-suite-987654';
const TG_SECRET = 'tg-secret-for-auth-suite-abcdef';
const TG_PATH = '/telegram/hook-auth';
const tally = new Tally('auth');
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

describe('every mutating route requires its token', () => {
  let service: Service;
  let tg: FakeTelegramServer;
  let ws: ReturnType<typeof tempWorkspace>;
  beforeAll(async () => {
    tg = new FakeTelegramServer();
    const apiRoot = await tg.start();
    ws = tempWorkspace('infraai-auth-');
    service = await startTestService(
      testConfig(
        {
          API_TOKEN: API,
          WEBHOOK_TOKEN: HOOK,
          TELEGRAM_BOT_TOKEN: tg.token,
          TELEGRAM_CHAT_ID: '-1001',
          TELEGRAM_ALLOWED_USER_IDS: String(ALICE),
          TELEGRAM_API_ROOT: apiRoot,
          TELEGRAM_WEBHOOK_URL: `https://infraai.invalid${TG_PATH}`,
          TELEGRAM_WEBHOOK_SECRET: TG_SECRET,
          // Every attempt below is a failed one: a limit above them keeps each answer 401 (rate limits: auth-rate-limit.test.ts).
          AUTH_FAIL_LIMIT: '100000',
        },
        ws,
      ),
    );
  });
  afterAll(async () => {
    await service.stop();
    await tg.close();
  });

  const routes = () =>
    routeTable(service.app.printRoutes({ commonPrefix: false })).filter((r) => MUTATING.has(r.method));
  const state = () => ({ db: tableCounts(service.db), runs: readdirSync(ws.runsDir) });

  it('the route table is read, not hard-coded: it holds every known mutating route', () => {
    const all = routes().map((r) => `${r.method} ${r.url}`);
    for (const known of [
      'POST /ops/webhook',
      'POST /ops/approve/:id',
      'POST /ops/reject/:id',
      'POST /ops/registry/sync',
      'POST /infra',
      `POST ${TG_PATH}`,
    ]) {
      expect(all).toContain(known);
    }
  });

  it('without, with a wrong and with a wrong-scheme token: 401 before the body is looked at, nothing changes', async () => {
    const before = state();
    const checked: string[] = [];
    for (const r of routes()) {
      const url = r.url.replace(/:[A-Za-z_]+/g, 'act_does_not_exist');
      const isTelegram = r.url === TG_PATH;
      const isHook = r.url === '/ops/webhook';
      const right = isHook ? HOOK : API;
      const attempts: Array<[string, Record<string, string>]> = isTelegram
        ? [
            ['no secret', {}],
            ['empty secret', { 'x-telegram-bot-api-secret-token': '' }],
            ['wrong secret', { 'x-telegram-bot-api-secret-token': 'nope' }],
            ['API token as secret', { 'x-telegram-bot-api-secret-token': API }],
            ['secret as bearer', { authorization: `Bearer ${TG_SECRET}` }],
          ]
        : [
            ['none', {}],
            ['wrong bearer', { authorization: 'Bearer wrong-token' }],
            ['empty bearer', { authorization: 'Bearer ' }],
            ['no scheme', { authorization: right }],
            ['Token scheme', { authorization: `Token ${right}` }],
            ["other route's token", { authorization: `Bearer ${isHook ? API : HOOK}` }],
            ['token with a suffix', { authorization: `Bearer ${right}x` }],
            ['token prefix', { authorization: `Bearer ${right.slice(0, -1)}` }],
            ...(isHook
              ? [['basic, wrong password', { authorization: basic('am', 'nope') }] as [string, Record<string, string>]]
              : [
                  ['basic with the right token (not accepted here)', { authorization: basic('api', right) }] as [
                    string,
                    Record<string, string>,
                  ],
                ]),
          ];
      for (const [name, headers] of attempts) {
        const res = await service.app.inject({
          method: r.method as 'POST',
          url,
          headers: { 'content-type': 'application/json', ...headers },
          payload: '{"__junk__":',
        });
        // Telegram's contract: 401 without the secret header, 403 with a wrong one.
        const expected = isTelegram && (headers['x-telegram-bot-api-secret-token'] ?? '') !== '' ? 403 : 401;
        const ok = res.statusCode === expected && typeof res.json().error?.code === 'string';
        tally.record(`no/wrong token: ${r.method} ${r.url}`, ok, `${name} → ${res.statusCode}`);
        expect(res.statusCode, `${r.method} ${r.url} ${name}: ${res.body}`).toBe(expected);
      }
      checked.push(r.url);
    }
    expect(checked.length).toBeGreaterThanOrEqual(6);
    expect(state()).toEqual(before);
  });

  it('with the right token every mutating route gets past auth (any answer but 401/403)', async () => {
    for (const r of routes()) {
      const url = r.url.replace(/:[A-Za-z_]+/g, 'act_does_not_exist');
      const variants: Array<[string, Record<string, string>, unknown]> =
        r.url === TG_PATH
          ? [['secret header', { 'x-telegram-bot-api-secret-token': TG_SECRET }, { update_id: 1 }]]
          : r.url === '/ops/webhook'
            ? [
                ['bearer', { authorization: `Bearer ${HOOK}` }, amFixture('group-firing')],
                ['basic', { authorization: basic('alertmanager', HOOK) }, amFixture('group-partly-resolved')],
              ]
            : [
                ['bearer', { authorization: `Bearer ${API}` }, {}],
                ['lower-case scheme', { authorization: `bearer ${API}` }, {}],
              ];
      for (const [name, headers, payload] of variants) {
        const res = await service.app.inject({ method: r.method as 'POST', url, headers, payload: payload as object });
        const ok = res.statusCode !== 401 && res.statusCode !== 403;
        tally.record(`right token: ${r.method} ${r.url}`, ok, `${name} → ${res.statusCode}`);
        expect(ok, `${r.method} ${r.url} ${name}: ${res.statusCode} ${res.body.slice(0, 200)}`).toBe(true);
      }
    }
  });
});

describe('Telegram button presses', () => {
  let h: ApprovalService;
  afterEach(async () => h?.close());

  async function press(fromId: number, data: string): Promise<string> {
    const id = h.tg.injectCallback({ fromId, data, username: fromId === ALICE ? 'alice' : 'mallory' });
    await h.tg.waitFor(
      () => h.tg.callsOf('answerCallbackQuery').some((c) => c.body['callback_query_id'] === id),
      `answer to ${id}`,
    );
    await h.settle();
    return String(h.tg.callsOf('answerCallbackQuery').find((c) => c.body['callback_query_id'] === id)!.body['text']);
  }

  it('strangers, forged data and replays are refused, change nothing and are recorded', async () => {
    h = await startApprovalService();
    const { actionId } = await awaitingAction(h);
    const counts = () => tableCounts(h.db);
    const forged: Array<[string, string, RegExp]> = [
      ['65 bytes', `a:${'x'.repeat(63)}`, /Unknown button/],
      ['oversized (4 KB)', `a:${'x'.repeat(4096)}`, /Unknown button/],
      ['wrong verb', `approve:${actionId}`, /Unknown button/],
      ['wrong verb letter', `x:${actionId}`, /Unknown button/],
      ['upper-case verb', `A:${actionId}`, /Unknown button/],
      ['empty', '', /Unknown button/],
      ['verb only', 'a:', /Unknown button/],
      ['SQL-ish', "a:1' OR '1'='1", /Unknown button/],
      ['SQL-ish 2', `a:${actionId}';DROP TABLE actions;--`, /Unknown button/],
      ['path', 'a:../../etc/passwd', /Unknown button/],
      ['unicode lookalike', `a:${actionId.replace('_', '\u2010')}`, /Unknown button/],
      ['two ids', `a:${actionId} r:${actionId}`, /Unknown button/],
      ['unknown action id', 'a:act_does_not_exist', /Unknown action/],
      ['JSON', `{"verdict":"approve","actionId":"${actionId}"}`, /Unknown button/],
    ];
    for (const [name, data, answer] of forged) {
      const before = counts();
      const text = await press(ALICE, data);
      const ledgerAfter = h.db
        .prepare("SELECT count(*) AS n FROM ledger WHERE kind IN ('telegram.callback_refused', 'approval.refused')")
        .get() as { n: number };
      const ok =
        answer.test(text) &&
        actionStatus(h, actionId) === 'awaiting_approval' &&
        ledgerAfter.n > 0 &&
        counts().actions === before.actions;
      tally.record('telegram: forged callback data', ok, `${name} → ${text}`);
      expect(text, name).toMatch(answer);
      expect(actionStatus(h, actionId), name).toBe('awaiting_approval');
    }
    // Every forged press leaves a durable trace (not only a log line).
    const refusedEvents = h.db
      .prepare("SELECT count(*) AS n FROM ledger WHERE kind = 'telegram.callback_refused'")
      .get() as { n: number };
    expect(refusedEvents.n).toBe(forged.filter(([, , a]) => a.source.includes('button')).length);

    for (const data of [`a:${actionId}`, `r:${actionId}`, 'a:act_does_not_exist', `a:${'x'.repeat(63)}`]) {
      const text = await press(STRANGER, data);
      const ok = /not allowed|Unknown button/.test(text) && actionStatus(h, actionId) === 'awaiting_approval';
      tally.record('telegram: user outside the allow-list', ok, `${data} → ${text}`);
      expect(text).toMatch(/not allowed|Unknown button/);
    }
    expect(
      approvalRows(h, actionId)
        .filter((r) => r.actor.startsWith('telegram:222'))
        .map((r) => r.outcome),
    ).toEqual(['refused', 'refused']);

    expect(await press(ALICE, `a:${actionId}`)).toContain('Approved');
    await h.settle(); // the real apply runs to the end
    expect(actionStatus(h, actionId)).toBe('applied');
    for (const data of [`a:${actionId}`, `r:${actionId}`]) {
      const text = await press(ALICE, data);
      const ok = /Already decided/.test(text) && actionStatus(h, actionId) === 'applied';
      tally.record('telegram: replay after completion', ok, `${data} → ${text}`);
      expect(text).toContain('Already decided');
    }
    const res = await h.service.app.inject({ method: 'POST', url: `/ops/approve/${actionId}`, payload: {} });
    tally.record('telegram: replay after completion', res.statusCode === 409, `REST → ${res.statusCode}`);
    expect(res.statusCode).toBe(409);
    expect(actionStatus(h, actionId)).toBe('applied');
    expect(approvalRows(h, actionId).map((r) => r.outcome)).toEqual([
      'refused',
      'refused',
      'accepted',
      'refused',
      'refused',
      'refused',
    ]);
  });
});

describe('binding', () => {
  afterAll(() => tally.print());

  it.each([
    ['0.0.0.0 without tokens', { HOST: '0.0.0.0' }, /API_TOKEN and WEBHOOK_TOKEN are not set/],
    ['0.0.0.0 with API_TOKEN only', { HOST: '0.0.0.0', API_TOKEN: API }, /WEBHOOK_TOKEN is not set/],
    ['0.0.0.0 with WEBHOOK_TOKEN only', { HOST: '0.0.0.0', WEBHOOK_TOKEN: HOOK }, /API_TOKEN is not set/],
    [':: without tokens', { HOST: '::' }, /not set/],
    ['a LAN address', { HOST: '10.1.2.3' }, /not set/],
    ['IPv4-mapped loopback spelled oddly', { HOST: '::ffff:127.0.0.1' }, /not set/],
  ])('refuses to start on %s', async (_n, env, why) => {
    const config = loadConfig({ ...env, DATABASE_PATH: ':memory:', LOG_LEVEL: 'silent' });
    expect(() => assertSafeBinding(config)).toThrow(why);
    // runServer checks before anything is built or bound.
    await expect(runServer(config)).rejects.toThrow(why);
    tally.record('non-loopback HOST without tokens refused', true);
  });

  it('starts checks pass on loopback without tokens, and off-loopback with both', () => {
    for (const env of [
      { HOST: '127.0.0.1' },
      { HOST: 'localhost' },
      { HOST: '::1' },
      { HOST: '0.0.0.0', API_TOKEN: API, WEBHOOK_TOKEN: HOOK },
    ]) {
      expect(() => assertSafeBinding(loadConfig({ ...env, DATABASE_PATH: ':memory:' }))).not.toThrow();
    }
  });
});
