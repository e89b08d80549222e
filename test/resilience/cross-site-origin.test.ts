/**
 * Cross-site request forgery, in the default loopback setup without tokens (where it matters most):
 * on every mutating route of the route table a foreign `Origin` or a `Sec-Fetch-Site` other than
 * same-origin/none is 403 ERR_CROSS_SITE, and anything but `Content-Type: application/json` is
 * 415 — even without a body, which is what a cross-site form or no-cors fetch would send. Above
 * all: a body-less approve from a foreign page does not approve. Non-browser clients (no Origin,
 * no Sec-Fetch-Site) and this service's own page keep working.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../src/main.js';
import { LiveAction, actionStatus, approvalRows, startWithPool } from '../helpers/approval-service.js';
import { routeTable } from './route-table.js';
import { Tally, tableCounts } from './tally.js';

const tally = new Tally('cross-site: Origin');
const HOST = 'localhost:8080';
const json = { 'content-type': 'application/json' };

const FOREIGN_ORIGINS = [
  'null',
  'http://evil.example',
  'https://evil.example',
  'http://evil.example:8080',
  'http://localhost:3000',
  'http://localhost:8081',
  'http://127.0.0.1:8080',
  'http://[::1]:8080',
  'https://localhost:8080',
  'http://localhost',
  'http://localhost:8080.evil.example',
  'http://localhost:8080/',
  'http://localhost:8080/ops',
  'HTTP://LOCALHOST:8080',
  'http://LOCALHOST:8080',
  'file://',
  'chrome-extension://abcdefgh',
  'http://infraai.example.test',
  'https://infraai.example.test:8443',
  'https://sub.infraai.example.test',
  'https://infraai.example.test.evil.example',
  'http://localhost:8080, http://evil.example',
  'http://evil.example, http://localhost:8080',
  '',
  ' ',
  'localhost:8080',
  '//localhost:8080',
  'http://user@localhost:8080',
  'javascript:alert(1)',
  'data:text/html,x',
];

const FETCH_SITES_REFUSED = [
  'cross-site',
  'same-site',
  'CROSS-SITE',
  'Same-Site',
  'bogus',
  '',
  'same-origin, cross-site',
];

const BAD_CONTENT_TYPES: Array<string | undefined> = [
  undefined,
  '',
  'text/plain',
  'text/plain;charset=UTF-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json-patch+json',
  'application/jsonx',
  'application/vnd.api+json',
  'application/csp-report',
  'application/json; charset=iso-8859-1',
  'application/json; charset=utf-16',
  'text/json',
  'application/javascript',
  '*/*',
  'application/*',
  'application json',
];
const GOOD_CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'Application/JSON',
  'application/json;charset=UTF-8',
  'application/json; charset="utf-8"',
];

