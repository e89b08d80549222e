/**
 * The database runs out of space. `PRAGMA max_page_count` on the service's own connection makes
 * SQLite fail exactly as on a full disk (SQLITE_FULL) without needing a mount; then space returns.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Service } from '../../src/main.js';
import { STORAGE_RETRY_MS } from '../../src/compose/storage-retry.js';
import type { Db } from '../../src/db/connection/database.js';
import { recordingLogger } from '../helpers/approval-service.js';
import { poolDeployment, seedDecision, startWithDeployments } from '../helpers/executor-harness.js';
import { startTestService, testConfig } from '../helpers/service.js';
import { rowCounts } from '../helpers/webhook.js';
import { waitUntil } from './poll.js';

const TOKEN = 'disk-full-token';

function notification(seq: number, alerts = 20) {
  return {
    version: '4',
    receiver: 'ops',
    status: 'firing',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://am.test',
    groupKey: `{}:{seq="${seq}"}`,
    truncatedAlerts: 0,
    alerts: Array.from({ length: alerts }, (_, i) => ({
      status: 'firing',
      fingerprint: `${seq.toString(16).padStart(8, '0')}${i.toString(16).padStart(8, '0')}`,
      labels: { alertname: 'DiskFullTest', resource_id: `res-${seq}-${i}`, padding: 'x'.repeat(400) },
      annotations: { summary: 'filling the database' },
      startsAt: '2026-11-23T09:00:00Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: '',
    })),
  };
}

/**
 * Caps the file at its current size, uses up the free pages and packs the ledger's last page (every
 * decision appends a ledger row), so the next decision write fails with SQLITE_FULL. Uses db.exec,
 * which does not report to /health, so only the service's own failing write can turn /health red.
 */
function fillDisk(db: Db): void {
  db.exec('CREATE TABLE IF NOT EXISTS test_filler (x BLOB)');
  db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
  const pack = (insert: (size: number) => string) => {
    for (const size of [4000, 1000, 200, 40, 8, 1]) {
      try {
        for (;;) db.exec(insert(size));
      } catch (err) {
        expect((err as { code?: string }).code).toBe('SQLITE_FULL');
      }
    }
  };
  pack((n) => `INSERT INTO test_filler VALUES (randomblob(${n}))`);
  pack(
    (n) =>
      `INSERT INTO ledger (at, kind, data_json) VALUES ('2026-11-23T09:00:00Z', 'test.filler', printf('{"pad":"%s"}', hex(randomblob(${n}))))`,
  );
}

const decisionOf = (db: Db, incidentId: string) =>
  db.prepare('SELECT id, status FROM decisions WHERE incident_id = ?').get(incidentId) as
    { id: string; status: string } | undefined;

/** A scheduler the test ticks by hand; tick() runs the storage retry. */
function manualScheduler() {
  const timers: Array<{ ms: number; fn: () => void; live: boolean }> = [];
  return {
    every(ms: number, fn: () => void) {
      const t = { ms, fn, live: true };
      timers.push(t);
      return () => {
        t.live = false;
      };
    },
    retryArmed: () => timers.filter((t) => t.live && t.ms === STORAGE_RETRY_MS).length,
    tick() {
      const live = timers.filter((t) => t.live && t.ms === STORAGE_RETRY_MS);
      expect(live).toHaveLength(1);
      live[0]!.fn();
    },
  };
}

