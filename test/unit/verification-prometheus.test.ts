import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/shared/clock.js';
import { InProcessEventBus } from '../../src/shared/events.js';
import { silentLogger } from '../../src/shared/logger.js';
import { DEFAULT_POLICY } from '../../src/policy/policy-schema.js';
import type { PrometheusQuery, QueryAnswer } from '../../src/verification/ports.js';
import { alertExpression, pollSeconds } from '../../src/verification/prometheus-probe.js';
import { Verifier } from '../../src/verification/verifier.js';
import { FakeTimers, MemoryVerificationStore } from '../fakes/verification.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const WINDOW = 60;
const HOLD = 4;
const EXPR = 'localcloud_node_pool_cpu_utilization{pool="web"} > 0.8';
const GENERATOR = `http://prometheus.test:9090/graph?g0.expr=${encodeURIComponent(EXPR)}&g0.tab=1`;

/** A scripted Prometheus: answers what `next` says now; records what it was asked. */
class ScriptedQuery implements PrometheusQuery {
  next: QueryAnswer = { ok: true, series: 1 };
  readonly asked: string[] = [];
  seriesCount(expr: string): Promise<QueryAnswer> {
    this.asked.push(expr);
    return Promise.resolve(this.next);
  }
}

function setup(generatorUrl: string | null = GENERATOR) {
  const clock = new FakeClock(T0);
  const timers = new FakeTimers(clock);
  const store = new MemoryVerificationStore();
  const query = new ScriptedQuery();
  const prepared: string[] = [];
  let n = 0;
  const verifier = new Verifier({
    store,
    decisions: store,
    preparer: { prepare: (id: string) => prepared.push(id) },
    timers,
    clock,
    events: new InProcessEventBus((err) => {
      throw err;
    }),
    policy: () => DEFAULT_POLICY,
    windowSeconds: WINDOW,
    newId: (p: string) => `${p}_${++n}`,
    logger: silentLogger,
    prometheus: { query, holdSeconds: HOLD },
  });
  store.addAlert('fp1', 'inc_1', 'web', 'firing', generatorUrl);
  store.addApplied({
    id: 'act_1',
    decisionId: 'dec_1',
    incidentId: 'inc_1',
    runId: 'web',
    actionType: 'scale_up',
    targetAddress: 'google_container_node_pool.web',
    appliedAt: new Date(T0).toISOString(),
  });
  /** Advances the clock one poll at a time, letting each query's promise settle. */
  const advance = async (seconds: number) => {
    for (let t = 0; t < seconds; t += pollSeconds(HOLD)) {
      timers.advance(pollSeconds(HOLD) * 1000);
      await new Promise((r) => setImmediate(r));
    }
  };
  return { clock, timers, store, query, verifier, prepared, advance, action: () => store.actions.get('act_1')! };
}

describe('verification with Prometheus as a second signal', () => {
  it('reads the expression from a generatorURL (g0.expr, URL-encoded) and ignores URLs without one', () => {
    expect(alertExpression(GENERATOR)).toBe(EXPR);
    expect(alertExpression('http://prometheus.e2e.test/graph')).toBeUndefined();
    expect(alertExpression('not a url')).toBeUndefined();
    expect(alertExpression(null)).toBeUndefined();
  });

  it('empty for the whole hold time → effective, decided_by prometheus, without any resolve from Alertmanager', async () => {
    const s = setup();
    s.verifier.onApplied('act_1');
    await s.advance(3);
    expect(s.action().status).toBe('applied');
    s.query.next = { ok: true, series: 0 };
    await s.advance(HOLD - 1);
    // Empty, but not yet for the hold time.
    expect(s.action().status).toBe('applied');
    await s.advance(2);
    const a = s.action();
    expect(a.status).toBe('effective');
    expect(a.result).toMatchObject({ outcome: 'effective', decidedBy: 'prometheus', timeToResolveSeconds: 4 });
    expect(a.result!.prometheus).toMatchObject({ expressions: [EXPR], holdSeconds: HOLD, last: 'empty' });
    expect(a.reason).toContain('Prometheus returned no series for 4 s');
    expect(s.query.asked.every((e) => e === EXPR)).toBe(true);
    // Nothing is left running: no further queries.
    const asked = s.query.asked.length;
    await s.advance(10);
    expect(s.query.asked.length).toBe(asked);
  });

  it('a series that comes back inside the hold restarts it (a flap is not a recovery)', async () => {
    const s = setup();
    s.verifier.onApplied('act_1');
    s.query.next = { ok: true, series: 0 };
    await s.advance(HOLD - 1);
    s.query.next = { ok: true, series: 1 };
    await s.advance(1);
    s.query.next = { ok: true, series: 0 };
    // The first empty answer starts the hold again: HOLD more polls span only HOLD - 1 s of it.
    await s.advance(HOLD);
    expect(s.action().status).toBe('applied');
    await s.advance(1);
    expect(s.action().status).toBe('effective');
  });

  it('query errors are never a recovery: at the deadline ineffective, decided_by alertmanager, error kept', async () => {
    const s = setup();
    s.verifier.onApplied('act_1');
    s.query.next = { ok: false, error: 'querying Prometheus: connect ECONNREFUSED 127.0.0.1:1' };
    await s.advance(WINDOW + 1);
    const a = s.action();
    expect(a.status).toBe('ineffective');
    expect(a.result).toMatchObject({ decidedBy: 'alertmanager', rollbackDecisionId: 'dec_1' });
    expect(a.result!.prometheus).toMatchObject({
      last: 'error',
      emptySince: null,
      lastError: expect.stringContaining('ECONNREFUSED'),
    });
    expect(s.prepared).toEqual(['dec_1']);
  });

  it('still returning series at the deadline → ineffective, decided_by prometheus, rollback proposed', async () => {
    const s = setup();
    s.verifier.onApplied('act_1');
    await s.advance(WINDOW + 1);
    const a = s.action();
    expect(a.status).toBe('ineffective');
    expect(a.result).toMatchObject({ outcome: 'ineffective', decidedBy: 'prometheus', firing: ['fp1'] });
    expect(a.reason).toContain('Prometheus still returns series');
    expect(s.store.decisions[0]).toMatchObject({ actionType: 'rollback', ofActionId: 'act_1' });
  });

  it("Alertmanager's resolve first → effective, decided_by alertmanager, and the probe stops", async () => {
    const s = setup();
    s.verifier.onApplied('act_1');
    await s.advance(2);
    s.store.resolve('fp1', new Date(s.clock.now()).toISOString());
    s.verifier.onIncidentResolved('inc_1');
    expect(s.action().result).toMatchObject({ outcome: 'effective', decidedBy: 'alertmanager' });
    expect(s.action().result!.prometheus).toMatchObject({ last: 'firing' });
    const asked = s.query.asked.length;
    await s.advance(10);
    expect(s.query.asked.length).toBe(asked);
  });

  it('an alert without an expression is verified by Alertmanager alone (Prometheus never asked)', async () => {
    const s = setup('http://prometheus.e2e.test/graph');
    s.verifier.onApplied('act_1');
    await s.advance(WINDOW + 1);
    expect(s.query.asked).toEqual([]);
    expect(s.action().result).toMatchObject({ outcome: 'ineffective', decidedBy: 'alertmanager', prometheus: null });
  });
});
