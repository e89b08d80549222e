/**
 * One read rule, applied to every route of the real app's route table (printRoutes), over a real
 * socket: with API_TOKEN set, every route but a short public list needs a token — reads take
 * API_TOKEN or READ_TOKEN, writes only API_TOKEN (READ_TOKEN → 403), the Alertmanager webhook only
 * WEBHOOK_TOKEN, the Telegram webhook only its secret header. The public list is written out here
 * as the specification: a route that becomes public without being added to it fails this test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import type { Service } from '../../src/main.js';
import { LiveAction, startWithPool } from '../helpers/approval-service.js';
import { startTestService, tempWorkspace, testConfig } from '../helpers/service.js';
import { FakeTelegramServer } from '../fakes/fake-telegram-server.js';
import { concreteUrl, routeTable, type RouteEntry } from './route-table.js';
import { Tally, tableCounts } from './tally.js';

const API = 'api-token-read-rule-0123456789abcdef';
const READ = 'read-token-read-rule-fedcba9876543210';
const HOOK = 'webhook-token-read-rule-5647382910';
const TG_SECRET = 'tg-secret-read-rule-xyz';
const TG_PATH = '/telegram/read-rule-hook';
const tally = new Tally('read rule');

/** The specification: routes anyone may call whatever tokens are set. */
const PUBLIC = new Set(['/', '/assets/:file', '/health', '/metrics', '/ops/ui-config']);
const isPublic = (r: RouteEntry) =>
  (r.method === 'GET' || r.method === 'HEAD') && (PUBLIC.has(r.url) || r.url === '/docs' || r.url.startsWith('/docs/'));

type Kind = 'public' | 'read' | 'write' | 'webhook' | 'telegram';
function kindOf(r: RouteEntry): Kind {
  if (r.url === '/ops/webhook') return 'webhook';
  if (r.url === TG_PATH) return 'telegram';
  if (isPublic(r)) return 'public';
  return r.method === 'GET' || r.method === 'HEAD' ? 'read' : 'write';
}

const CREDENTIALS: Record<string, Record<string, string>> = {
  'no token': {},
  'wrong bearer': { authorization: 'Bearer not-the-token' },
  READ_TOKEN: { authorization: `Bearer ${READ}` },
  API_TOKEN: { authorization: `Bearer ${API}` },
  WEBHOOK_TOKEN: { authorization: `Bearer ${HOOK}` },
  'Telegram secret': { 'x-telegram-bot-api-secret-token': TG_SECRET },
};

/** What each kind of route answers to each credential: 'pass' is anything but 401/403/429. */
const EXPECTED: Record<Kind, Record<string, 'pass' | 401 | 403>> = {
  public: {
    'no token': 'pass',
    'wrong bearer': 'pass',
    READ_TOKEN: 'pass',
    API_TOKEN: 'pass',
    WEBHOOK_TOKEN: 'pass',
    'Telegram secret': 'pass',
  },
  read: {
    'no token': 401,
    'wrong bearer': 401,
    READ_TOKEN: 'pass',
    API_TOKEN: 'pass',
    WEBHOOK_TOKEN: 401,
    'Telegram secret': 401,
  },
  write: {
    'no token': 401,
    'wrong bearer': 401,
    READ_TOKEN: 403,
    API_TOKEN: 'pass',
    WEBHOOK_TOKEN: 401,
    'Telegram secret': 401,
  },
  webhook: {
    'no token': 401,
    'wrong bearer': 401,
    READ_TOKEN: 401,
    API_TOKEN: 401,
    WEBHOOK_TOKEN: 'pass',
    'Telegram secret': 401,
  },
  telegram: {
    'no token': 401,
    'wrong bearer': 401,
    READ_TOKEN: 401,
    API_TOKEN: 401,
    WEBHOOK_TOKEN: 401,
    'Telegram secret': 'pass',
  },
};

