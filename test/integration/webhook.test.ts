import { afterEach, describe, expect, it } from 'vitest';
import type { Service } from '../../src/main.js';
import { startTestService, testConfig } from '../helpers/service.js';
import { amFixture, RecordingTrigger, rowCounts, seedRegistry, stormNotification } from '../helpers/webhook.js';

const TOKEN = 'example-webhook-token';
const bearer = { authorization: `Bearer ${TOKEN}` };

describe('POST /ops/webhook (real SQLite, real registry)', () => {
  let service: Service | undefined;
  let trigger: RecordingTrigger;
  afterEach(async () => {
    await service?.stop();
    service = undefined;
  });

  async function start(extra: Record<string, string> = {}) {
    trigger = new RecordingTrigger();
    service = await startTestService(testConfig({ WEBHOOK_TOKEN: TOKEN, ...extra }), { decisionTrigger: trigger });
    seedRegistry(service);
    return service;
  }
  const post = (s: Service, payload: unknown, headers: Record<string, string> = bearer) =>
    s.app.inject({ method: 'POST', url: '/ops/webhook', headers, payload: payload as object });

  it('stores the captured firing delivery, matching each alert to its owning block, and enqueues one decision per incident', async () => {
    const s = await start();
    const res = await post(s, amFixture('group-firing'));
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ alerts: 2, incidents_opened: 2, duplicate: false });
    const api = s.alerts.getAlert('74c48ecb66b5ba52');
    expect(api).toMatchObject({
      status: 'firing',
      endsAt: null,
      lookupStatus: 'matched',
      runId: 'web',
      resourceAddress: 'terraform_data.api_pool',
    });
    expect(s.alerts.getAlert('e1c1ed74357292fb')).toMatchObject({
      resourceAddress: 'terraform_data.web_pool',
      lookupStatus: 'matched',
    });
    expect(trigger.calls).toHaveLength(2);
    const incident = s.alerts.getIncidentWithAlerts(api!.incidentId!);
    expect(incident?.incident).toMatchObject({
      incidentKey: 'web|terraform_data.api_pool|NodePoolCPUHigh',
      status: 'open',
      alertCount: 1,
    });

    const active = await s.app.inject({ method: 'GET', url: '/ops/alerts/active?limit=1' });
    expect(active.statusCode).toBe(200);
    const page = active.json();
    expect(page.total).toBe(2);
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({
      status: 'firing',
      incident: { status: 'open' },
      resource: { run_id: 'web', lookup_status: 'matched' },
      deployment: { run_id: 'web', status: 'active' },
    });
    const detail = await s.app.inject({ method: 'GET', url: `/ops/incidents/${api!.incidentId}` });
    expect(detail.json().ledger.map((e: { kind: string }) => e.kind)).toEqual(['incident.opened']);
    expect((await s.app.inject({ method: 'GET', url: '/ops/incidents/inc_nope' })).json().error.code).toBe(
      'ERR_INCIDENT_NOT_FOUND',
    );
    // Every list has the same shape: {total, limit, offset, items}.
    const incidents = (await s.app.inject({ method: 'GET', url: '/ops/incidents?limit=1' })).json();
    expect(incidents).toMatchObject({ total: 2, limit: 1, offset: 0 });
    expect(incidents.items).toHaveLength(1);
  });

  it('changes nothing when the same notification is delivered twice (200, duplicate: true)', async () => {
    const s = await start();
    const first = await post(s, amFixture('group-firing'));
    const before = rowCounts(s.db);
    const again = await post(s, amFixture('group-firing'));
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({
      duplicate: true,
      notification_id: first.json().notification_id,
      incidents_opened: 0,
    });
    expect(rowCounts(s.db)).toEqual(before);
    expect(trigger.calls).toHaveLength(2);
  });

  it('resolves the alert from a partly resolved delivery, then the incident once its last alert resolves', async () => {
    const s = await start();
    await post(s, amFixture('group-firing'));
    const webIncident = s.alerts.getAlert('e1c1ed74357292fb')!.incidentId!;
    const resolved: string[] = [];
    s.events.subscribe((e) => e.type === 'incident.resolved' && resolved.push(e.incidentId));
    const res = await post(s, amFixture('group-partly-resolved'));
    expect(res.statusCode).toBe(202);
    expect(s.alerts.getAlert('e1c1ed74357292fb')).toMatchObject({
      status: 'resolved',
      resolvedAt: '2026-11-23T09:14:31.000Z',
    });
    expect(s.alerts.getAlert('74c48ecb66b5ba52')?.status).toBe('firing');
    expect(s.alerts.getIncident(webIncident)).toMatchObject({ status: 'resolved', resolvedAt: expect.any(String) });
    expect(resolved).toEqual([webIncident]);
    const history = s.db
      .prepare('SELECT status FROM alert_events WHERE fingerprint = ? ORDER BY id')
      .all('e1c1ed74357292fb');
    expect(history).toEqual([{ status: 'firing' }, { status: 'resolved' }]);
    const active = (await s.app.inject({ method: 'GET', url: '/ops/alerts/active' })).json();
    expect(active.items.map((a: { fingerprint: string }) => a.fingerprint)).toEqual(['74c48ecb66b5ba52']);
  });

  it('records unknown resources of the truncated delivery with the reason and still opens incidents for a human', async () => {
    const s = await start();
    const res = await post(s, amFixture('group-truncated'));
    expect(res.statusCode).toBe(202);
    expect(s.db.prepare('SELECT truncated_alerts FROM notifications').get()).toEqual({ truncated_alerts: 1 });
    const a = s.alerts.getAlert('e9e09a4c60bc2c27');
    expect(a).toMatchObject({ resourceKey: 'db-1', lookupStatus: 'unknown', runId: null });
    expect(a?.lookupReason).toMatch(/db-1/);
    const incident = s.alerts.getIncident(a!.incidentId!);
    expect(incident).toMatchObject({ incidentKey: 'unmatched|db-1|DiskFull', lookupStatus: 'unknown' });
    expect(trigger.calls).toHaveLength(2);
    const opened = s.ledger.list({ incidentId: incident!.id });
    expect(opened[0]).toMatchObject({ kind: 'incident.opened', data: { needs_human: true, lookup_status: 'unknown' } });
  });

  it('collapses a storm of 10,000 alerts over 50 resources into at most 50 incidents and 50 enqueues', async () => {
    const s = await start();
    seedRegistry(
      s,
      'storm',
      Array.from({ length: 50 }, (_, i) => `pool${i}`),
    );
    for (let batch = 0; batch < 10; batch++) {
      const res = await post(s, stormNotification(batch, 1000, 50));
      expect(res.statusCode).toBe(202);
    }
    const counts = rowCounts(s.db);
    expect(counts.alerts).toBe(10_000);
    expect(counts.incidents).toBe(50);
    expect(trigger.calls).toHaveLength(50);
    expect(s.db.prepare(`SELECT count(*) AS n FROM alerts WHERE lookup_status = 'matched'`).get()).toEqual({
      n: 10_000,
    });
    // One ledger row per notification per incident (50 opened + 9 × 50 joined), listing every alert that joined.
    expect(s.db.prepare(`SELECT count(*) AS n FROM ledger WHERE kind = 'incident.alert_joined'`).get()).toEqual({
      n: 450,
    });
    expect(
      s.db
        .prepare(
          `SELECT count(*) AS n FROM ledger l, json_each(l.data_json, '$.fingerprints') f
      WHERE l.kind IN ('incident.opened', 'incident.alert_joined')`,
        )
        .get(),
    ).toEqual({ n: 10_000 });
    const incidentId = (s.db.prepare('SELECT id FROM incidents LIMIT 1').get() as { id: string }).id;
    const detail = (await s.app.inject({ method: 'GET', url: `/ops/incidents/${incidentId}` })).json();
    const joinedHere = detail.ledger
      .flatMap((e: { data: { fingerprints?: string[] } }) => e.data.fingerprints ?? [])
      .sort();
    expect(joinedHere).toHaveLength(200);
    expect(joinedHere).toEqual(detail.alerts.map((a: { fingerprint: string }) => a.fingerprint).sort());
    for (let batch = 0; batch < 10; batch++) await post(s, stormNotification(batch, 1000, 50, 'resolved'));
    expect(s.db.prepare(`SELECT count(*) AS n FROM incidents WHERE status = 'resolved'`).get()).toEqual({ n: 50 });
  });

  it('accepts the simple form and deduplicates a repeat of it', async () => {
    const s = await start();
    const body = { resource_id: 'api_pool', metric: 'cpu_usage', value: 85, threshold: 80 };
    const first = await post(s, body);
    expect(first.statusCode).toBe(202);
    expect((await post(s, { ...body, value: 90 })).json()).toMatchObject({ duplicate: true });
    const stored = s.db.prepare('SELECT alertname, resource_address, value FROM alerts').all();
    expect(stored).toEqual([{ alertname: 'cpu_usage_high', resource_address: 'terraform_data.api_pool', value: 85 }]);
  });
});

