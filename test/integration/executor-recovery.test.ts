import { execa } from 'execa';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestService, testConfig } from '../helpers/service.js';
import type { Service } from '../../src/main.js';
import {
  poolDeployment,
  seedDecision,
  snapshot,
  startWithDeployments,
  stateBytes,
  stateList,
  tf,
  type Harness,
} from '../helpers/executor-harness.js';
import { interruptedStateOf } from '../../src/executor/interrupted-state.js';

const SCRIPT = path.resolve('dist/bench/support/crash-prepare.js');

describe('executor: recovery after a crash', () => {
  let h: Harness | undefined;
  let again: Service | undefined;
  afterEach(async () => {
    await again?.stop();
    await h?.service.stop().catch(() => {});
    h = undefined;
    again = undefined;
  });

  it('a process killed mid-prepare: on restart the action is prepare_failed, staging removed, run dir untouched', async () => {
    expect(existsSync(SCRIPT), `${SCRIPT} missing: run "npm run build" first`).toBe(true);
    h = await startWithDeployments({ web: poolDeployment() });
    const dir = h.runDir('web');
    const files = snapshot(dir);
    const state = stateBytes(dir);
    const { decisionId } = seedDecision(h.service.db, {
      runId: 'web',
      address: 'terraform_data.pool',
      actionType: 'scale_up',
      parameters: { count: 3 },
    });
    const config = h.service.config;
    await h.service.stop();
    const child = execa('node', [SCRIPT, decisionId], {
      env: { DATABASE_PATH: config.databasePath, RUNS_DIR: config.runsDir, POLICY_FILE: config.policyFile ?? '' },
      reject: false,
    });
    const actionId = await new Promise<string>((resolve, reject) => {
      child.stdout?.on('data', (b: Buffer) => {
        const m = /PLANNING (\S+)/.exec(b.toString());
        if (m?.[1]) resolve(m[1]);
      });
      void child.then((r) => reject(new Error(`child exited early: ${r.stderr}`)));
    });
    const stagingRoot = path.join(path.dirname(config.databasePath), 'staging');
    expect(readdirSync(stagingRoot)).toContain(actionId);
    child.kill('SIGKILL');
    await child;

    again = await startTestService(
      testConfig(
        { POLICY_FILE: config.policyFile ?? '' },
        {
          root: path.dirname(path.dirname(config.databasePath)),
          runsDir: config.runsDir,
          dbPath: config.databasePath,
        },
      ),
    );
    const a = again.actions.get(actionId)!;
    expect(a.status).toBe('prepare_failed');
    expect(a.statusReason).toBe('interrupted by restart');
    expect(existsSync(path.join(stagingRoot, actionId))).toBe(false);
    expect(snapshot(dir)).toEqual(files);
    expect(stateBytes(dir)).toBe(state);
    // The deployment is free again: a new decision prepares normally.
    const { decisionId: d2 } = seedDecision(again.db, {
      runId: 'web',
      address: 'terraform_data.pool',
      actionType: 'scale_up',
      parameters: { count: 3 },
    });
    again.executor.prepare(d2);
    await again.executor.idle();
    expect(again.actions.list({ runId: 'web', status: 'awaiting_approval', limit: 5, offset: 0 }).total).toBe(1);
  });

  it('an action left applying or approved is marked interrupted on restart and never retried', async () => {
    h = await startWithDeployments({ web: poolDeployment() });
    const { decisionId } = seedDecision(h.service.db, {
      runId: 'web',
      address: 'terraform_data.pool',
      actionType: 'scale_up',
      parameters: { count: 3 },
    });
    h.service.executor.prepare(decisionId);
    await h.service.executor.idle();
    const id = (h.service.db.prepare('SELECT id FROM actions WHERE decision_id = ?').get(decisionId) as { id: string })
      .id;
    // Simulate the crash window: the row says applying, nothing ran.
    h.service.db.prepare("UPDATE actions SET status = 'applying' WHERE id = ?").run(id);
    const state = stateBytes(h.runDir('web'));
    const config = h.service.config;
    await h.service.stop();
    again = await startTestService(config);
    await again.executor.idle();
    expect(again.actions.get(id)!.status).toBe('interrupted');
    expect(stateBytes(h.runDir('web'))).toBe(state);
    expect(again.ledger.list({ actionId: id, kind: 'action.interrupted' })).toHaveLength(1);
  });
});

