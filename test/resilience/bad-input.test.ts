/**
 * Bad input: >1,000 generated malformed or hostile webhook bodies through the real service
 * (real SQLite, real Terraform check), with and without WEBHOOK_TOKEN, then a sample over a real
 * socket. Every one must get its 4xx in the one error shape; afterwards the service answers
 * /health, every table has the row count it had, the database passes integrity_check and
 * Object.prototype is untouched. Controls (just under every limit, odd-but-legal unicode) must
 * be accepted, so the refusals cannot pass by refusing everything.
 */
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../src/main.js';
import { startTestService, testConfig } from '../helpers/service.js';
import { controlCases, hostileCases, LEGAL_TEXT, type HostileCase } from './hostile-payloads.js';
import { integrityOk, prototypeFingerprint, Tally, tableCounts } from './tally.js';

const TOKEN = 'webhook-token-for-bad-input-0123';
const tally = new Tally('bad input');
const cases = hostileCases();

function errorShapeOk(body: string): boolean {
  try {
    const e = (JSON.parse(body) as { error?: { code?: unknown; message?: unknown } }).error;
    return (
      typeof e?.code === 'string' &&
      /^ERR_[A-Z_]+$/.test(e.code) &&
      typeof e.message === 'string' &&
      e.message.length > 0
    );
  } catch {
    return false;
  }
}

async function send(service: Service, c: HostileCase, auth: string | undefined) {
  const headers: Record<string, string> = {};
  if (c.contentType !== null) headers['content-type'] = c.contentType;
  if (auth !== undefined) headers.authorization = auth;
  return service.app.inject({
    method: 'POST',
    url: '/ops/webhook',
    headers,
    ...(c.body !== undefined ? { payload: c.body } : {}),
  });
}

describe.each([
  ['without WEBHOOK_TOKEN', undefined],
  ['with WEBHOOK_TOKEN (bearer)', TOKEN],
])('hostile webhook bodies %s', (_label, token) => {
  let service: Service;
  beforeAll(async () => {
    // 360 unauthenticated requests below: a limit above them, so each is answered 401, not 429.
    service = await startTestService(testConfig(token ? { WEBHOOK_TOKEN: token, AUTH_FAIL_LIMIT: '100000' } : {}));
  });
  afterAll(async () => service.stop());

  it(`answers every one of ${cases.length} cases with its 4xx and the error shape; nothing stored, nothing polluted`, async () => {
    expect(cases.length).toBeGreaterThanOrEqual(1000);
    const before = tableCounts(service.db);
    const proto = prototypeFingerprint();
    const wrong: string[] = [];
    for (const c of cases) {
      const res = await send(service, c, token ? `Bearer ${token}` : undefined);
      const ok = res.statusCode === c.status && errorShapeOk(res.body);
      tally.record(c.cls, ok, `${c.name} → ${res.statusCode} ${res.body.slice(0, 160)}`);
      if (!ok) wrong.push(`[${c.cls}] ${c.name} → ${res.statusCode} ${res.body.slice(0, 200)}`);
    }
    expect(wrong).toEqual([]);
    expect(prototypeFingerprint()).toBe(proto);
    expect(tableCounts(service.db)).toEqual(before);
    expect(integrityOk(service.db)).toBe(true);
    const health = await service.app.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode, health.body).toBe(200);
  });

  it.runIf(token !== undefined)('without the token every hostile body is 401 before it is even parsed', async () => {
    const before = tableCounts(service.db);
    const sample = cases.filter((_, i) => i % 10 === 0 || cases[i]!.status !== 400);
    for (const c of sample) {
      for (const auth of [undefined, 'Bearer wrong-token', `Token ${TOKEN}`]) {
        const res = await send(service, c, auth);
        const ok = res.statusCode === 401 && errorShapeOk(res.body);
        tally.record('no/wrong token + hostile body', ok, `${c.name} (${auth}) → ${res.statusCode}`);
        expect(res.statusCode, `${c.name} with ${auth}: ${res.body.slice(0, 200)}`).toBe(401);
      }
    }
    expect(tableCounts(service.db)).toEqual(before);
  });

  it('accepts every control (just under each limit, legal unicode) and keeps legal unicode exactly', async () => {
    for (const c of controlCases()) {
      const res = await service.app.inject({
        method: 'POST',
        url: '/ops/webhook',
        payload: c.body as object,
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
      tally.record(
        'controls (must be accepted)',
        res.statusCode === 202 || res.statusCode === 200,
        `${c.name} → ${res.statusCode}`,
      );
      expect([200, 202], `${c.name}: ${res.body.slice(0, 300)}`).toContain(res.statusCode);
    }
    for (const [i] of LEGAL_TEXT.entries()) {
      const row = service.db.prepare('SELECT labels_json FROM alerts WHERE fingerprint = ?').get(`ctl${i}`) as {
        labels_json: string;
      };
      expect((JSON.parse(row.labels_json) as Record<string, string>).cluster).toBe(LEGAL_TEXT[i]![1]);
    }
    expect(integrityOk(service.db)).toBe(true);
  });
});

/** Raw HTTP over a real socket: what app.inject cannot produce (lying content-length, cut bodies). */
function rawRequest(
  port: number,
  head: string,
  body: Buffer | string,
  o: { halfClose?: boolean } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      resolve(Buffer.concat(chunks).toString('utf8') || 'TIMEOUT');
    }, 5000);
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('error', (e) => {
      clearTimeout(timer);
      if (chunks.length > 0) resolve(Buffer.concat(chunks).toString('utf8'));
      else reject(e);
    });
    s.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    s.write(head);
    s.write(body);
    if (o.halfClose) s.end();
  });
}

