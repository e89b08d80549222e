import { beforeEach, describe, expect, it } from 'vitest';
import { connectVerification } from '../../src/compose/reactions.js';
import { DEFAULT_POLICY, type Policy } from '../../src/policy/policy-schema.js';
import { FakeClock } from '../../src/shared/clock.js';
import { InProcessEventBus, type DomainEvent } from '../../src/shared/events.js';
import { silentLogger } from '../../src/shared/logger.js';
import { Verifier } from '../../src/verification/verifier.js';
import { FakeTimers, MemoryVerificationStore } from '../fakes/verification.js';

const WINDOW = 900;
const T0 = Date.parse('2026-01-01T00:00:00Z');

function setup(policy: Policy = DEFAULT_POLICY) {
  const clock = new FakeClock(T0);
  const timers = new FakeTimers(clock);
  const store = new MemoryVerificationStore();
  const events = new InProcessEventBus((err) => {
    throw err;
  });
  const seen: DomainEvent[] = [];
  events.subscribe((e) => seen.push(e));
  const prepared: string[] = [];
  let n = 0;
  const deps = {
    store,
    decisions: store,
    preparer: { prepare: (id: string) => prepared.push(id) },
    timers,
    clock,
    events,
    policy: () => policy,
    windowSeconds: WINDOW,
    newId: (p: string) => `${p}_${++n}`,
    logger: silentLogger,
  };
  const verifier = new Verifier(deps);
  return { clock, timers, store, events, seen, prepared, verifier, deps };
}

function applied(store: MemoryVerificationStore, id = 'act_1', actionType = 'scale_up') {
  store.addAlert('fp1', 'inc_1', 'web');
  store.addApplied({
    id,
    decisionId: `dec_${id}`,
    incidentId: 'inc_1',
    runId: 'web',
    actionType,
    targetAddress: 'terraform_data.pool',
    appliedAt: new Date(T0).toISOString(),
  });
}

