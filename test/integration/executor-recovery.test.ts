import { execa } from 'execa';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestService, testConfig } from '../helpers/service.js';
import type { Service } from '../../src/main.js';
import { poolDeployment, seedDecision, snapshot, startWithDeployments, stateBytes, type Harness } from '../helpers/executor-harness.js';

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
    const { decisionId } = seedDecision(h.service.db, { runId: 'web', address: 'terraform_data.pool', actionType: 'scale_up', parameters: { count: 3 } });
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

    again = await startTestService(testConfig({ POLICY_FILE: config.policyFile ?? '' }, {
      root: path.dirname(path.dirname(config.databasePath)), runsDir: config.runsDir, dbPath: config.databasePath,
    }));
    const a = again.actions.get(actionId)!;
    expect(a.status).toBe('prepare_failed');
    expect(a.statusReason).toBe('interrupted by restart');
    expect(existsSync(path.join(stagingRoot, actionId))).toBe(false);
    expect(snapshot(dir)).toEqual(files);
    expect(stateBytes(dir)).toBe(state);
    // The deployment is free again: a new decision prepares normally.
    const { decisionId: d2 } = seedDecision(again.db, { runId: 'web', address: 'terraform_data.pool', actionType: 'scale_up', parameters: { count: 3 } });
    again.executor.prepare(d2);
    await again.executor.idle();
    expect(again.actions.list({ runId: 'web', status: 'awaiting_approval', limit: 5, offset: 0 }).total).toBe(1);
  });

  it('an action left applying or approved is marked interrupted on restart and never retried', async () => {
    h = await startWithDeployments({ web: poolDeployment() });
    const { decisionId } = seedDecision(h.service.db, { runId: 'web', address: 'terraform_data.pool', actionType: 'scale_up', parameters: { count: 3 } });
    h.service.executor.prepare(decisionId);
    await h.service.executor.idle();
    const id = (h.service.db.prepare('SELECT id FROM actions WHERE decision_id = ?').get(decisionId) as { id: string }).id;
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