describe('POST /ops/webhook rejects without storing', () => {
  let service: Service | undefined;
  afterEach(async () => {
    await service?.stop();
    service = undefined;
  });

  it('answers 400 naming the field for bad payloads, 401 for missing or wrong credentials, 413 for big bodies', async () => {
    service = await startTestService(testConfig({ WEBHOOK_TOKEN: TOKEN }), { decisionTrigger: new RecordingTrigger() });
    const s = service;
    const before = rowCounts(s.db);
    const send = (payload: string | object, headers: Record<string, string> = bearer) =>
      s.app.inject({
        method: 'POST',
        url: '/ops/webhook',
        headers: { 'content-type': 'application/json', ...headers },
        payload,
      });
    const firing = amFixture('group-firing') as { alerts: Array<Record<string, unknown>> };
    firing.alerts[1]!.startsAt = 'not a time';
    const bad = await send(firing);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({
      code: 'ERR_VALIDATION',
      message: 'invalid webhook payload: body.alerts.1.startsAt: must be an RFC 3339 timestamp',
    });
    expect(
      (await send('{"resource_id":"vm-1","metric":"cpu","value":"x","threshold":1}')).json().error.message,
    ).toMatch(/body\.value/);
    expect(
      (await send('{"version":"4","alerts":[{"status":"firing","labels":{"alertname":"A","prototype":"x"}}]}')).json()
        .error.details,
    ).toContainEqual({ field: 'body.alerts.0.labels.prototype', message: 'labels key "prototype" is not allowed' });
    expect(
      (await send('{"resource_id":"vm-1","metric":"m","value":1,"threshold":1,"labels":{"__proto__":{"x":1}}}'))
        .statusCode,
    ).toBe(400);
    expect((await send('{not json')).statusCode).toBe(400);

    expect((await send(amFixture('group-firing'), {})).statusCode).toBe(401);
    const wrong = await send(amFixture('group-firing'), { authorization: 'Bearer nope' });
    expect(wrong.json().error.code).toBe('ERR_WEBHOOK_UNAUTHORIZED');
    const basicWrong = `Basic ${Buffer.from('am:nope').toString('base64')}`;
    expect((await send(amFixture('group-firing'), { authorization: basicWrong })).statusCode).toBe(401);

    const huge = {
      resource_id: 'vm-1',
      metric: 'm',
      value: 1,
      threshold: 1,
      annotations: { summary: 'x'.repeat(1_100_000) },
    };
    const big = await send(huge);
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe('ERR_PAYLOAD_TOO_LARGE');
    expect(rowCounts(s.db)).toEqual(before);

    const basic = `Basic ${Buffer.from(`alertmanager:${TOKEN}`).toString('base64')}`;
    expect((await send(amFixture('group-firing'), { authorization: basic })).statusCode).toBe(202);
  });

  it('answers 503 with Retry-After (never a 2xx) when the database refuses the write, and stores nothing', async () => {
    service = await startTestService(testConfig(), { decisionTrigger: new RecordingTrigger() });
    const before = rowCounts(service.db);
    service.db.pragma('query_only = ON'); // what a full or read-only disk looks like to SQLite
    const res = await service.app.inject({ method: 'POST', url: '/ops/webhook', payload: amFixture('group-firing') });
    service.db.pragma('query_only = OFF');
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.json().error.code).toBe('ERR_STORE_UNAVAILABLE');
    expect(rowCounts(service.db)).toEqual(before);
  });

  it('answers 503 ERR_OVERLOADED with Retry-After when the decision backlog exceeds WEBHOOK_MAX_PENDING', async () => {
    let backlog = 0;
    service = await startTestService(testConfig({ WEBHOOK_MAX_PENDING: '3' }), {
      decisionTrigger: {
        enqueue: () => {
          backlog += 1;
        },
        backlog: () => backlog,
      },
    });
    const s = service;
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await s.app.inject({
        method: 'POST',
        url: '/ops/webhook',
        payload: { resource_id: `vm-${i}`, metric: 'cpu', value: 90, threshold: 80 },
      });
      statuses.push(res.statusCode);
      if (res.statusCode === 503) expect(res.headers['retry-after']).toBe('5');
    }
    expect(statuses).toEqual([202, 202, 202, 503, 503]);
    expect(rowCounts(s.db).notifications).toBe(3);
    backlog = 0;
    expect(
      (
        await s.app.inject({
          method: 'POST',
          url: '/ops/webhook',
          payload: { resource_id: 'vm-9', metric: 'cpu', value: 90, threshold: 80 },
        })
      ).statusCode,
    ).toBe(202);
  });
});