/** One request over the socket; the body is read only for error answers (a granted SSE stream never ends). */
async function call(base: string, r: RouteEntry, headers: Record<string, string>, body: string | undefined) {
  const res = await fetch(`${base}${concreteUrl(r.url)}`, {
    method: r.method,
    headers: { ...(r.method === 'POST' ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined && r.method === 'POST' ? { body } : {}),
  });
  let code: string | undefined;
  if (res.status >= 400 && r.method !== 'HEAD' && (res.headers.get('content-type') ?? '').includes('json')) {
    code = ((await res.json()) as { error?: { code?: string } }).error?.code;
  } else {
    await res.body?.cancel();
  }
  return { status: res.status, code };
}

describe('with API_TOKEN, READ_TOKEN, WEBHOOK_TOKEN and a Telegram webhook', () => {
  let service: Service;
  let live: LiveAction;
  let tg: FakeTelegramServer;
  let base: string;
  beforeAll(async () => {
    tg = new FakeTelegramServer();
    const apiRoot = await tg.start();
    const exec = await startWithPool({
      API_TOKEN: API,
      READ_TOKEN: READ,
      WEBHOOK_TOKEN: HOOK,
      AUTH_FAIL_LIMIT: '100000',
      TELEGRAM_BOT_TOKEN: tg.token,
      TELEGRAM_CHAT_ID: '-1001',
      TELEGRAM_API_ROOT: apiRoot,
      TELEGRAM_WEBHOOK_URL: `https://infraai.invalid${TG_PATH}`,
      TELEGRAM_WEBHOOK_SECRET: TG_SECRET,
    });
    service = exec.service;
    live = new LiveAction(exec);
    base = await service.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await service.stop();
    await tg.close();
  });

  const routes = () => routeTable(service.app.printRoutes({ commonPrefix: false }));

  it('the route table is read, not hard-coded: it holds reads, writes, both webhooks and the public list', () => {
    const all = routes().map((r) => `${r.method} ${r.url}`);
    for (const known of [
      'GET /ops/actions',
      'HEAD /ops/actions/:id',
      'GET /ops/approvals/pending',
      'GET /ops/events',
      'GET /ops/ledger',
      'POST /ops/approve/:id',
      'POST /infra',
      'POST /ops/webhook',
      `POST ${TG_PATH}`,
      'GET /health',
      'GET /docs/json',
    ]) {
      expect(all).toContain(known);
    }
    expect(all.length).toBeGreaterThan(40);
  });

  it('every route × every credential answers as the rule says; refusals change nothing', async () => {
    const cases = routes().flatMap((r) =>
      Object.entries(CREDENTIALS).map(([cred, headers]) => ({
        r,
        cred,
        headers,
        expected: EXPECTED[kindOf(r)][cred]!,
      })),
    );
    const wrong: string[] = [];
    const openWithoutToken = new Set<string>();
    const run = async (c: (typeof cases)[number]) => {
      // Refused requests carry a body that would fail validation: the credential is checked first.
      const body = c.expected === 'pass' ? (kindOf(c.r) === 'telegram' ? '{"update_id":1}' : '{}') : '{"__junk__":';
      const { status, code } = await call(base, c.r, c.headers, body);
      const ok =
        c.expected === 'pass'
          ? ![401, 403, 429].includes(status)
          : status === c.expected && (c.r.method === 'HEAD' || /^ERR_/.test(code ?? ''));
      if (c.cred === 'no token' && ![401, 403, 429].includes(status)) openWithoutToken.add(`${c.r.method} ${c.r.url}`);
      tally.record(`${kindOf(c.r)} route × ${c.cred}`, ok, `${c.r.method} ${c.r.url} → ${status} ${code ?? ''}`);
      if (!ok)
        wrong.push(`${c.r.method} ${c.r.url} with ${c.cred}: expected ${c.expected}, got ${status} ${code ?? ''}`);
    };
    const before = tableCounts(service.db);
    for (const c of cases.filter((x) => x.expected !== 'pass')) await run(c);
    expect(tableCounts(service.db)).toEqual(before);
    for (const c of cases.filter((x) => x.expected === 'pass')) await run(c);
    expect(wrong).toEqual([]);
    expect(cases.length).toBeGreaterThan(250);
    // Exactly the public list is open, nothing else (a new public route must be added above, visibly).
    expect([...openWithoutToken].sort()).toEqual(
      routes()
        .filter(isPublic)
        .map((r) => `${r.method} ${r.url}`)
        .sort(),
    );
  });

  it("the issue's example: pending actions are not readable through /ops/actions without a token either", async () => {
    const actionId = await live.get();
    for (const url of [
      '/ops/actions?status=awaiting_approval',
      '/ops/approvals/pending',
      `/ops/actions/${actionId}`,
      '/ops/ledger',
      '/ops/events',
    ]) {
      const anon = await fetch(`${base}${url}`);
      expect(anon.status, url).toBe(401);
      const body = await anon.text();
      expect(body, url).not.toContain(actionId);
      tally.record('pending action hidden without a token', anon.status === 401 && !body.includes(actionId), url);
    }
    for (const token of [READ, API]) {
      const viaActions = await fetch(`${base}/ops/actions?status=awaiting_approval`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const viaPending = await fetch(`${base}/ops/approvals/pending`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect([viaActions.status, viaPending.status]).toEqual([200, 200]);
      expect(JSON.stringify(await viaActions.json())).toContain(actionId);
      expect(JSON.stringify(await viaPending.json())).toContain(actionId);
    }
    const ui = await (await fetch(`${base}/ops/ui-config`)).json();
    expect(ui).toMatchObject({ auth_required: true });
  });

  it('READ_TOKEN cannot approve: 403 naming the token, and the action still waits', async () => {
    const actionId = await live.get();
    const res = await fetch(`${base}/ops/approve/${actionId}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${READ}`, 'content-type': 'application/json' },
      body: '{}',
    });
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect([res.status, body.error.code]).toEqual([403, 'ERR_FORBIDDEN']);
    expect(body.error.message).toMatch(/READ_TOKEN grants reads only/);
    expect(service.actions.get(actionId)?.status).toBe('awaiting_approval');
  });
});

describe('without any token (the loopback default)', () => {
  let service: Service;
  beforeAll(async () => {
    service = await startTestService(testConfig({}, tempWorkspace('infraai-read-rule-open-')));
  });
  afterAll(async () => service.stop());

  it('every route is open to a loopback client, and the page is told no token is needed', async () => {
    const base = await service.app.listen({ port: 0, host: '127.0.0.1' });
    for (const r of routeTable(service.app.printRoutes({ commonPrefix: false }))) {
      const { status } = await call(base, r, {}, '{}');
      tally.record(
        'no tokens configured: route open',
        ![401, 403, 429].includes(status),
        `${r.method} ${r.url} → ${status}`,
      );
      expect([401, 403, 429], `${r.method} ${r.url}`).not.toContain(status);
    }
    expect(await (await fetch(`${base}/ops/ui-config`)).json()).toMatchObject({ auth_required: false });
  });
});

describe('token configuration', () => {
  afterAll(() => tally.print());

  it.each([
    ['READ_TOKEN without API_TOKEN', { READ_TOKEN: READ }, /READ_TOKEN: needs API_TOKEN/],
    ['READ_TOKEN equal to API_TOKEN', { API_TOKEN: API, READ_TOKEN: API }, /READ_TOKEN: must differ/],
    [
      'READ_TOKEN equal to WEBHOOK_TOKEN',
      { API_TOKEN: API, WEBHOOK_TOKEN: HOOK, READ_TOKEN: HOOK },
      /READ_TOKEN: must differ/,
    ],
    ['AUTH_FAIL_LIMIT 0', { AUTH_FAIL_LIMIT: '0' }, /AUTH_FAIL_LIMIT/],
    ['AUTH_FAIL_WINDOW_SECONDS not a number', { AUTH_FAIL_WINDOW_SECONDS: 'soon' }, /AUTH_FAIL_WINDOW_SECONDS/],
  ])('refuses %s, naming the variable', (_n, env, why) => {
    expect(() => loadConfig({ ...env, DATABASE_PATH: ':memory:' })).toThrow(why);
    tally.record('invalid token configuration refused', true, _n);
  });
});
