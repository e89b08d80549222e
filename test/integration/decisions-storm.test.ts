/**
 * A wide storm opens many incidents at once; deciding them must not hold the event loop. The
 * real service (rules agent, real SQLite) gets one notification of 300 alerts on 300 distinct
 * resources; /health and a read are asked right after, and must be answered while decisions are
 * still queued (before the fix the whole backlog was decided in one run of microtasks first).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Service } from '../../src/main.js';
import { RecordingPreparer } from '../helpers/decisions.js';
import { startTestService, testConfig } from '../helpers/service.js';
import { seedRegistry, stormNotification } from '../helpers/webhook.js';

const RESOURCES = 300;

describe('deciding a wide storm', () => {
  let service: Service | undefined;
  afterEach(async () => {
    await service?.stop();
    service = undefined;
  });

  it('answers /health and reads while the incidents are decided, then decides every one exactly once', async () => {
    const preparer = new RecordingPreparer();
    service = await startTestService(testConfig(), { actionPreparer: preparer, decisionModel: null });
    seedRegistry(
      service,
      'wide',
      Array.from({ length: RESOURCES }, (_, i) => `pool${i}`),
    );
    const posted = await service.app.inject({
      method: 'POST',
      url: '/ops/webhook',
      payload: stormNotification(1, RESOURCES, RESOURCES),
    });
    expect(posted.statusCode, posted.body).toBe(202);
    expect(posted.json()).toMatchObject({ incidents_opened: RESOURCES });

    const health = await service.app.inject({ method: 'GET', url: '/health' });
    const backlogWhenAnswered = service.decisions.backlog();
    expect(health.statusCode).toBe(200);
    expect(backlogWhenAnswered, '/health waited for every decision').toBeGreaterThan(RESOURCES / 2);
    const read = await service.app.inject({ method: 'GET', url: '/ops/incidents?limit=1' });
    expect(read.statusCode).toBe(200);
    expect(service.decisions.backlog()).toBeGreaterThan(0);

    await service.decisions.idle();
    const counts = service.db
      .prepare('SELECT count(*) AS d, count(DISTINCT incident_id) AS i FROM decisions')
      .get() as { d: number; i: number };
    expect(counts).toEqual({ d: RESOURCES, i: RESOURCES });
    expect(preparer.prepared).toHaveLength(RESOURCES);
  });
});
