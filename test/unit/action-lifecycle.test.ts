/**
 * The one place an action's status changes (ActionLifecycle, through the real SQLite store): every
 * change — a step's transition, the queue, the human's verdict, the expiry, verification — writes
 * the row, exactly one history row and one ledger row, and publishes exactly one `action.status`
 * event; a refused change writes and publishes nothing.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/connection/database.js';
import { SqliteLedger } from '../../src/db/ledger/sqlite-ledger.js';
import { SqliteActionStore } from '../../src/db/actions/sqlite-action-store.js';
import { SqliteVerificationStore } from '../../src/db/actions/sqlite-verification-store.js';
import { FakeClock } from '../../src/shared/clock.js';
import { InProcessEventBus, type DomainEvent } from '../../src/shared/events.js';
import type { ActionStatus } from '../../src/actions/status.js';
import { seedDecision } from '../helpers/executor-harness.js';

const START = Date.parse('2026-01-01T00:00:00Z');

function setup() {
  const db = openDatabase(path.join(mkdtempSync(path.join(tmpdir(), 'infraai-lifecycle-')), 'db.sqlite'));
  const events = new InProcessEventBus();
  const seen: DomainEvent[] = [];
  events.subscribe((e) => seen.push(e));
  const clock = new FakeClock(START);
  const ledger = new SqliteLedger(db);
  const store = new SqliteActionStore(db, ledger, events, clock);
  const { decisionId, incidentId } = seedDecision(db, {
    runId: 'web',
    address: 'terraform_data.pool',
    actionType: 'scale_up',
    parameters: {},
  });
  const action = store.create({
    decisionId,
    incidentId,
    runId: 'web',
    actionType: 'scale_up',
    targetAddress: 'terraform_data.pool',
    parameters: {},
  });
  const statusEvents = () =>
    seen.filter((e) => e.type === 'action.status').map((e) => (e as { status: string }).status);
  const ledgerKinds = () =>
    ledger
      .list({ actionId: action.id, limit: 100 })
      .map((r) => r.kind)
      .filter((k) => k.startsWith('action.'));
  const history = () => store.statusHistory(action.id).map((h) => h.status);
  /** Walks the action to awaiting_approval, expiring `ttlMs` from now. */
  const toAwaiting = (ttlMs = 60_000) => {
    expect(store.transition(action.id, ['proposed'], 'preparing', null)).toBe(true);
    const expiresAt = new Date(clock.now() + ttlMs).toISOString();
    expect(
      store.transition(action.id, ['preparing'], 'awaiting_approval', null, { planSha256: 'abc', expiresAt }),
    ).toBe(true);
  };
  return { db, store, clock, action, ledger, seen, statusEvents, ledgerKinds, history, toAwaiting };
}