describe('verification', () => {
  let s: ReturnType<typeof setup>;
  beforeEach(() => {
    s = setup();
    s.verifier.start();
    // The production routing of bus events to the verifier (what main.ts connects after start()).
    connectVerification(s.events, s.verifier);
  });

  it('resolved within the window → effective with the time to resolve; the deadline timer is cancelled', () => {
    applied(s.store);
    s.events.publish({ type: 'action.status', actionId: 'act_1', status: 'applied', runId: 'web' });
    expect(s.store.actions.get('act_1')!.verifyUntil).toBe(new Date(T0 + WINDOW * 1000).toISOString());
    expect(s.timers.pending()).toBe(1);
    s.clock.advance(42_000);
    s.store.resolve('fp1', new Date(s.clock.now()).toISOString());
    s.events.publish({ type: 'incident.resolved', incidentId: 'inc_1' });
    const a = s.store.actions.get('act_1')!;
    expect(a.status).toBe('effective');
    expect(a.result).toMatchObject({ outcome: 'effective', timeToResolveSeconds: 42, windowSeconds: WINDOW });
    expect(a.reason).toBe('alert resolved 42 s after the apply (Alertmanager)');
    expect(a.result).toMatchObject({ decidedBy: 'alertmanager', prometheus: null });
    expect(s.timers.pending()).toBe(0);
    expect(s.store.decisions).toHaveLength(0);
  });

  it('still firing at the deadline → ineffective and a rollback decision goes to the executor (never applied here)', () => {
    applied(s.store);
    s.verifier.onApplied('act_1');
    s.timers.advance(WINDOW * 1000 - 1);
    expect(s.store.actions.get('act_1')!.status).toBe('applied');
    s.timers.advance(1);
    const a = s.store.actions.get('act_1')!;
    expect(a.status).toBe('ineffective');
    expect(a.reason).toBe(`action act_1 was ineffective: alert still firing after ${WINDOW} s`);
    expect(a.result).toMatchObject({ outcome: 'ineffective', timeToResolveSeconds: null, firing: ['fp1'] });
    expect(s.store.decisions).toHaveLength(1);
    const d = s.store.decisions[0]!;
    expect(d).toMatchObject({
      actionType: 'rollback',
      source: 'verification',
      status: 'proposed',
      incidentId: 'inc_1',
      runId: 'web',
      resourceAddress: 'terraform_data.pool',
      confidence: 0.6,
      ofActionId: 'act_1',
      parameters: {},
    });
    expect(d.reason).toContain('action act_1 was ineffective: alert still firing after 900 s');
    // The default policy allows rollback; auto-approval is off, so a human decides.
    expect(d.policyVerdict).toMatchObject({ allowed: true, autoApprove: false });
    expect(a.result!.rollbackDecisionId).toBe(d.id);
    expect(s.prepared).toEqual([d.id]);
    expect(s.seen).toContainEqual({
      type: 'decision.created',
      decisionId: d.id,
      incidentId: 'inc_1',
      status: 'proposed',
    });
  });

  it('a rollback that was itself ineffective is not rolled back again', () => {
    applied(s.store, 'act_rb', 'rollback');
    s.verifier.onApplied('act_rb');
    s.timers.advance(WINDOW * 1000);
    expect(s.store.actions.get('act_rb')!.status).toBe('ineffective');
    expect(s.store.decisions).toHaveLength(0);
    expect(s.prepared).toEqual([]);
  });

  it('a policy refusal blocks the rollback (nothing prepared)', () => {
    const strict = setup({ ...DEFAULT_POLICY, allowed_action_types: ['rollback'], min_confidence: 0.9 });
    strict.verifier.start();
    applied(strict.store);
    strict.verifier.onApplied('act_1');
    strict.timers.advance(WINDOW * 1000);
    expect(strict.store.decisions[0]).toMatchObject({
      status: 'blocked_by_policy',
      policyVerdict: { rule: 'min_confidence' },
    });
    expect(strict.prepared).toEqual([]);
  });

  it('an operator who switched rollback off gets a blocked decision, not a rollback request', () => {
    const off = setup({ ...DEFAULT_POLICY, allowed_action_types: ['scale_up', 'no_action'] });
    off.verifier.start();
    applied(off.store);
    off.verifier.onApplied('act_1');
    off.timers.advance(WINDOW * 1000);
    expect(off.store.decisions[0]).toMatchObject({
      status: 'blocked_by_policy',
      policyVerdict: { rule: 'allowed_action_types' },
    });
    expect(off.prepared).toEqual([]);
  });

  it('alerts already resolved when the apply finished → effective at once, ttr 0', () => {
    applied(s.store);
    s.store.resolve('fp1', new Date(T0 - 5000).toISOString());
    s.verifier.onApplied('act_1');
    expect(s.store.actions.get('act_1')!.result).toMatchObject({ outcome: 'effective', timeToResolveSeconds: 0 });
    expect(s.timers.pending()).toBe(0);
  });

  it('new alerts on the same deployment during the window are linked to the action, once each', () => {
    applied(s.store);
    s.verifier.onApplied('act_1');
    s.store.addAlert('fp2', 'inc_2', 'web');
    s.store.addAlert('fp3', 'inc_3', 'other-deployment');
    s.events.publish({ type: 'alert.received', fingerprint: 'fp2', status: 'firing', incidentId: 'inc_2' });
    s.events.publish({ type: 'alert.received', fingerprint: 'fp2', status: 'firing', incidentId: 'inc_2' });
    s.events.publish({ type: 'alert.received', fingerprint: 'fp3', status: 'firing', incidentId: 'inc_3' });
    // The incident's own alert firing again is not "new".
    s.events.publish({ type: 'alert.received', fingerprint: 'fp1', status: 'firing', incidentId: 'inc_1' });
    expect(s.store.links).toEqual([{ actionId: 'act_1', fingerprint: 'fp2' }]);
    s.store.resolve('fp1', new Date(T0 + 1000).toISOString());
    s.events.publish({ type: 'incident.resolved', incidentId: 'inc_1' });
    expect(s.store.actions.get('act_1')!.result!.linkedAlerts).toEqual(['fp2']);
  });

  it('restart: a stored deadline inside the window is re-armed; one already past is evaluated at once', () => {
    applied(s.store, 'act_live');
    s.store.addApplied({
      id: 'act_past',
      decisionId: 'dec_p',
      incidentId: 'inc_1',
      runId: 'web',
      actionType: 'scale_up',
      targetAddress: 'terraform_data.pool',
      appliedAt: new Date(T0 - 2000 * 1000).toISOString(),
      verifyUntil: new Date(T0 - 1100 * 1000).toISOString(),
    });
    s.store.actions.get('act_live')!.verifyUntil = new Date(T0 + 100_000).toISOString();
    s.verifier.stop();
    const again = new Verifier({ ...s.deps });
    again.start();
    expect(s.store.actions.get('act_past')!.status).toBe('ineffective');
    expect(again.watching()).toEqual(['act_live']);
    // The stored deadline is kept, not pushed out by a fresh window.
    s.timers.advance(100_000);
    expect(s.store.actions.get('act_live')!.status).toBe('ineffective');
    again.stop();
  });

  it('verifies once: a late timer after an effective outcome changes nothing', () => {
    applied(s.store);
    s.verifier.onApplied('act_1');
    s.store.resolve('fp1', new Date(T0 + 10_000).toISOString());
    s.clock.advance(10_000);
    expect(s.verifier.evaluate('act_1', true)).toBe(true);
    s.timers.advance(WINDOW * 1000);
    expect(s.store.actions.get('act_1')!.status).toBe('effective');
    expect(s.store.decisions).toHaveLength(0);
  });

  it('actions without an incident (e.g. a created deployment) are not watched', () => {
    s.verifier.onApplied('act_unknown');
    expect(s.verifier.watching()).toEqual([]);
  });
});
