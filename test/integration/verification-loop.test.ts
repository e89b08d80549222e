import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteDecisionStore } from '../../src/db/decisions/sqlite-decision-store.js';
import type { Service } from '../../src/main.js';
import type { DomainEvent } from '../../src/shared/events.js';
import { approve, poolDeployment, startWithDeployments, type Harness } from '../helpers/executor-harness.js';

const ALERT = { resource_id: 'terraform_data.pool[0]', metric: 'cpu_usage', value: 95, threshold: 80 };

/** Resolves with the first event matching `pred` (the test's own timeout bounds the wait). */
function nextEvent(service: Service, pred: (e: DomainEvent) => boolean): Promise<DomainEvent> {
  return new Promise((resolve) => {
    const off = service.events.subscribe((e) => {
      if (pred(e)) {
        off();
        resolve(e);
      }
    });
  });
}

async function post(h: Harness, body: Record<string, unknown>) {
  const res = await h.service.app.inject({ method: 'POST', url: '/ops/webhook', payload: body });
  expect(res.statusCode, res.body).toBeLessThan(300);
  await h.service.decisions.idle();
  await h.service.executor.idle();
}

/** Alert → rules decision → prepared action → approved → applied. Returns the action. */
async function alertAndApply(h: Harness) {
  await post(h, ALERT);
  const waiting = h.service.actions.list({ status: 'awaiting_approval', limit: 10, offset: 0 }).items;
  expect(waiting).toHaveLength(1);
  const action = waiting[0]!;
  const r = await approve(h, action.id, action.planSha256 ?? undefined);
  expect(r).toEqual({ ok: true, status: 'approved' });
  const done = h.service.actions.get(action.id)!;
  expect(done.status, done.statusReason ?? '').toBe('applied');
  return done;
}

async function actionDetail(h: Harness, id: string) {
  const res = await h.service.app.inject({ method: 'GET', url: `/ops/actions/${id}` });
  expect(res.statusCode).toBe(200);
  return res.json() as Record<string, any>;
}

describe('verification on the real service (real SQLite, real terraform)', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.service.stop();
    h = undefined;
  });

  it('apply, then the alert resolves through POST /ops/webhook → effective with the time to resolve', async () => {
    h = await startWithDeployments({ web: poolDeployment() });
    const action = await alertAndApply(h);
    const row = h.service.db.prepare('SELECT verify_until FROM actions WHERE id = ?').get(action.id) as {
      verify_until: string | null;
    };
    expect(row.verify_until).not.toBeNull();
    expect(h.service.verifier.watching()).toEqual([action.id]);

    await post(h, { ...ALERT, status: 'resolved' });
    const done = await actionDetail(h, action.id);
    expect(done.status).toBe('effective');
    expect(done.result.verification).toMatchObject({ outcome: 'effective', window_seconds: 900, still_firing: [] });
    expect(done.result.verification.time_to_resolve_seconds).toBeGreaterThanOrEqual(0);
    expect(done.result.success).toBe(true);
    expect(done.status_history.map((x: { status: string }) => x.status).slice(-2)).toEqual(['applied', 'effective']);
    const kinds = done.ledger.map((e: { kind: string }) => e.kind);
    expect(kinds).toContain('verification.effective');
    expect(kinds).toContain('action.effective');
    expect(h.service.verifier.watching()).toEqual([]);
    expect(h.service.actions.list({ status: 'effective', limit: 10, offset: 0 }).total).toBe(1);
    // Feedback: the agent's history of this resource now says what was tried and that it worked.
    const history = new SqliteDecisionStore(h.service.db, h.service.ledger, h.service.alerts).history(
      'web',
      'terraform_data.pool',
      5,
    );
    expect(history[0]).toMatchObject({
      decisionId: action.decisionId,
      actionType: 'scale_up',
      actionStatus: 'effective',
    });
    expect(history[0]!.timeToResolveSeconds).toBe(done.result.verification.time_to_resolve_seconds);
  });

  it('still firing at the end of a 1 s window → ineffective, and a rollback action awaits approval (not applied)', async () => {
    h = await startWithDeployments({ web: poolDeployment() }, { VERIFY_WINDOW_SECONDS: '1' });
    const ineffective = nextEvent(h.service, (e) => e.type === 'action.status' && e.status === 'ineffective');
    const action = await alertAndApply(h);
    const mainAfterApply = readFileSync(path.join(h.runDir('web'), 'main.tf'), 'utf8');
    await ineffective;
    await h.service.executor.idle();

    const done = await actionDetail(h, action.id);
    expect(done.status).toBe('ineffective');
    expect(done.status_reason).toMatch(
      new RegExp(`^action ${action.id} was ineffective: alert still firing after \\d+ s$`),
    );
    const rollbackDecisionId = done.result.verification.rollback_decision_id as string;
    expect(rollbackDecisionId).toMatch(/^dec_/);

    const decision = h.service.db.prepare('SELECT * FROM decisions WHERE id = ?').get(rollbackDecisionId) as Record<
      string,
      any
    >;
    expect(decision).toMatchObject({
      source: 'verification',
      action_type: 'rollback',
      status: 'proposed',
      run_id: 'web',
      incident_id: action.incidentId,
      confidence: 0.6,
    });
    expect(decision.reason).toContain(`action ${action.id} was ineffective`);

    const rollback = h.service.actions
      .list({ runId: 'web', limit: 10, offset: 0 })
      .items.find((a) => a.decisionId === rollbackDecisionId)!;
    expect(rollback.actionType).toBe('rollback');
    expect(rollback.status, rollback.statusReason ?? '').toBe('awaiting_approval');
    expect(rollback.diff).toContain('-  count = 3');
    // Proposed, never applied on its own: the run dir still has the ineffective change.
    expect(readFileSync(path.join(h.runDir('web'), 'main.tf'), 'utf8')).toBe(mainAfterApply);
  });

  it('restart after the stored deadline passed: evaluated at start → ineffective + rollback awaiting approval', async () => {
    h = await startWithDeployments({ web: poolDeployment() });
    const action = await alertAndApply(h);
    const { service } = h;
    const config = service.config;
    await service.stop();
    // Pretend the window ended while the service was down.
    const { openDatabase } = await import('../../src/db/connection/database.js');
    const db = openDatabase(config.databasePath);
    db.prepare('UPDATE actions SET verify_until = ? WHERE id = ?').run('2000-01-01T00:00:00.000Z', action.id);
    db.close();
    const { startTestService } = await import('../helpers/service.js');
    const again = await startTestService(config);
    h = { ...h, service: again };
    await again.executor.idle();
    expect(again.actions.get(action.id)!.status).toBe('ineffective');
    const rb = again.actions
      .list({ runId: 'web', limit: 10, offset: 0 })
      .items.find((a) => a.actionType === 'rollback');
    expect(rb?.status, rb?.statusReason ?? '').toBe('awaiting_approval');
  });

  it('a new alert on the same deployment during the window is linked to the action', async () => {
    h = await startWithDeployments({ web: poolDeployment() });
    const action = await alertAndApply(h);
    await post(h, { resource_id: 'terraform_data.other', metric: 'memory_usage', value: 99, threshold: 80 });
    const done = await actionDetail(h, action.id);
    const linked = done.ledger.filter((e: { kind: string }) => e.kind === 'verification.alert_linked');
    expect(linked).toHaveLength(1);
    expect(linked[0].fingerprint).toEqual(expect.any(String));
    expect(done.status).toBe('applied');
  });
});