const statusOf = (raw: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);
const bodyOf = (raw: string) => raw.slice(raw.indexOf('\r\n\r\n') + 4);

describe('hostile requests over a real socket (127.0.0.1)', () => {
  let service: Service;
  let port: number;
  beforeAll(async () => {
    service = await startTestService(testConfig({ WEBHOOK_TOKEN: TOKEN }));
    await service.app.listen({ port: 0, host: '127.0.0.1' });
    port = (service.app.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    tally.print();
    await service.stop();
  });

  it('fetch: a sample of the generated cases gets the same answers as through inject', async () => {
    const before = tableCounts(service.db);
    const sample = cases.filter((c, i) => i % 25 === 0 || c.status !== 400 || c.cls === 'deep nesting');
    for (const c of sample) {
      const headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` };
      if (c.contentType !== null) headers['content-type'] = c.contentType;
      const res = await fetch(`http://127.0.0.1:${port}/ops/webhook`, {
        method: 'POST',
        headers,
        ...(c.body !== undefined ? { body: c.body } : {}),
      });
      const text = await res.text();
      const ok = res.status === c.status && errorShapeOk(text);
      tally.record('network path (fetch sample)', ok, `${c.name} → ${res.status}`);
      expect(res.status, `${c.name}: ${text.slice(0, 200)}`).toBe(c.status);
    }
    expect(tableCounts(service.db)).toEqual(before);
  });

  it('raw socket: lying content-length, cut bodies, bad framing → 4xx in the error shape (or the connection closed), service alive', async () => {
    const before = tableCounts(service.db);
    const am = JSON.stringify({ version: '4', status: 'firing', alerts: [], groupKey: 'g' });
    const head = (extra: string) =>
      `POST /ops/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\n${extra}\r\n`;
    const raws: Array<[string, string, string, { halfClose?: boolean }, number[]]> = [
      [
        'content-length larger than the body, then half-close',
        head(`Content-Length: ${am.length + 50}\r\n`),
        am,
        { halfClose: true },
        [400, 0],
      ],
      [
        'content-length smaller than the body',
        head(`Content-Length: ${am.length - 10}\r\nConnection: close\r\n`),
        am,
        {},
        [400],
      ],
      ['content-length not a number', head('Content-Length: abc\r\nConnection: close\r\n'), am, {}, [400]],
      [
        'two content-length headers that differ',
        head(`Content-Length: 5\r\nContent-Length: ${am.length}\r\nConnection: close\r\n`),
        am,
        {},
        [400],
      ],
      [
        'content-length over the limit (no body sent)',
        head('Content-Length: 10485760\r\nConnection: close\r\n'),
        '',
        {},
        [413],
      ],
      [
        'chunked body over the limit',
        head('Transfer-Encoding: chunked\r\nConnection: close\r\n'),
        `${(2 * 1024 * 1024).toString(16)}\r\n${'x'.repeat(2 * 1024 * 1024)}\r\n0\r\n\r\n`,
        {},
        [413, 0],
      ],
      [
        'chunked, truncated JSON',
        head('Transfer-Encoding: chunked\r\nConnection: close\r\n'),
        `5\r\n{"ver\r\n0\r\n\r\n`,
        {},
        [400],
      ],
      ['bad chunk framing', head('Transfer-Encoding: chunked\r\nConnection: close\r\n'), 'zz\r\nxx\r\n', {}, [400]],
      [
        'content-length and chunked together',
        head(`Content-Length: 3\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n`),
        `5\r\n{"a":\r\n0\r\n\r\n`,
        {},
        [400],
      ],
    ];
    for (const [name, h, body, o, allowed] of raws) {
      const raw = await rawRequest(port, h, body, o);
      const status = statusOf(raw);
      const ok = allowed.includes(status) && (status === 0 || errorShapeOk(bodyOf(raw)));
      tally.record('network path (raw socket)', ok, `${name} → ${raw.slice(0, 120)}`);
      expect(ok, `${name}: ${raw.slice(0, 400)}`).toBe(true);
    }
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    expect(tableCounts(service.db)).toEqual(before);
    expect(integrityOk(service.db)).toBe(true);
  });
});
