import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/shared/clock.js';
import type { FixClient } from '../../src/agent/fix-client.js';
import {
  VALIDATED_WORKERS,
  approve,
  poolDeployment,
  prepareDecision,
  snapshot,
  startWithDeployments,
  stateBytes,
  stateList,
  tf,
  type Harness,
} from '../helpers/executor-harness.js';

const POOL2 = ['terraform_data.other', 'terraform_data.pool[0]', 'terraform_data.pool[1]'];

describe('executor: failures, races and refusals with real terraform', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.service.stop();
    h = undefined;
  });

  it('an apply failing in a local-exec provisioner is rolled back: files byte-identical, state re-converged', async () => {
    h = await startWithDeployments({ web: poolDeployment(3) });
    const dir = h.runDir('web');
    const before = snapshot(dir);
    const { action } = await prepareDecision(h, {
      runId: 'web',
      address: 'terraform_data.pool',
      actionType: 'scale_up',
      parameters: { count: 4 },
    });
    expect(action.status, action.statusReason ?? '').toBe('awaiting_approval');
    await approve(h, action.id);
    const done = h.service.actions.get(action.id)!;
    expect(done.status, done.statusReason ?? '').toBe('rolled_back');
    expect(snapshot(dir)).toEqual(before);
    expect(await stateList(dir)).toEqual(POOL2);
    expect((await tf(dir, ['plan', '-detailed-exitcode', '-input=false', '-no-color'])).exitCode).toBe(0);
    const rb = done.rollback as {
      reason: string;
      reapplyOutput: { exitCode: number; output: string };
      applyOutput: { output: string };
    };
    expect(rb.applyOutput.output).toContain('local-exec provisioner error');
    expect(rb.reapplyOutput.exitCode).toBe(0);
    expect(h.service.actions.statusHistory(action.id).map((x) => x.status)).toEqual([
      'proposed',
      'preparing',
      'awaiting_approval',
      'approved',
      'applying',
      'failed',
      'rolled_back',
    ]);
    expect((done.result as { success: boolean }).success).toBe(false);
  });

  it('a stale plan is never applied: the action is re-planned and asks again with a new hash', async () => {
    h = await startWithDeployments({ web: poolDeployment() });
    const dir = h.runDir('web');
    const { action } = await prepareDecision(h, {
      runId: 'web',
      address: 'terraform_data.pool',
      actionType: 'scale_up',
      parameters: { count: 3 },
    });
    // Someone else changes the state in between.
    expect((await tf(dir, ['apply', '-auto-approve', '-input=false', '-replace=terraform_data.other'])).exitCode).toBe(
      0,
    );
    await approve(h, action.id, action.planSha256!);
    const again = h.service.actions.get(action.id)!;
    expect(again.status, again.statusReason ?? '').toBe('awaiting_approval');
    expect(again.planSha256).not.toBe(action.planSha256);
    expect(await stateList(dir)).toEqual(POOL2);
    expect(h.service.actions.statusHistory(action.id).map((x) => x.status)).toContain('stale');
    // The old hash no longer approves anything.
    const old = await h.service.executor.submitVerdict({
      actionId: action.id,
      verdict: 'approve',
      channel: 'rest',
      actor: 'x',
      planSha256: action.planSha256!,
    });
    expect(old).toMatchObject({ ok: false, code: 'ERR_CONFLICT' });
    await approve(h, action.id, again.planSha256!);
    expect(h.service.actions.get(action.id)!.status).toBe('applied');
    expect(await stateList(dir)).toHaveLength(4);
  });

  it('the plan gate refuses a plan that also changes another (drifted) resource, and shows it', async () => {
    h = await startWithDeployments({ web: poolDeployment() });
    const dir = h.runDir('web');
    const main = path.join(dir, 'main.tf');
    writeFileSync(main, readFileSync(main, 'utf8').replace('input = "steady"', 'input = "drifted"'));
    const before = snapshot(dir);
    const { action } = await prepareDecision(h, {
      runId: 'web',
      address: 'terraform_data.pool',
      actionType: 'scale_up',
      parameters: { count: 3 },
    });
    expect(action.status).toBe('prepare_failed');
    expect(action.statusReason).toMatch(
      /plan gate refused: .*terraform_data\.other: unexpected update outside the target/,
    );
    expect((action.planSummary as Array<{ address: string }>).map((s) => s.address)).toContain('terraform_data.other');
    expect(snapshot(dir)).toEqual(before);
    expect(existsSync(path.join(h.root, 'data', 'staging', action.id))).toBe(false);
  });

  it('50 concurrent approvals: exactly one accepted, exactly one apply', async () => {
    h = await startWithDeployments({ web: poolDeployment() });
    const { action } = await prepareDecision(h, {
      runId: 'web',
      address: 'terraform_data.pool',
      actionType: 'scale_up',
      parameters: { count: 3 },
    });
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        h!.service.executor.submitVerdict({
          actionId: action.id,
          verdict: 'approve',
          channel: 'rest',
          actor: `u${i}`,
          planSha256: action.planSha256!,
        }),
      ),
    );
    await h.service.executor.idle();
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.code === 'ERR_APPROVAL_ALREADY_DECIDED')).toHaveLength(49);
    const rows = h.service.actions.approvals(action.id);
    expect(rows).toHaveLength(50);
    expect(rows.filter((r) => r.outcome === 'accepted')).toHaveLength(1);
    expect(h.service.ledger.list({ actionId: action.id, kind: 'action.applying' })).toHaveLength(1);
    expect(h.service.ledger.list({ actionId: action.id, kind: 'approval.refused' })).toHaveLength(49);
    expect(h.service.actions.get(action.id)!.status).toBe('applied');
    expect(await stateList(h.runDir('web'))).toHaveLength(4);
  });

  it('reject: nothing changes and the staging copy is removed', async () => {
    h = await startWithDeployments({ web: poolDeployment() });
    const dir = h.runDir('web');
    const files = snapshot(dir);
    const state = stateBytes(dir);
    const { action } = await prepareDecision(h, {
      runId: 'web',
      address: 'terraform_data.pool',
      actionType: 'scale_up',
      parameters: { count: 3 },
    });
    const r = await h.service.executor.submitVerdict({
      actionId: action.id,
      verdict: 'reject',
      channel: 'dashboard',
      actor: 'ann',
      reason: 'not now',
    });
    expect(r).toEqual({ ok: true, status: 'rejected' });
    await h.service.executor.idle();
    expect(snapshot(dir)).toEqual(files);
    expect(stateBytes(dir)).toBe(state);
    expect(existsSync(action.stagingDir!)).toBe(false);
    expect(
      await h.service.executor.submitVerdict({
        actionId: action.id,
        verdict: 'approve',
        channel: 'rest',
        actor: 'bob',
      }),
    ).toMatchObject({ ok: false, code: 'ERR_APPROVAL_ALREADY_DECIDED' });
  });

  it('expiry: an unanswered approval expires, staging removed, later approval refused', async () => {
    const clock = new FakeClock(Date.now());
    h = await startWithDeployments({ web: poolDeployment() }, { APPROVAL_TTL_SECONDS: '60' }, { clock });
    const { action } = await prepareDecision(h, {
      runId: 'web',
      address: 'terraform_data.pool',
      actionType: 'scale_up',
      parameters: { count: 3 },
    });
    expect(h.service.executor.sweepExpired()).toEqual([]);
    clock.advance(61_000);
    expect(h.service.executor.sweepExpired()).toEqual([action.id]);
    expect(h.service.actions.get(action.id)!.status).toBe('expired');
    expect(existsSync(action.stagingDir!)).toBe(false);
    expect(
      await h.service.executor.submitVerdict({
        actionId: action.id,
        verdict: 'approve',
        channel: 'rest',
        actor: 'late',
      }),
    ).toMatchObject({ ok: false, code: 'ERR_APPROVAL_EXPIRED' });
  });

  it('an incident resolving first makes the waiting action obsolete; a second decision meanwhile waits queued, then is prepared', async () => {
    h = await startWithDeployments({ web: poolDeployment() });
    const { action, incidentId } = await prepareDecision(h, {
      runId: 'web',
      address: 'terraform_data.pool',
      actionType: 'scale_up',
      parameters: { count: 3 },
    });
    const { action: second } = await prepareDecision(h, {
      runId: 'web',
      address: 'terraform_data.pool',
      actionType: 'restart',
      parameters: {},
    });
    expect(second).toMatchObject({ status: 'queued', queuePosition: 1, queuedBehind: action.id });
    expect(second.statusReason).toContain(action.id);
    h.service.events.publish({ type: 'incident.resolved', incidentId });
    expect(h.service.actions.get(action.id)!.status).toBe('obsolete');
    expect(
      await h.service.executor.submitVerdict({ actionId: action.id, verdict: 'approve', channel: 'rest', actor: 'x' }),
    ).toMatchObject({ ok: false, code: 'ERR_ACTION_OBSOLETE' });
    await h.service.executor.idle();
    const next = h.service.actions.get(second.id)!;
    expect(next.status, next.statusReason ?? '').toBe('awaiting_approval');
    expect(next.queuePosition).toBeNull();
  });

  it('fix agent (scripted FixClient): a proposal dropping the change is refused, the next one is accepted and planned', async () => {
    const calls: string[] = [];
    const fix: FixClient = {
      async proposeFix(req) {
        calls.push(req.fileName);
        const relaxed = req.fileContent.replace('var.workers <= 3', 'var.workers <= 8');
        return calls.length === 1 ? { content: relaxed.replace('default = 4', 'default = 2') } : { content: relaxed };
      },
    };
    const files = VALIDATED_WORKERS;
    h = await startWithDeployments({ fixme: files }, {}, { fixClient: fix });
    const { action } = await prepareDecision(h, {
      runId: 'fixme',
      address: 'terraform_data.workers',
      actionType: 'scale_up',
      parameters: { count: 4 },
    });
    expect(action.status, action.statusReason ?? '').toBe('awaiting_approval');
    const attempts = action.fixAttempts as Array<{
      accepted: boolean;
      reason?: string;
      diff?: string;
      fileName: string;
    }>;
    expect(attempts.map((a) => a.accepted)).toEqual([false, true]);
    expect(attempts[0]!.reason).toMatch(/drops the intended change/);
    expect(attempts[1]!.diff).toContain('+    condition     = var.workers <= 8');
    expect(calls).toEqual(['main.tf', 'main.tf']);
    expect(snapshot(h.runDir('fixme'))['main.tf']).toBe(Buffer.from(files['main.tf']).toString('base64'));
  });
});
