import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  approve,
  poolDeployment,
  prepareDecision,
  snapshot,
  startWithDeployments,
  stateBytes,
  stateList,
  type Harness,
} from '../helpers/executor-harness.js';

describe('executor: scaling with real terraform', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.service.stop();
    h = undefined;
  });

  it('scales a count 2 → 4: plan shows 2 creates, run dir untouched until the approved apply, revision recorded, registry re-synced', async () => {
    h = await startWithDeployments({ web: poolDeployment() });
    const dir = h.runDir('web');
    const filesBefore = snapshot(dir);
    const stateBefore = stateBytes(dir);
    const { action } = await prepareDecision(h, {
      runId: 'web',
      address: 'terraform_data.pool[0]',
      actionType: 'scale_up',
      parameters: { count: 4 },
    });
    expect(action.status, action.statusReason ?? '').toBe('awaiting_approval');
    const summary = action.planSummary as Array<{ address: string; action: string }>;
    expect(
      summary
        .filter((s) => s.action === 'create')
        .map((s) => s.address)
        .sort(),
    ).toEqual(['terraform_data.pool[2]', 'terraform_data.pool[3]']);
    expect(summary).toHaveLength(2);
    expect(action.planSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(action.diff).toContain('-  count = 2 # scaled by InfraAI');
    expect(action.diff).toContain('+  count = 4 # scaled by InfraAI');
    expect(action.expiresAt).not.toBeNull();
    // Prepared, not applied: the run dir is byte-identical.
    expect(snapshot(dir)).toEqual(filesBefore);
    expect(stateBytes(dir)).toBe(stateBefore);

    const r = await approve(h, action.id, action.planSha256 ?? undefined);
    expect(r).toEqual({ ok: true, status: 'approved' });
    const done = h.service.actions.get(action.id)!;
    expect(done.status, done.statusReason ?? '').toBe('applied');
    expect(await stateList(dir)).toEqual([
      'terraform_data.other',
      'terraform_data.pool[0]',
      'terraform_data.pool[1]',
      'terraform_data.pool[2]',
      'terraform_data.pool[3]',
    ]);
    const main = readFileSync(path.join(dir, 'main.tf'), 'utf8');
    expect(main).toContain('count = 4 # scaled by InfraAI');
    expect(main).toContain('# Worker pool (test deployment)');
    const result = done.result as { success: boolean; new_run_id: string; changes_applied: Record<string, unknown> };
    expect(result.success).toBe(true);
    expect(result.new_run_id).toBe(done.revisionId);
    const rev = h.service.actions.getRevision(result.new_run_id)!;
    expect(rev.parentId).toBe(done.baseRevisionId);
    expect(readFileSync(path.join(rev.filesDir, 'main.tf'), 'utf8')).toBe(main);
    expect(existsSync(done.stagingDir ?? '/nonexistent')).toBe(false);
    // The registry was re-synced from the new state.
    const pool = h.service.registry
      .listByDeployment('web', 100)
      .filter((x) => x.blockAddress === 'terraform_data.pool');
    expect(pool).toHaveLength(4);
    const history = h.service.actions.statusHistory(action.id).map((x) => x.status);
    expect(history).toEqual(['proposed', 'preparing', 'awaiting_approval', 'approved', 'applying', 'applied']);

    const list = await h.service.app.inject({ method: 'GET', url: '/ops/actions?run_id=web&status=applied' });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toMatchObject({
      total: 1,
      items: [{ id: action.id, status: 'applied', revision_id: done.revisionId }],
    });
    const one = await h.service.app.inject({ method: 'GET', url: `/ops/actions/${action.id}` });
    expect(one.statusCode).toBe(200);
    const body = one.json();
    expect(body.status_history.map((x: { status: string }) => x.status)).toEqual(history);
    expect(body.diff).toContain('+  count = 4');
    expect(body.approvals).toMatchObject([
      { verdict: 'approve', outcome: 'accepted', channel: 'rest', actor: 'tester' },
    ]);
    expect(body.terraform_output.map((o: { step: string }) => o.step).sort()).toEqual([
      'apply',
      'fmt main.tf',
      'plan',
      'validate',
    ]);
    expect(body.result.new_run_id).toBe(done.revisionId);
    const missing = await h.service.app.inject({ method: 'GET', url: '/ops/actions/act_nope' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('ERR_ACTION_NOT_FOUND');
    const bad = await h.service.app.inject({ method: 'GET', url: '/ops/actions?status=bogus' });
    expect(bad.statusCode).toBe(400);
  });
});