describe('resilience: the database runs out of space', () => {
  let service: Service | undefined;
  afterEach(async () => {
    await service?.stop();
    service = undefined;
  });

  const post = (seq: number) =>
    service!.app.inject({
      method: 'POST',
      url: '/ops/webhook',
      headers: { authorization: `Bearer ${TOKEN}` },
      payload: notification(seq),
    });

  it('webhook → 503 ERR_STORE_UNAVAILABLE (never 2xx), reads and /health answer, no corruption, accepts again when space returns', async () => {
    service = await startTestService(testConfig({ WEBHOOK_TOKEN: TOKEN }));
    const db = service.db;
    expect((await post(1)).statusCode).toBe(202);
    // Its 20 incidents are decided in the background (one per turn of the event loop): let them finish.
    await service.decisions.idle();

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
    expect((db.prepare('SELECT count(*) AS n FROM notifications').get() as { n: number }).n).toBe(
      (before.notifications ?? 0) + 1,
    );
  });

  /*
   * The least surprising behaviour, chosen here: the decision service logs the failed write once at
   * error level and leaves the incident undecided (its transaction rolled back whole); /health
   * reports the full disk; the service keeps serving. While writes fail, undecided incidents are
   * retried every STORAGE_RETRY_MS (DecisionService.recover, as at a restart); once space returns the
   * next retry stores the decision — no restart, no other write needed — and /health turns green.
   */
  it('decision write hits a full disk: /health 503, service stays up, incident decided once space returns', async () => {
    const triggered: string[] = [];
    const logger = recordingLogger();
    const timers: Array<{ ms: number; fn: () => void; live: boolean }> = [];
    const scheduler = {
      every(ms: number, fn: () => void) {
        const t = { ms, fn, live: true };
        timers.push(t);
        return () => {
          t.live = false;
        };
      },
    };
    const retryTick = async () => {
      const live = timers.filter((t) => t.live && t.ms === STORAGE_RETRY_MS);
      expect(live).toHaveLength(1);
      live[0]!.fn();
      await service!.decisions.idle();
    };
    // The trigger only records ids, so the test can fill the disk between "incident stored" and "decision stored".
    service = await startTestService(testConfig({ WEBHOOK_TOKEN: TOKEN }), {
      logger,
      scheduler,
      decisionTrigger: { enqueue: (id) => triggered.push(id) },
    });
    const db = service.db;
    expect(
      (
        await service.app.inject({
          method: 'POST',
          url: '/ops/webhook',
          headers: { authorization: `Bearer ${TOKEN}` },
          payload: notification(7, 1),
        })
      ).statusCode,
    ).toBe(202);
    const incidentId = await waitUntil('incident stored', () => triggered[0]);

    fillDisk(db);
    expect((await service.app.inject({ method: 'GET', url: '/health' })).json().checks.database).toMatchObject({
      ok: true,
    });
    service.decisions.enqueue(incidentId);
    await service.decisions.idle();

    expect(decisionOf(db, incidentId)).toBeUndefined();
    const health = await service.app.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(503);
    expect(health.json().checks.database.detail).toMatch(/full|space/i);
    for (const url of ['/ops/decisions', '/ops/actions', '/ops/alerts/active']) {
      expect((await service.app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
    }
    // Still full: the retry fails the same way and is not logged at error level again.
    await retryTick();
    expect(decisionOf(db, incidentId)).toBeUndefined();
    const errors = logger.lines.filter((l) => l.startsWith('error') && /database or disk is full/.test(l));
    expect(errors, logger.lines.join('\n')).toHaveLength(1);
    expect(errors[0]).toContain('left undecided for a retry');

    // Space returns: the next retry stores the decision; no restart, no other write.
    db.pragma('max_page_count = 1073741823');
    await retryTick();
    expect(decisionOf(db, incidentId)).toMatchObject({ status: 'needs_human' });
    expect((await service.app.inject({ method: 'GET', url: '/health' })).json().checks.database).toMatchObject({
      ok: true,
    });
    expect(timers.filter((t) => t.ms === STORAGE_RETRY_MS && t.live)).toHaveLength(0);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  });

  // Same behaviour one step later: the decision is stored, creating its action hits the full disk.
  it('action creation hits a full disk: logged once, /health 503, the action is created and prepared once space returns', async () => {
    const logger = recordingLogger();
    const scheduler = manualScheduler();
    const h = await startWithDeployments({ web: poolDeployment() }, {}, { logger, scheduler });
    service = h.service;
    const db = service.db;
    const { decisionId } = seedDecision(db, {
      runId: 'web',
      address: 'terraform_data.pool[0]',
      actionType: 'scale_up',
      parameters: { count: 3 },
    });
    const actionOf = () =>
      db.prepare('SELECT id, status FROM actions WHERE decision_id = ?').get(decisionId) as
        { id: string; status: string } | undefined;

    fillDisk(db);
    service.executor.prepare(decisionId);
    expect(actionOf()).toBeUndefined();
    expect((await service.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(503);
    scheduler.tick();
    await service.executor.idle();
    const errors = logger.lines.filter((l) => l.startsWith('error') && /database or disk is full/.test(l));
    expect(
      errors.filter((l) => l.includes('creating the action failed')),
      logger.lines.join('\n'),
    ).toHaveLength(1);

    db.pragma('max_page_count = 1073741823');
    scheduler.tick();
    await service.executor.idle();
    expect(actionOf()).toMatchObject({ status: 'awaiting_approval' });
    expect((await service.app.inject({ method: 'GET', url: '/health' })).json().checks.database).toMatchObject({
      ok: true,
    });
    expect(scheduler.retryArmed()).toBe(0);
    expect(service.executor.prepareUnprepared()).toBe(0);
  });
});