describe('cross-site requests to mutating routes', () => {
  let service: Service;
  let live: LiveAction;
  beforeAll(async () => {
    const exec = await startWithPool({ PUBLIC_URL: 'https://infraai.example.test' });
    service = exec.service;
    live = new LiveAction(exec);
  });
  afterAll(async () => {
    await service.stop();
    tally.print();
  });

  const mutating = () =>
    routeTable(service.app.printRoutes({ commonPrefix: false }))
      .filter((r) => r.method === 'POST')
      .map((r) => r.url.replace(/:[A-Za-z_]+/g, 'act_does_not_exist'));
  const post = (url: string, headers: Record<string, string | undefined>, payload?: string) =>
    service.app.inject({
      method: 'POST',
      url,
      headers: Object.fromEntries(
        Object.entries({ host: HOST, ...headers }).filter(([, v]) => v !== undefined),
      ) as Record<string, string>,
      ...(payload !== undefined ? { payload } : {}),
    });

  it(`a foreign Origin (${FOREIGN_ORIGINS.length} forms) or Sec-Fetch-Site (${FETCH_SITES_REFUSED.length} values) on every mutating route: 403, nothing written`, async () => {
    const urls = mutating();
    expect(urls).toEqual(
      expect.arrayContaining([
        '/ops/approve/act_does_not_exist',
        '/ops/reject/act_does_not_exist',
        '/ops/registry/sync',
        '/infra',
        '/ops/webhook',
      ]),
    );
    const before = tableCounts(service.db);
    for (const url of urls) {
      const attempts: Array<[string, Record<string, string>]> = [
        ...FOREIGN_ORIGINS.map((o): [string, Record<string, string>] => [`Origin ${JSON.stringify(o)}`, { origin: o }]),
        ...FETCH_SITES_REFUSED.map((s): [string, Record<string, string>] => [
          `Sec-Fetch-Site ${JSON.stringify(s)}`,
          { 'sec-fetch-site': s },
        ]),
        ['own Origin but Sec-Fetch-Site cross-site', { origin: `http://${HOST}`, 'sec-fetch-site': 'cross-site' }],
        [
          'foreign Origin but Sec-Fetch-Site same-origin',
          { origin: 'http://evil.example', 'sec-fetch-site': 'same-origin' },
        ],
      ];
      for (const [name, headers] of attempts) {
        const res = await post(url, { ...json, ...headers }, '{}');
        const ok = res.statusCode === 403 && res.json().error?.code === 'ERR_CROSS_SITE';
        tally.record(
          name.startsWith('Origin') ? 'foreign Origin refused' : 'cross-site fetch metadata refused',
          ok,
          `${url} ${name} → ${res.statusCode}`,
        );
        expect(ok, `${url} ${name}: ${res.statusCode} ${res.body.slice(0, 200)}`).toBe(true);
      }
    }
    expect(tableCounts(service.db)).toEqual(before);
  });

  it("this service's own page, PUBLIC_URL and non-browser clients get past the check", async () => {
    const own: Array<[string, Record<string, string>]> = [
      ['no Origin, no fetch metadata (curl, Alertmanager, Telegram)', {}],
      ['own origin', { origin: `http://${HOST}` }],
      ['own origin, same-origin', { origin: `http://${HOST}`, 'sec-fetch-site': 'same-origin' }],
      ['PUBLIC_URL origin (TLS proxy)', { origin: 'https://infraai.example.test', 'sec-fetch-site': 'same-origin' }],
      ['user-initiated (Sec-Fetch-Site none)', { 'sec-fetch-site': 'none' }],
      ['loopback IP page', { host: '127.0.0.1:9000', origin: 'http://127.0.0.1:9000' }],
      ['IPv6 loopback page', { host: '[::1]:8080', origin: 'http://[::1]:8080' }],
      ['default port', { host: 'localhost', origin: 'http://localhost' }],
      ['explicit port 80', { host: 'localhost:80', origin: 'http://localhost' }],
    ];
    for (const url of mutating()) {
      for (const [name, headers] of own) {
        const res = await post(
          url,
          { ...json, ...headers },
          url === '/ops/webhook' ? '{"resource_id":"x","metric":"m","value":1,"threshold":2}' : '{}',
        );
        const ok = ![403, 415, 421].includes(res.statusCode);
        tally.record('own page / non-browser client accepted', ok, `${url} ${name} → ${res.statusCode}`);
        expect(ok, `${url} ${name}: ${res.statusCode} ${res.body.slice(0, 200)}`).toBe(true);
      }
    }
  });

  it(`every mutating route needs application/json, also without a body (${BAD_CONTENT_TYPES.length} refused, ${GOOD_CONTENT_TYPES.length} accepted)`, async () => {
    const before = tableCounts(service.db);
    for (const url of mutating()) {
      for (const ct of BAD_CONTENT_TYPES) {
        for (const payload of [undefined, '{}']) {
          const res = await post(url, { 'content-type': ct }, payload);
          const ok =
            res.statusCode === 415 &&
            res.json().error?.code === 'ERR_UNSUPPORTED_MEDIA_TYPE' &&
            /application\/json/.test(res.json().error.message);
          tally.record(
            'non-JSON content type refused',
            ok,
            `${url} ${ct} ${payload ?? '(no body)'} → ${res.statusCode}`,
          );
          expect(
            ok,
            `${url} ${JSON.stringify(ct)} ${payload ?? '(no body)'}: ${res.statusCode} ${res.body.slice(0, 200)}`,
          ).toBe(true);
        }
      }
    }
    expect(tableCounts(service.db)).toEqual(before);
    for (const ct of GOOD_CONTENT_TYPES) {
      for (const payload of [undefined, '']) {
        const actionId = await live.get();
        const res = await post(`/ops/reject/${actionId}`, { 'content-type': ct }, payload);
        const ok = res.statusCode === 200 && actionStatus({ service }, actionId) === 'rejected';
        tally.record('JSON content type accepted (body-less too)', ok, `${ct} → ${res.statusCode}`);
        expect(ok, `${ct}: ${res.statusCode} ${res.body}`).toBe(true);
      }
    }
  });

  it('a body-less approve from a foreign page does NOT approve, in any form a browser can send', async () => {
    const forms: Array<[string, Record<string, string | undefined>, string | undefined]> = [
      [
        'form post, modern browser',
        {
          'content-type': 'application/x-www-form-urlencoded',
          origin: 'http://evil.example',
          'sec-fetch-site': 'cross-site',
        },
        '',
      ],
      [
        'form post, browser without Origin or fetch metadata',
        { 'content-type': 'application/x-www-form-urlencoded' },
        '',
      ],
      ['text/plain form (enctype)', { 'content-type': 'text/plain' }, 'x=1'],
      ['multipart form', { 'content-type': 'multipart/form-data; boundary=b' }, '--b--\r\n'],
      [
        'no-cors fetch, no body',
        { 'content-type': 'text/plain;charset=UTF-8', origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' },
        undefined,
      ],
      ['no-cors fetch without content type', { origin: 'http://evil.example' }, undefined],
      [
        'sendBeacon',
        { 'content-type': 'text/plain;charset=UTF-8', origin: 'null', 'sec-fetch-site': 'cross-site' },
        '{}',
      ],
      ['no content type, no Origin (old browser)', {}, undefined],
      [
        'JSON from a foreign origin (preflight skipped by a buggy client)',
        { ...json, origin: 'http://evil.example' },
        '{}',
      ],
      [
        'JSON from another local app',
        { ...json, origin: 'http://localhost:3000', 'sec-fetch-site': 'same-site' },
        '{}',
      ],
      ['JSON from a sandboxed frame', { ...json, origin: 'null', 'sec-fetch-site': 'cross-site' }, undefined],
    ];
    for (const verdict of ['approve', 'reject']) {
      for (const [name, headers, payload] of forms) {
        const actionId = await live.get();
        const res = await post(`/ops/${verdict}/${actionId}`, headers, payload);
        const status = actionStatus({ service }, actionId);
        const ok =
          [403, 415].includes(res.statusCode) &&
          status === 'awaiting_approval' &&
          approvalRows({ service }, actionId).length === 0;
        tally.record(
          'foreign page cannot approve/reject',
          ok,
          `${verdict} ${name} → ${res.statusCode}, action ${status}`,
        );
        expect(ok, `${verdict} ${name}: ${res.statusCode} ${res.body.slice(0, 200)}; action ${status}`).toBe(true);
      }
    }
  });

  it('reads stay readable by non-browser clients, and no CORS header lets a foreign page read them', async () => {
    for (const headers of [{}, { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' }]) {
      const res = await service.app.inject({ method: 'GET', url: '/ops/actions', headers: { host: HOST, ...headers } });
      const ok = res.statusCode === 200 && Object.keys(res.headers).every((h) => !h.startsWith('access-control-'));
      tally.record('reads: no CORS headers', ok, `${JSON.stringify(headers)} → ${res.statusCode}`);
      expect(ok).toBe(true);
    }
    const preflight = await service.app.inject({
      method: 'OPTIONS',
      url: '/ops/approve/x',
      headers: { host: HOST, origin: 'http://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    expect(preflight.statusCode).toBeGreaterThanOrEqual(400);
  });
});
