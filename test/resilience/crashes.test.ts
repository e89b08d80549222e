/**
 * SIGKILL of the BUILT service during prepare and during a rollback, then a restart on the same
 * database and runs dir: recorded states, the run dir's config bytes, Terraform's state lock,
 * the recovery of what the cut-short rollback left, and a new action on the deployment.
 * (crash-apply-recovery.test.ts: killed mid-apply; executor-recovery.test.ts: in-process variants.)
 * Needs `npm run build`.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT, waitFor } from '../e2e/stack.js';
import { snapshot } from '../helpers/executor-harness.js';
import {
  actionOn,
  deployment,
  explain,
  lockIsFree,
  planExitCode,
  processesIn,
  services,
  type ActionItem,
} from './crash-harness.js';
import type { ServiceProcess } from './service-process.js';

const STALL = path.join(ROOT, 'test', 'fixtures', 'terraform-stall.sh');

/** terraform_data only. `slow` instances past index 0 take 120 s to create (holding the state lock); `batch` ones fail. */
const FILES: Record<string, string> = {
  'main.tf': `resource "terraform_data" "slow" {
  count = 1
  input = { pool = "slow-pool" }
  provisioner "local-exec" {
    command = "[ \${count.index} -lt 1 ] || sleep 120"
  }
}

resource "terraform_data" "batch" {
  count = 1
  input = { pool = "batch-pool" }
  provisioner "local-exec" {
    command = "test \${count.index} -lt 1"
  }
}

resource "terraform_data" "web" {
  count = 1
  input = { pool = "web-pool" }
}

resource "terraform_data" "api" {
  count = 1
  input = { pool = "api-pool" }
}
`,
};

describe('resilience: SIGKILL of the service, then restart', () => {
  const svc = services();
  afterEach(() => svc.stopAll());

  async function setup(phase: 'plan' | 'rollback', stallSeconds: number) {
    // Applied by terraform here, not by the service's bootstrap, so the stall wrapper only sees the phase under test.
    const { ws, runDir } = await deployment('crash', FILES);
    const marker = path.join(ws.root, 'stall-marker');
    const first = await svc.start(ws, {
      TERRAFORM_BIN: STALL,
      TF_STALL_PHASE: phase,
      TF_STALL_MARKER: marker,
      TF_STALL_SECONDS: String(stallSeconds),
    });
    return { ws, runDir, marker, first, restart: () => svc.start(ws) };
  }

  /** After the restart the deployment is not wedged: a new action prepares normally. */
  async function newActionPrepares(s: ServiceProcess): Promise<void> {
    expect(await s.alert({ alertname: 'NodePoolCPUHigh', pool: 'web-pool', severity: 'warning' })).toBe(202);
    await waitFor(
      'a new action on terraform_data.web awaiting approval',
      async () => {
        const { body } = await s.api<{ items: ActionItem[] }>(
          '/ops/actions?run_id=crash&status=awaiting_approval&limit=50',
        );
        return body.items.find((x) => x.target_address === 'terraform_data.web');
      },
      90_000,
    ).catch(explain(s));
  }

  it('killed during prepare (terraform plan): prepare_failed "interrupted", staging removed, run dir untouched, lock free', async () => {
    const { ws, runDir, marker, first, restart } = await setup('plan', 30);
    const files = snapshot(runDir);
    expect(await first.alert({ alertname: 'NodePoolCPUHigh', pool: 'slow-pool', severity: 'warning' })).toBe(202);
    await waitFor('terraform plan to start', () => (existsSync(marker) ? true : undefined));
    const preparing = await actionOn(first, 'crash', 'terraform_data.slow', ['preparing']);
    const staging = path.join(ws.root, 'data', 'staging', preparing.id);
    expect(existsSync(staging)).toBe(true);
    expect(processesIn(staging).length).toBeGreaterThan(0);
    await first.kill();
    // The stalled plan (wrapper script and its sleep) ends with the service, not 30 s later.
    await waitFor(
      "the stalled plan's processes to end",
      () => (processesIn(staging).length === 0 ? true : undefined),
      20_000,
    );

    const again = await restart();
    const a = await actionOn(again, 'crash', 'terraform_data.slow', ['prepare_failed']);
    expect(a.status_reason).toMatch(/interrupted/);
    expect(existsSync(staging)).toBe(false);
    expect(snapshot(runDir)).toEqual(files);
    expect((await lockIsFree(runDir)).free).toBe(true);
    await newActionPrepares(again);
  }, 240_000);

  it('killed during rollback (re-apply after a failed apply): rollback_failed, loudly; files restored; lock free; its recovery converges', async () => {
    const { runDir, marker, first, restart } = await setup('rollback', 30);
    const files = snapshot(runDir);
    expect(await first.alert({ alertname: 'BatchQueueHigh', pool: 'batch-pool', severity: 'warning' })).toBe(202);
    const pending = await actionOn(first, 'crash', 'terraform_data.batch', ['awaiting_approval']);
    expect(
      (await first.api(`/ops/approve/${pending.id}`, { method: 'POST', body: { actor: 'crash-test' } })).status,
    ).toBe(200);
    await waitFor('the rollback re-apply to start', () => (existsSync(marker) ? true : undefined), 90_000);
    await actionOn(first, 'crash', 'terraform_data.batch', ['failed']);
    await first.kill();

    const again = await restart();
    const a = await actionOn(again, 'crash', 'terraform_data.batch', ['rollback_failed', 'interrupted']);
    expect(a.status).toBe('rollback_failed');
    expect(a.status_reason).toMatch(/rollback/);
    expect(again.log.text).toMatch(new RegExp(`"level":50[^\\n]*${a.id}`));
    // The rollback restores the files before re-applying: the config is the original one.
    expect(snapshot(runDir)).toEqual(files);
    expect((await lockIsFree(runDir)).free).toBe(true);
    // The failed apply's instance is still in the state (its provisioner failed: tainted); the
    // re-apply that would have removed it never ran. Recorded, and its recovery proposed.
    const detail = await waitFor(
      'the interrupted state to be recorded',
      async () => {
        const d = (
          await again.api<{
            interrupted_state: {
              recovery_decision_id: string | null;
              differences: Array<{ address: string; action: string; tainted: boolean }>;
            } | null;
          }>(`/ops/actions/${a.id}`)
        ).body;
        return d.interrupted_state ?? undefined;
      },
      90_000,
    ).catch(explain(again));
    expect(detail.differences).toEqual([
      expect.objectContaining({ address: 'terraform_data.batch[1]', action: 'delete', tainted: true }),
    ]);
    const recovery = await actionOn(again, 'crash', 'terraform_data.batch', ['awaiting_approval']);
    expect(recovery.decision_id).toBe(detail.recovery_decision_id);
    expect(
      (await again.api(`/ops/approve/${recovery.id}`, { method: 'POST', body: { actor: 'crash-test' } })).status,
    ).toBe(200);
    await actionOn(again, 'crash', 'terraform_data.batch', ['applied', 'effective', 'ineffective']);
    expect((await planExitCode(runDir)).code).toBe(0);
    expect(snapshot(runDir)).toEqual(files);
    await newActionPrepares(again);
  }, 240_000);
});