/** A pool whose instance N fails its create-time provisioner while the file `fail-N` exists in the run dir. */
const MARKED_POOL = {
  'main.tf': `resource "terraform_data" "pool" {
  count = 2
  input = { node_count = 2 }
  provisioner "local-exec" {
    command = "test ! -e fail-\${count.index}"
  }
}
`,
};

describe('executor: what an interrupted apply left, and its recovery', () => {
  let h: Harness | undefined;
  let again: Service | undefined;
  afterEach(async () => {
    await again?.stop();
    await h?.service.stop().catch(() => {});
    h = undefined;
    again = undefined;
  });

  /** Prepares `decision`, then plays the crash: the saved plan applied outside the service, the row left `applying`. */
  async function crashMidApply(
    d: { address: string; actionType: string; parameters: Record<string, unknown> },
    marker?: string,
    beforeRestart?: (dir: string) => void,
  ) {
    h = await startWithDeployments({ web: MARKED_POOL });
    const dir = h.runDir('web');
    const { decisionId } = seedDecision(h.service.db, { runId: 'web', ...d });
    h.service.executor.prepare(decisionId);
    await h.service.executor.idle();
    const a = h.service.db.prepare('SELECT id, staging_dir FROM actions WHERE decision_id = ?').get(decisionId) as {
      id: string;
      staging_dir: string;
    };
    expect(h.service.actions.get(a.id)!.status).toBe('awaiting_approval');
    if (marker) writeFileSync(path.join(dir, marker), '');
    const applied = await tf(dir, ['apply', '-input=false', '-no-color', path.join(a.staging_dir, `${a.id}.tfplan`)]);
    expect(applied.exitCode).toBe(1);
    h.service.db.prepare("UPDATE actions SET status = 'applying' WHERE id = ?").run(a.id);
    const config = h.service.config;
    await h.service.stop();
    beforeRestart?.(dir);
    again = await startTestService(config);
    await again.executor.idle();
    return { dir, actionId: a.id };
  }

  async function recoveryOf(svc: Service, actionId: string) {
    const state = interruptedStateOf(svc.actions.get(actionId)!.result)!;
    const row = svc.db.prepare('SELECT id FROM actions WHERE decision_id = ?').get(state.recovery_decision_id) as
      { id: string } | undefined;
    return { state, recovery: row ? svc.actions.get(row.id) : undefined };
  }

  it('a replace cut short (tainted instance): recorded on the action and in the ledger, recovery awaits approval, approving converges', async () => {
    const { dir, actionId } = await crashMidApply(
      { address: 'terraform_data.pool[1]', actionType: 'restart', parameters: {} },
      'fail-1',
    );
    const files = snapshot(dir);
    const svc = again!;
    expect(svc.actions.get(actionId)!.status).toBe('interrupted');
    const { state, recovery } = await recoveryOf(svc, actionId);
    expect(state.outcome).toBe('differs');
    expect(state.differences).toEqual([
      expect.objectContaining({
        address: 'terraform_data.pool[1]',
        action: 'replace',
        terraform_reason: 'replace_because_tainted',
        tainted: true,
      }),
    ]);
    expect(state.summary).toContain('tainted');
    expect(svc.ledger.list({ actionId, kind: 'action.interrupted_state' })).toHaveLength(1);
    const detail = await svc.app.inject({ method: 'GET', url: `/ops/actions/${actionId}` });
    expect(detail.json().interrupted_state).toMatchObject({
      outcome: 'differs',
      recovery_decision_id: state.recovery_decision_id,
    });
    // The recovery re-applies the last revision: a rollback pinned to the interrupted action's base, waiting for a human.
    expect(recovery).toMatchObject({
      actionType: 'rollback',
      status: 'awaiting_approval',
      baseRevisionId: state.revision_id,
    });
    expect(recovery!.planSummary).toEqual([
      expect.objectContaining({ address: 'terraform_data.pool[1]', action: 'replace' }),
    ]);
    rmSync(path.join(dir, 'fail-1'));
    expect(
      (
        await svc.executor.submitVerdict({
          actionId: recovery!.id,
          verdict: 'approve',
          channel: 'rest',
          actor: 'tester',
          planSha256: recovery!.planSha256!,
        })
      ).ok,
    ).toBe(true);
    await svc.executor.idle();
    expect(svc.actions.get(recovery!.id)!.status).toBe('applied');
    expect((await tf(dir, ['plan', '-detailed-exitcode', '-input=false', '-no-color'])).exitCode).toBe(0);
    expect(snapshot(dir)).toEqual(files);
  });

  it('a scale-up cut short (an instance the files do not have): recovery deletes it', async () => {
    const { dir, actionId } = await crashMidApply(
      { address: 'terraform_data.pool', actionType: 'scale_up', parameters: { count: 3 } },
      'fail-2',
    );
    const svc = again!;
    const { state, recovery } = await recoveryOf(svc, actionId);
    expect(state.differences).toEqual([
      expect.objectContaining({
        address: 'terraform_data.pool[2]',
        action: 'delete',
        terraform_reason: 'delete_because_count_index',
        tainted: true,
      }),
    ]);
    expect(state.summary).toMatch(/pool\[2\]: delete — tainted and in the state but not in the configuration/);
    expect(recovery?.status).toBe('awaiting_approval');
    await svc.executor.submitVerdict({
      actionId: recovery!.id,
      verdict: 'approve',
      channel: 'rest',
      actor: 'tester',
      planSha256: recovery!.planSha256!,
    });
    await svc.executor.idle();
    expect(await stateList(dir)).toEqual(['terraform_data.pool[0]', 'terraform_data.pool[1]']);
  });

  it('state matches the files (approved, never started): recorded as matches, no recovery proposed', async () => {
    h = await startWithDeployments({ web: MARKED_POOL });
    const { decisionId } = seedDecision(h.service.db, {
      runId: 'web',
      address: 'terraform_data.pool',
      actionType: 'scale_up',
      parameters: { count: 3 },
    });
    h.service.executor.prepare(decisionId);
    await h.service.executor.idle();
    const id = (h.service.db.prepare('SELECT id FROM actions WHERE decision_id = ?').get(decisionId) as { id: string })
      .id;
    h.service.db.prepare("UPDATE actions SET status = 'approved' WHERE id = ?").run(id);
    const config = h.service.config;
    await h.service.stop();
    again = await startTestService(config);
    await again.executor.idle();
    const state = interruptedStateOf(again.actions.get(id)!.result)!;
    expect(state).toMatchObject({ outcome: 'matches', differences: [], recovery_decision_id: null });
    expect(again.db.prepare("SELECT COUNT(*) AS n FROM decisions WHERE action_type = 'rollback'").get()).toEqual({
      n: 0,
    });
  });

  it('files changed by a person since the last revision: the differences are recorded, no recovery would overwrite the edit', async () => {
    const edit = 'resource "terraform_data" "extra" {}\n';
    const { dir, actionId } = await crashMidApply(
      { address: 'terraform_data.pool', actionType: 'scale_up', parameters: { count: 3 } },
      'fail-2',
      (d) => writeFileSync(path.join(d, 'extra.tf'), edit),
    );
    const svc = again!;
    const state = interruptedStateOf(svc.actions.get(actionId)!.result)!;
    expect(state.outcome).toBe('differs');
    expect(state.differences.map((x) => `${x.address} ${x.action}`).sort()).toEqual([
      'terraform_data.extra create',
      'terraform_data.pool[2] delete',
    ]);
    expect(state.recovery_decision_id).toBeNull();
    expect(state.note).toMatch(/extra\.tf changed since revision/);
    expect(svc.db.prepare("SELECT COUNT(*) AS n FROM decisions WHERE action_type = 'rollback'").get()).toEqual({
      n: 0,
    });
    expect(readFileSync(path.join(dir, 'extra.tf'), 'utf8')).toBe(edit);
  });
});
