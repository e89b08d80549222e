/**
 * DNS rebinding: the service answers only for loopback Host names and the configured ones
 * (PUBLIC_URL, ALLOWED_HOSTS, a concrete bind address). A rebinding page is same-origin as far as
 * the browser knows (its own name, re-pointed at 127.0.0.1), so only the Host header gives it
 * away: every other name is 421 ERR_HOST_NOT_ALLOWED on every route, reads included, before any
 * route runs, and nothing is written. Tested without tokens, the default loopback setup.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import type { Service } from '../../src/main.js';
import { LiveAction, actionStatus, startWithPool } from '../helpers/approval-service.js';
import { FakeTelegramServer } from '../fakes/fake-telegram-server.js';
import { Tally, tableCounts } from './tally.js';

const tally = new Tally('cross-site: Host');
const json = { 'content-type': 'application/json' };

const REFUSED_HOSTS = [
  'evil.example',
  'evil.example:8080',
  'attacker.example:80',
  '127.0.0.1.evil.example',
  '127.0.0.1.nip.io',
  'localhost.evil',
  'localhost.evil.example',
  'evil-localhost',
  'localhost.',
  'app.localhost',
  'xlocalhost',
  'LOCALHOST.EVIL.EXAMPLE',
  '0x7f.0.0.1',
  '0177.0.0.1',
  '127.1',
  '2130706433',
  '127.0.0.256',
  '127.000.000.001',
  '128.0.0.1',
  '0.0.0.0',
  '0.0.0.0:8080',
  '[::ffff:127.0.0.1]',
  '[::ffff:7f00:1]',
  '[0:0:0:0:0:0:0:1]',
  '[::1%25eth0]',
  '::1',
  '[::2]',
  '[fe80::1]',
  'localhost:99999',
  'localhost:abc',
  'localhost:',
  'user@localhost',
  'localhost/evil',
  'localhost evil',
  'localhost,evil.example',
  'localhost\tevil',
  'infraai.example.test.evil.example',
  'example.test',
  'xinfraai.internal',
  'infraai.internal.evil',
  '10.20.30.41',
  '10.20.30.40.evil.example',
  'public.example.test:8443x',
];

const ACCEPTED_HOSTS = [
  'localhost',
  'localhost:8080',
  'LOCALHOST:8080',
  'Localhost',
  '127.0.0.1',
  '127.0.0.1:1',
  '127.255.255.254:65535',
  '127.10.20.30:8080',
  '[::1]',
  '[::1]:8080',
  'infraai.example.test',
  'infraai.example.test:443',
  'INFRAAI.EXAMPLE.TEST',
  'infraai.internal:8080',
  'infraai.internal',
  '10.20.30.40:8080',
  'hooks.example.test',
];

/** One HTTP exchange over a raw socket: what inject cannot produce (no Host at all, HTTP/1.0). */
function raw(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let out = '';
    s.on('data', (d) => {
      out += d.toString();
    });
    s.on('end', () => resolve(out));
    s.on('close', () => resolve(out));
    s.on('error', reject);
    s.write(request);
  });
}

