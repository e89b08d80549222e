/**
 * Failed authentication is rate-limited on every protected route (reads, writes, both webhooks),
 * per client address: after AUTH_FAIL_LIMIT failures the answer is 429 with Retry-After, while the
 * same address with the right credential keeps working — successful calls are neither counted nor
 * throttled, so Alertmanager under load and an operator are never locked out by a guesser.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../src/main.js';
import { LiveAction, actionStatus, startWithPool } from '../helpers/approval-service.js';
import { amFixture } from '../helpers/webhook.js';
import { FakeTelegramServer } from '../fakes/fake-telegram-server.js';
import { Tally, tableCounts } from './tally.js';

const API = 'api-token-rate-limit-0123456789abcdef';
const READ = 'read-token-rate-limit-abcdef0123456789';
const HOOK = 'webhook-token-rate-limit-0987654321';
const TG_SECRET = 'tg-secret-rate-limit';
const TG_PATH = '/telegram/rate-limit-hook';
const LIMIT = 5;
const WINDOW_SECONDS = 600;
const tally = new Tally('auth rate limit');
const json = { 'content-type': 'application/json' };

interface Target {
  name: string;
  method: 'GET' | 'POST';
  url: string;
  bad: Record<string, string>;
  good: Record<string, string>;
  /** Status of a refused attempt before the limit. */
  refused: number;
  payload?: object;
}