describe('ActionLifecycle: the one place a status changes', () => {
  it('creation and each transition: one history row, one ledger row and one event per status, in order', () => {
    const t = setup();
    t.toAwaiting();
    const expected: ActionStatus[] = ['proposed', 'preparing', 'awaiting_approval'];
    expect(t.history()).toEqual(expected);
    expect(t.ledgerKinds()).toEqual(expected.map((s) => `action.${s}`));
    expect(t.statusEvents()).toEqual(expected);
    expect(t.store.get(t.action.id)).toMatchObject({ status: 'awaiting_approval', planSha256: 'abc' });
  });

  it('a transition the lifecycle does not allow throws ERR_CONFLICT and writes and publishes nothing', () => {
    const t = setup();
    expect(() => t.store.transition(t.action.id, ['proposed'], 'applied', 'skip ahead')).toThrow(
      /proposed → applied is not a valid transition/,
    );
    expect(t.store.get(t.action.id)?.status).toBe('proposed');
    expect(t.history()).toEqual(['proposed']);
    expect(t.ledgerKinds()).toEqual(['action.proposed']);
    expect(t.statusEvents()).toEqual(['proposed']);
  });

  it('a lost compare-and-set (the action moved on) returns false and writes and publishes nothing', () => {
    const t = setup();
    expect(t.store.transition(t.action.id, ['stale'], 'preparing', null)).toBe(false);
    expect(t.history()).toEqual(['proposed']);
    expect(t.statusEvents()).toEqual(['proposed']);
  });

  for (const verdict of ['approve', 'reject'] as const) {
    it(`the human's ${verdict} verdict moves the status through the lifecycle and publishes it`, () => {
      const t = setup();
      t.toAwaiting();
      const to = verdict === 'approve' ? 'approved' : 'rejected';
      const r = t.store.submitVerdict({
        actionId: t.action.id,
        verdict,
        channel: 'rest',
        actor: 'ann',
        planSha256: 'abc',
      });
      expect(r).toEqual({ ok: true, status: to });
      expect(t.statusEvents().at(-1)).toBe(to);
      expect(t.history().at(-1)).toBe(to);
      expect(t.ledgerKinds().at(-1)).toBe(`action.${to}`);
      expect(t.store.get(t.action.id)).toMatchObject({ status: to, decidedBy: 'ann', decidedVia: 'rest' });
      expect(t.store.approvals(t.action.id)).toMatchObject([
        { verdict, outcome: 'accepted', channel: 'rest', actor: 'ann' },
      ]);
      // Single use: the second verdict is refused, recorded, and moves nothing.
      const again = t.store.submitVerdict({ actionId: t.action.id, verdict: 'approve', channel: 'rest', actor: 'bob' });
      expect(again).toMatchObject({ ok: false, code: 'ERR_APPROVAL_ALREADY_DECIDED' });
      expect(t.statusEvents().filter((s) => s === to)).toHaveLength(1);
      expect(t.store.approvals(t.action.id).map((a) => a.outcome)).toEqual(['accepted', 'refused']);
    });
  }

  it('a verdict on a different plan hash is refused and changes no status', () => {
    const t = setup();
    t.toAwaiting();
    const r = t.store.submitVerdict({
      actionId: t.action.id,
      verdict: 'approve',
      channel: 'telegram',
      actor: 'ann',
      planSha256: 'other',
    });
    expect(r).toMatchObject({ ok: false, code: 'ERR_CONFLICT' });
    expect(t.store.get(t.action.id)?.status).toBe('awaiting_approval');
    expect(t.statusEvents().at(-1)).toBe('awaiting_approval');
  });

  it('the expiry sweep and a late verdict both expire through the lifecycle, once', () => {
    const sweep = setup();
    sweep.toAwaiting(1000);
    sweep.clock.advance(2000);
    expect(sweep.store.expireDue()).toEqual([sweep.action.id]);
    expect(sweep.statusEvents().at(-1)).toBe('expired');
    expect(sweep.history().at(-1)).toBe('expired');

    const late = setup();
    late.toAwaiting(1000);
    late.clock.advance(2000);
    expect(
      late.store.submitVerdict({ actionId: late.action.id, verdict: 'approve', channel: 'rest', actor: 'ann' }),
    ).toMatchObject({ ok: false, code: 'ERR_APPROVAL_EXPIRED' });
    expect(late.statusEvents().at(-1)).toBe('expired');
    expect(late.history().filter((s) => s === 'expired')).toHaveLength(1);
    expect(late.store.expireDue()).toEqual([]);
  });

  it("verification's outcome goes through the lifecycle: status, history row, ledger row and event", () => {
    const t = setup();
    t.toAwaiting();
    t.store.submitVerdict({ actionId: t.action.id, verdict: 'approve', channel: 'rest', actor: 'ann' });
    t.store.transition(t.action.id, ['approved'], 'applying', null);
    t.store.transition(t.action.id, ['applying'], 'applied', null);
    const verification = new SqliteVerificationStore(t.db, t.store, t.ledger);
    const watched = verification.watched(t.action.id);
    expect(watched).toBeDefined();
    const done = verification.complete(
      watched!,
      {
        outcome: 'effective',
        timeToResolveSeconds: 5,
        windowSeconds: 60,
        verifiedAt: new Date(t.clock.now()).toISOString(),
        firing: [],
        linkedAlerts: [],
        rollbackDecisionId: null,
        decidedBy: 'alertmanager',
        prometheus: null,
      },
      'the alert resolved',
    );
    expect(done).toBe(true);
    expect(t.store.get(t.action.id)?.status).toBe('effective');
    expect(t.history().at(-1)).toBe('effective');
    expect(t.ledgerKinds().at(-1)).toBe('action.effective');
    expect(t.statusEvents().at(-1)).toBe('effective');
    expect(verification.watched(t.action.id)).toBeUndefined();
  });
});
