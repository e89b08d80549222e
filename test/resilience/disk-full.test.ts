/**
 * The database runs out of space. `PRAGMA max_page_count` on the service's own connection makes
 * SQLite fail exactly as on a full disk (SQLITE_FULL) without needing a mount; then space returns.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Service } from '../../src/main.js';
import { startTestService, testConfig } from '../helpers/service.js';
import { rowCounts } from '../helpers/webhook.js';

const TOKEN = 'disk-full-token';

function notification(seq: number, alerts = 20) {
  return {
    version: '4', receiver: 'ops', status: 'firing', groupLabels: {}, commonLabels: {}, commonAnnotations: {},
    externalURL: 'http://am.test', groupKey: `{}:{seq="${seq}"}`, truncatedAlerts: 0,
    alerts: Array.from({ length: alerts }, (_, i) => ({
      status: 'firing', fingerprint: `${seq.toString(16).padStart(8, '0')}${i.toString(16).padStart(8, '0')}`,
      labels: { alertname: 'DiskFullTest', resource_id: `res-${seq}-${i}`, padding: 'x'.repeat(400) },
      annotations: { summary: 'filling the database' }, startsAt: '2026-11-23T09:00:00Z', endsAt: '0001-01-01T00:00:00Z', generatorURL: '',
    })),
  };
}

describe('resilience: the database runs out of space', () => {
  let service: Service | undefined;
  afterEach(async () => {
    await service?.stop();
    service = undefined;
  });

  const post = (seq: number) => service!.app.inject({
    method: 'POST', url: '/ops/webhook', headers: { authorization: `Bearer ${TOKEN}` }, payload: notification(seq),
  });

  it('webhook → 503 ERR_STORE_UNAVAILABLE (never 2xx), reads and /health answer, no corruption, accepts again when space returns', async () => {
    service = await startTestService(testConfig({ WEBHOOK_TOKEN: TOKEN }));
    const db = service.db;
    expect((await post(1)).statusCode).toBe(202);

    const pages = db.pragma('page_count', { simple: true }) as number;
    db.pragma(`max_page_count = ${pages}`);
    const before = rowCounts(db);
    const refused: number[] = [];
    for (let seq = 2; seq < 12; seq++) {
      const r = await post(seq);
      expect(r.statusCode, r.body).toBe(503);
      expect(r.json()).toMatchObject({ error: { code: 'ERR_STORE_UNAVAILABLE' } });
      expect(r.headers['retry-after']).toBeDefined();
      refused.push(seq);
    }
    // Nothing half-stored: the failed transactions rolled back whole.
    expect(rowCounts(db)).toEqual(before);

    for (const url of ['/ops/alerts/active', '/ops/actions', '/ops/decisions', '/metrics', '/ops/stats']) {
      const r = await service.app.inject({ method: 'GET', url });
      expect(r.statusCode, `${url}: ${r.body}`).toBe(200);
    }
    const health = await service.app.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(503);
    expect(health.json().checks.database).toMatchObject({ ok: false });
    expect(health.json().checks.database.detail).toMatch(/full|space/i);

    // Space returns: no restart needed.
    db.pragma('max_page_count = 1073741823');
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect((await post(100)).statusCode).toBe(202);
    const after = await service.app.inject({ method: 'GET', url: '/health' });
    expect(after.json().checks.database).toMatchObject({ ok: true });
    expect((db.prepare('SELECT count(*) AS n FROM notifications').get() as { n: number }).n).toBe(before.notifications + 1);
  });
});