describe('failed authentication is rate-limited per client address', () => {
  let service: Service;
  let live: LiveAction;
  let tg: FakeTelegramServer;
  let actionId: string;
  let nextAddress = 10;
  const fresh = () => `10.9.0.${nextAddress++}`;

  beforeAll(async () => {
    tg = new FakeTelegramServer();
    const apiRoot = await tg.start();
    const exec = await startWithPool({
      API_TOKEN: API,
      READ_TOKEN: READ,
      WEBHOOK_TOKEN: HOOK,
      AUTH_FAIL_LIMIT: String(LIMIT),
      AUTH_FAIL_WINDOW_SECONDS: String(WINDOW_SECONDS),
      TELEGRAM_BOT_TOKEN: tg.token,
      TELEGRAM_CHAT_ID: '-1001',
      TELEGRAM_API_ROOT: apiRoot,
      TELEGRAM_WEBHOOK_URL: `https://infraai.invalid${TG_PATH}`,
      TELEGRAM_WEBHOOK_SECRET: TG_SECRET,
    });
    service = exec.service;
    live = new LiveAction(exec);
    actionId = await live.get();
  });
  afterAll(async () => {
    await service.stop();
    await tg.close();
    tally.print();
  });

  const send = (
    t: Pick<Target, 'method' | 'url' | 'payload'>,
    headers: Record<string, string>,
    remoteAddress: string,
  ) =>
    service.app.inject({
      method: t.method,
      url: t.url,
      remoteAddress,
      headers: t.method === 'POST' ? { ...json, ...headers } : headers,
      ...(t.method === 'POST' ? { payload: JSON.stringify(t.payload ?? {}) } : {}),
    });

  const targets = (): Target[] => [
    {
      name: 'read: GET /ops/actions',
      method: 'GET',
      url: '/ops/actions?status=awaiting_approval',
      bad: { authorization: 'Bearer guess' },
      good: { authorization: `Bearer ${READ}` },
      refused: 401,
    },
    {
      name: 'read: GET /ops/ledger (no token)',
      method: 'GET',
      url: '/ops/ledger',
      bad: {},
      good: { authorization: `Bearer ${API}` },
      refused: 401,
    },
    {
      name: 'write: POST /ops/reject/:id',
      method: 'POST',
      url: `/ops/reject/${actionId}`,
      bad: { authorization: 'Bearer guess' },
      good: { authorization: `Bearer ${API}` },
      refused: 401,
      payload: { plan_sha256: 'cd'.repeat(32) },
    },
    {
      name: 'write with READ_TOKEN: POST /ops/registry/sync',
      method: 'POST',
      url: '/ops/registry/sync',
      bad: { authorization: `Bearer ${READ}` },
      good: { authorization: `Bearer ${API}` },
      refused: 403,
    },
    {
      name: 'write: POST /infra',
      method: 'POST',
      url: '/infra',
      bad: { authorization: `Bearer ${HOOK}` },
      good: { authorization: `Bearer ${API}` },
      refused: 401,
    },
    {
      name: 'webhook: POST /ops/webhook',
      method: 'POST',
      url: '/ops/webhook',
      bad: { authorization: 'Basic YW06Z3Vlc3M=' },
      good: { authorization: `Bearer ${HOOK}` },
      refused: 401,
      payload: amFixture('group-firing'),
    },
    {
      name: 'telegram: POST webhook path',
      method: 'POST',
      url: TG_PATH,
      bad: { 'x-telegram-bot-api-secret-token': 'guess' },
      good: { 'x-telegram-bot-api-secret-token': TG_SECRET },
      refused: 403,
      payload: { update_id: 7 },
    },
  ];

  it(`each protected route: ${LIMIT} refusals, then 429 with Retry-After; the right credential still works from that address`, async () => {
    for (const t of targets()) {
      const address = fresh();
      const before = tableCounts(service.db);
      const statuses: number[] = [];
      for (let i = 0; i < LIMIT + 3; i++) {
        const res = await send(t, t.bad, address);
        statuses.push(res.statusCode);
        if (res.statusCode === 429) {
          const retryAfter = Number(res.headers['retry-after']);
          const body = res.json() as { error: { code: string; message: string } };
          const ok =
            body.error.code === 'ERR_RATE_LIMITED' &&
            retryAfter >= 1 &&
            retryAfter <= WINDOW_SECONDS &&
            /retry in \d+ s/.test(body.error.message);
          tally.record(
            '429 carries Retry-After and the error shape',
            ok,
            `${t.name}: ${res.headers['retry-after']} ${res.body}`,
          );
          expect(ok, `${t.name}: ${JSON.stringify(res.headers)} ${res.body}`).toBe(true);
        }
      }
      const expected = [...Array<number>(LIMIT).fill(t.refused), 429, 429, 429];
      tally.record(
        'refused until the limit, then 429',
        JSON.stringify(statuses) === JSON.stringify(expected),
        `${t.name}: ${statuses.join(',')}`,
      );
      expect(statuses, t.name).toEqual(expected);
      // The refusals wrote nothing.
      expect(tableCounts(service.db), t.name).toEqual(before);
      const good = await send(t, t.good, address);
      const passed = ![401, 403, 429].includes(good.statusCode);
      tally.record('right credential works while the address is locked out', passed, `${t.name} → ${good.statusCode}`);
      expect(passed, `${t.name}: ${good.statusCode} ${good.body.slice(0, 200)}`).toBe(true);
      // Public routes are never limited.
      for (const url of ['/health', '/ops/ui-config', '/']) {
        const pub = await send({ method: 'GET', url }, {}, address);
        tally.record(
          'public routes answer a locked-out address',
          pub.statusCode < 400 || pub.statusCode === 503,
          `${url} → ${pub.statusCode}`,
        );
        expect([429, 401, 403]).not.toContain(pub.statusCode);
      }
    }
    expect(actionStatus({ service }, actionId)).toBe('awaiting_approval');
  });

  it('successful calls are not counted: 300 authenticated webhook deliveries, then still exactly LIMIT refusals, then more deliveries pass', async () => {
    const address = fresh();
    const hook: Target = targets().find((t) => t.url === '/ops/webhook')!;
    for (let i = 0; i < 150; i++) {
      const res = await send(hook, hook.good, address);
      tally.record(
        'authenticated webhook under load never throttled',
        res.statusCode < 300,
        `#${i} → ${res.statusCode}`,
      );
      expect(res.statusCode).toBeLessThan(300);
    }
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 1; i++) statuses.push((await send(hook, hook.bad, address)).statusCode);
    expect(statuses).toEqual([...Array<number>(LIMIT).fill(401), 429]);
    for (let i = 0; i < 150; i++) {
      const res = await send(hook, hook.good, address);
      tally.record(
        'authenticated webhook under load never throttled',
        res.statusCode < 300,
        `locked-out #${i} → ${res.statusCode}`,
      );
      expect(res.statusCode).toBeLessThan(300);
    }
  });

  it('addresses are counted apart (IPv6 by /64, as @fastify/rate-limit groups them)', async () => {
    const read = targets()[0]!;
    const a = fresh();
    const b = fresh();
    for (let i = 0; i < LIMIT + 1; i++) await send(read, read.bad, a);
    expect((await send(read, read.bad, a)).statusCode).toBe(429);
    const other = await send(read, read.bad, b);
    tally.record('another address is not locked out', other.statusCode === 401, `${b} → ${other.statusCode}`);
    expect(other.statusCode).toBe(401);
    for (let i = 0; i < LIMIT + 1; i++) await send(read, read.bad, '2001:db8:5:6::1');
    const sameSubnet = await send(read, read.bad, '2001:db8:5:6::99');
    const otherSubnet = await send(read, read.bad, '2001:db8:5:7::1');
    tally.record('IPv6: same /64 shares the count', sameSubnet.statusCode === 429, `→ ${sameSubnet.statusCode}`);
    tally.record('IPv6: another /64 does not', otherSubnet.statusCode === 401, `→ ${otherSubnet.statusCode}`);
    expect([sameSubnet.statusCode, otherSubnet.statusCode]).toEqual([429, 401]);
  });

  it('over a real socket: the 429 reaches the client with Retry-After', async () => {
    const base = await service.app.listen({ port: 0, host: '127.0.0.1' });
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < LIMIT + 1; i++) {
      last = await fetch(`${base}/ops/approvals/pending`, { headers: { authorization: 'Bearer guess' } });
      statuses.push(last.status);
      if (i < LIMIT) await last.body?.cancel();
    }
    expect(statuses).toEqual([...Array<number>(LIMIT).fill(401), 429]);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await last!.json()) as { error: { code: string } }).error.code).toBe('ERR_RATE_LIMITED');
    const ok = await fetch(`${base}/ops/approvals/pending`, { headers: { authorization: `Bearer ${API}` } });
    expect(ok.status).toBe(200);
    tally.record('real socket: 429 then the right token works', ok.status === 200, statuses.join(','));
  });
});