describe('Host header: DNS rebinding is refused', () => {
  let service: Service;
  let live: LiveAction;
  let tg: FakeTelegramServer;
  let port: number;
  beforeAll(async () => {
    tg = new FakeTelegramServer();
    const apiRoot = await tg.start();
    const exec = await startWithPool({
      PUBLIC_URL: 'https://infraai.example.test',
      ALLOWED_HOSTS: 'infraai.internal, 10.20.30.40',
      TELEGRAM_BOT_TOKEN: tg.token,
      TELEGRAM_CHAT_ID: '-1001',
      TELEGRAM_API_ROOT: apiRoot,
      TELEGRAM_WEBHOOK_URL: 'https://hooks.example.test/tg',
      TELEGRAM_WEBHOOK_SECRET: 'abc',
    });
    service = exec.service;
    live = new LiveAction(exec);
    await service.app.listen({ port: 0, host: '127.0.0.1' });
    port = (service.app.server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await service.stop();
    await tg.close();
  });

  const requests = (host: string) => [
    { method: 'GET' as const, url: '/ops/actions?status=awaiting_approval', headers: { host } },
    { method: 'GET' as const, url: '/health', headers: { host } },
    { method: 'GET' as const, url: '/', headers: { host } },
    { method: 'GET' as const, url: '/no/such/route', headers: { host } },
    { method: 'POST' as const, url: '/ops/approve/act_does_not_exist', headers: { host, ...json } },
  ];

  it(`refuses ${REFUSED_HOSTS.length} foreign or malformed Host names on reads, writes, public routes and 404s; writes nothing`, async () => {
    const actionId = await live.get();
    const before = tableCounts(service.db);
    for (const host of REFUSED_HOSTS) {
      for (const r of [
        ...requests(host),
        { method: 'POST' as const, url: `/ops/approve/${actionId}`, headers: { host, ...json } },
      ]) {
        const res = await service.app.inject(r);
        const ok = res.statusCode === 421 && res.json().error?.code === 'ERR_HOST_NOT_ALLOWED';
        tally.record(
          'foreign/malformed Host refused',
          ok,
          `${JSON.stringify(host)} ${r.method} ${r.url} → ${res.statusCode}`,
        );
        expect(ok, `${JSON.stringify(host)} ${r.method} ${r.url}: ${res.statusCode} ${res.body.slice(0, 200)}`).toBe(
          true,
        );
      }
    }
    expect(tableCounts(service.db)).toEqual(before);
    expect(actionStatus({ service }, actionId)).toBe('awaiting_approval');
  });

  it('says what to configure when it refuses a name', async () => {
    const res = await service.app.inject({
      method: 'GET',
      url: '/ops/actions',
      headers: { host: 'evil.example:8080' },
    });
    expect(res.json().error.message).toMatch(/"evil\.example:8080".*PUBLIC_URL.*ALLOWED_HOSTS/);
  });

  it(`accepts ${ACCEPTED_HOSTS.length} loopback and configured names (PUBLIC_URL, ALLOWED_HOSTS, TELEGRAM_WEBHOOK_URL) with any port`, async () => {
    for (const host of ACCEPTED_HOSTS) {
      for (const r of requests(host)) {
        const res = await service.app.inject(r);
        // Any answer but the Host refusal (/ is 503 when the dashboard is not built).
        const ok = res.statusCode !== 421 && !res.body.includes('ERR_HOST_NOT_ALLOWED');
        tally.record('loopback/configured Host accepted', ok, `${host} ${r.method} ${r.url} → ${res.statusCode}`);
        expect(ok, `${host} ${r.method} ${r.url}: ${res.statusCode} ${res.body.slice(0, 200)}`).toBe(true);
      }
    }
  });

  it('a rebinding page (same-origin to its browser) can neither approve nor read', async () => {
    const actionId = await live.get();
    const page = {
      host: 'rebind.attacker.example:8080',
      origin: 'http://rebind.attacker.example:8080',
      'sec-fetch-site': 'same-origin',
    };
    const attempts = [
      { method: 'POST' as const, url: `/ops/approve/${actionId}`, headers: { ...page, ...json } },
      {
        method: 'POST' as const,
        url: `/ops/approve/${actionId}`,
        headers: { ...page, 'content-type': 'text/plain' },
        payload: '{}',
      },
      { method: 'POST' as const, url: `/ops/approve/${actionId}`, headers: page },
      { method: 'GET' as const, url: '/ops/approvals/pending', headers: page },
      { method: 'GET' as const, url: `/ops/actions/${actionId}`, headers: page },
      { method: 'GET' as const, url: '/ops/events', headers: page },
    ];
    for (const a of attempts) {
      const res = await service.app.inject(a);
      const ok = res.statusCode === 421 && !res.body.includes('terraform_data');
      tally.record('rebinding page refused', ok, `${a.method} ${a.url} → ${res.statusCode}`);
      expect(res.statusCode, `${a.method} ${a.url}`).toBe(421);
    }
    expect(actionStatus({ service }, actionId)).toBe('awaiting_approval');
  });

  it('over a real socket: a foreign Host, no Host on HTTP/1.0 and no Host on HTTP/1.1 are all refused', async () => {
    const actionId = await live.get();
    const cases: Array<[string, string, RegExp]> = [
      [
        'foreign Host',
        `POST /ops/approve/${actionId} HTTP/1.1\r\nHost: evil.example\r\nContent-Type: application/json\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
        /^HTTP\/1\.1 421 .*ERR_HOST_NOT_ALLOWED/s,
      ],
      [
        'no Host, HTTP/1.0',
        `POST /ops/approve/${actionId} HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: 0\r\n\r\n`,
        /^HTTP\/1\.1 421 .*no Host header/s,
      ],
      [
        'no Host, HTTP/1.1 (Node refuses it)',
        `POST /ops/approve/${actionId} HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
        /^HTTP\/1\.1 400 /,
      ],
      [
        'two Host headers',
        `GET /ops/actions HTTP/1.1\r\nHost: evil.example\r\nHost: localhost\r\nConnection: close\r\n\r\n`,
        /^HTTP\/1\.1 (421|400) /,
      ],
      [
        'loopback Host (control)',
        `GET /ops/actions HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`,
        /^HTTP\/1\.1 200 /,
      ],
    ];
    for (const [name, req, want] of cases) {
      const answer = await raw(port, req);
      tally.record('raw socket Host cases', want.test(answer), `${name} → ${answer.split('\r\n')[0]}`);
      expect(answer, name).toMatch(want);
    }
    expect(actionStatus({ service }, actionId)).toBe('awaiting_approval');
  });
});

describe('host configuration', () => {
  afterAll(() => tally.print());
  it.each([
    [
      'PUBLIC_URL with a path',
      { PUBLIC_URL: 'https://infraai.example.test/ops' },
      /PUBLIC_URL: must be an origin only/,
    ],
    [
      'PUBLIC_URL with credentials',
      { PUBLIC_URL: 'https://u:p@infraai.example.test' },
      /PUBLIC_URL: must be an origin only/,
    ],
    [
      'PUBLIC_URL with a query',
      { PUBLIC_URL: 'https://infraai.example.test/?x=1' },
      /PUBLIC_URL: must be an origin only/,
    ],
    ['PUBLIC_URL not http(s)', { PUBLIC_URL: 'ftp://infraai.example.test' }, /PUBLIC_URL/],
    ['PUBLIC_URL not a URL', { PUBLIC_URL: 'infraai.example.test' }, /PUBLIC_URL/],
    ['ALLOWED_HOSTS with a scheme', { ALLOWED_HOSTS: 'http://infraai.internal' }, /ALLOWED_HOSTS/],
    ['ALLOWED_HOSTS with a port', { ALLOWED_HOSTS: 'infraai.internal:8080' }, /ALLOWED_HOSTS/],
    ['ALLOWED_HOSTS with a wildcard', { ALLOWED_HOSTS: '*' }, /ALLOWED_HOSTS/],
    ['ALLOWED_HOSTS with a path', { ALLOWED_HOSTS: 'infraai.internal/x' }, /ALLOWED_HOSTS/],
  ])('refuses %s, naming the variable', (name, env, why) => {
    expect(() => loadConfig({ ...env, DATABASE_PATH: ':memory:' })).toThrow(why);
    tally.record('invalid host configuration refused', true, name);
  });

  it('takes an empty PUBLIC_URL / ALLOWED_HOSTS as unset (docker-compose passes empty values through)', () => {
    const c = loadConfig({ PUBLIC_URL: '', ALLOWED_HOSTS: ' ', DATABASE_PATH: ':memory:' });
    expect([c.env.PUBLIC_URL, c.env.ALLOWED_HOSTS]).toEqual([undefined, []]);
  });
});
