/**
 * Regression: verification's rollback restores the configuration from BEFORE the ineffective
 * action (its base revision), not "the parent of the latest revision", so an unrelated apply made
 * after it on the same deployment is kept. Real SQLite, real terraform.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  approve,
  poolDeployment,
  prepareDecision,
  stateList,
  startWithDeployments,
  type Harness,
} from '../helpers/executor-harness.js';

const EXTRA = 'resource "terraform_data" "extra" {\n  input = {\n    machine_type = "e2-small"\n  }\n}\n';

async function applied(h: Harness, d: { address: string; actionType: string; parameters: Record<string, unknown> }) {
  const { action } = await prepareDecision(h, { runId: 'web', ...d });
  expect(action.status, action.statusReason ?? '').toBe('awaiting_approval');
  expect(await approve(h, action.id, action.planSha256 ?? undefined)).toEqual({ ok: true, status: 'approved' });
  const done = h.service.actions.get(action.id)!;
  expect(done.status, done.statusReason ?? '').toBe('applied');
  return done;
}

/** Declares `actionId` ineffective through the real verifier and returns the rollback action it proposed. */
async function rollbackOf(h: Harness, actionId: string) {
  h.service.verifier.evaluate(actionId, true);
  await h.service.executor.idle();
  expect(h.service.actions.get(actionId)!.status).toBe('ineffective');
  return h.service.actions.list({ runId: 'web', limit: 20, offset: 0 }).items.find((a) => a.actionType === 'rollback')!;
}

describe("verification rollback is pinned to the ineffective action's base revision", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.service.stop();
    h = undefined;
  });

  it('undoes the ineffective scale-up and keeps a later, unrelated apply on the same deployment', async () => {
    h = await startWithDeployments({ web: { ...poolDeployment(), 'extra.tf': EXTRA } });
    const scaled = await applied(h, {
      address: 'terraform_data.pool',
      actionType: 'scale_up',
      parameters: { count: 3 },
    });
    await applied(h, {
      address: 'terraform_data.extra',
      actionType: 'modify_config',
      parameters: { machine_type: 'e2-medium' },
    });

    const rollback = await rollbackOf(h, scaled.id);
    const decision = h.service.db
      .prepare('SELECT rollback_revision_id FROM decisions WHERE id = ?')
      .get(rollback.decisionId);
    expect(decision).toEqual({ rollback_revision_id: scaled.baseRevisionId });
    expect(rollback.status, rollback.statusReason ?? '').toBe('awaiting_approval');
    expect(await approve(h, rollback.id, rollback.planSha256 ?? undefined)).toEqual({ ok: true, status: 'approved' });
    expect(h.service.actions.get(rollback.id)!.status).toBe('applied');

    const dir = h.runDir('web');
    expect(readFileSync(path.join(dir, 'main.tf'), 'utf8')).toContain('count = 2 # scaled by InfraAI');
    expect(readFileSync(path.join(dir, 'extra.tf'), 'utf8')).toContain('machine_type = "e2-medium"');
    expect(await stateList(dir)).toEqual([
      'terraform_data.extra',
      'terraform_data.other',
      'terraform_data.pool[0]',
      'terraform_data.pool[1]',
    ]);
  });

  it('refuses (prepare_failed, nothing applied) when a later apply changed the same file again', async () => {
    h = await startWithDeployments({ web: poolDeployment() });
    const scaled = await applied(h, {
      address: 'terraform_data.pool',
      actionType: 'scale_up',
      parameters: { count: 3 },
    });
    await applied(h, {
      address: 'terraform_data.pool',
      actionType: 'modify_config',
      parameters: { machine_type: 'e2-medium' },
    });
    const before = readFileSync(path.join(h.runDir('web'), 'main.tf'), 'utf8');

    const rollback = await rollbackOf(h, scaled.id);
    expect(rollback.status).toBe('prepare_failed');
    expect(rollback.statusReason).toMatch(
      /main\.tf was changed again after revision rev_\S+; rolling back would undo that change too/,
    );
    expect(readFileSync(path.join(h.runDir('web'), 'main.tf'), 'utf8')).toBe(before);
  });
});
