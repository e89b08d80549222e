/**
 * SIGKILL of the BUILT service during prepare, apply and rollback, then a restart on the same
 * database and runs dir: recorded states, the run dir's config bytes, Terraform's state lock,
 * and a new action on the deployment. (executor-recovery.test.ts covers the in-process variants.)
 * Needs `npm run build`.
 */
import { execa } from 'execa';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT, waitFor } from '../e2e/stack.js';
import { snapshot } from '../helpers/executor-harness.js';
import { tempWorkspace } from '../helpers/service.js';
import { startServiceProcess, type ServiceProcess } from './service-process.js';

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

interface ActionItem { id: string; status: string; status_reason: string | null; target_address: string }

/** Pids of terraform processes whose working directory is `dir` (Linux /proc). */
function terraformIn(dir: string): number[] {
  return processesIn(dir, 'terraform');
}

function processesIn(dir: string, comm: string): number[] {
  const pids: number[] = [];
  for (const p of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      if (readFileSync(`/proc/${p}/comm`, 'utf8').trim() === comm && readlinkSync(`/proc/${p}/cwd`) === dir) pids.push(Number(p));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

/** True when another Terraform command can take the state lock right now. */
async function lockIsFree(dir: string): Promise<{ free: boolean; output: string }> {
  const r = await execa('terraform', ['plan', '-lock-timeout=0s', '-input=false', '-no-color'], {
    cwd: dir, env: { TF_CLI_CONFIG_FILE: '/dev/null' }, reject: false,
  });
  return { free: r.exitCode === 0, output: `${r.stdout}\n${r.stderr}` };
}

async function stateAddresses(dir: string): Promise<string[]> {
  const r = await execa('terraform', ['show', '-json', '-no-color'], { cwd: dir, env: { TF_CLI_CONFIG_FILE: '/dev/null' } });
  const parsed = JSON.parse(r.stdout) as { values?: { root_module?: { resources?: Array<{ address: string }> } } };
  return (parsed.values?.root_module?.resources ?? []).map((x) => x.address);
}

async function actionOn(svc: ServiceProcess, address: string, statuses: string[]): Promise<ActionItem> {
  return waitFor(`an action on ${address} in ${statuses.join('|')}`, async () => {
    const { body } = await svc.api<{ items: ActionItem[] }>('/ops/actions?run_id=crash&limit=50');
    const a = body.items.find((x) => x.target_address === address);
    return a && statuses.includes(a.status) ? a : undefined;
  }, 90_000);
}

describe('resilience: SIGKILL of the service, then restart', () => {
  const running: ServiceProcess[] = [];
  afterEach(async () => {
    for (const s of running.splice(0)) await s.stop();
  });

  async function setup(phase: 'plan' | 'apply' | 'rollback', stallSeconds: number) {
    const ws = tempWorkspace('infraai-crash-');
    const runDir = path.join(ws.runsDir, 'crash');
    mkdirSync(runDir, { recursive: true });
    for (const [n, t] of Object.entries(FILES)) writeFileSync(path.join(runDir, n), t);
    // Applied here, not by the service's bootstrap, so the stall wrapper only sees the phase under test.
    const tfEnv = { TF_CLI_CONFIG_FILE: '/dev/null' };
    await execa('terraform', ['init', '-input=false', '-no-color'], { cwd: runDir, env: tfEnv });
    await execa('terraform', ['apply', '-auto-approve', '-input=false', '-no-color'], { cwd: runDir, env: tfEnv });
    const marker = path.join(ws.root, 'stall-marker');
    const start = (stall: boolean) => startServiceProcess({
      dbPath: ws.dbPath, runsDir: ws.runsDir,
      env: stall ? { TERRAFORM_BIN: STALL, TF_STALL_PHASE: phase, TF_STALL_MARKER: marker, TF_STALL_SECONDS: String(stallSeconds) } : {},
    }).then((s) => { running.push(s); return s; });
    const first = await start(true);
    return { ws, runDir, marker, first, restart: () => start(false) };
  }

  /**
   * After the restart the deployment is not wedged. With `leftover` (an instance the cut-short
   * apply half-created), the plan gate first refuses the unexpected delete — a human converges
   * the deployment — and then a new action prepares normally.
   */
  async function newActionPrepares(svc: ServiceProcess, runDir: string, leftover?: string): Promise<void> {
    const dump = async (err: unknown) => {
      const actions = await svc.api('/ops/actions?limit=50');
      throw new Error(`${String(err)}\nactions: ${JSON.stringify(actions.body)}\nlog: ${svc.log.text.slice(-4000)}`);
    };
    if (leftover !== undefined) {
      expect(await svc.alert({ alertname: 'NodePoolCPUHigh', pool: 'web-pool', severity: 'warning' })).toBe(202);
      const refused = await actionOn(svc, 'terraform_data.web', ['prepare_failed', 'awaiting_approval']).catch(dump);
      expect(refused.status).toBe('prepare_failed');
      expect(refused.status_reason).toContain(`plan gate refused: ${leftover}`);
      await execa('terraform', ['apply', '-auto-approve', '-input=false'], { cwd: runDir, env: { TF_CLI_CONFIG_FILE: '/dev/null' } });
    }
    // A resource with no failed action yet (a refused one starts a cooldown on its resource).
    const pool = leftover === undefined ? 'web-pool' : 'api-pool';
    const address = leftover === undefined ? 'terraform_data.web' : 'terraform_data.api';
    expect(await svc.alert({ alertname: 'NodePoolCPUHigh', pool, severity: 'warning' })).toBe(202);
    await waitFor(`a new action on ${address} awaiting approval`, async () => {
      const { body } = await svc.api<{ items: ActionItem[] }>('/ops/actions?run_id=crash&status=awaiting_approval&limit=50');
      return body.items.find((x) => x.target_address === address);
    }, 90_000).catch(dump);
  }

  it('killed during prepare (terraform plan): prepare_failed "interrupted", staging removed, run dir untouched, lock free', async () => {
    const { ws, runDir, marker, first, restart } = await setup('plan', 30);
    const files = snapshot(runDir);
    expect(await first.alert({ alertname: 'NodePoolCPUHigh', pool: 'slow-pool', severity: 'warning' })).toBe(202);
    await waitFor('terraform plan to start', () => (existsSync(marker) ? true : undefined));
    const preparing = await actionOn(first, 'terraform_data.slow', ['preparing']);
    const staging = path.join(ws.root, 'data', 'staging', preparing.id);
    expect(existsSync(staging)).toBe(true);
    await first.kill();

    const again = await restart();
    const a = await actionOn(again, 'terraform_data.slow', ['prepare_failed']);
    expect(a.status_reason).toMatch(/interrupted/);
    expect(existsSync(staging)).toBe(false);
    expect(snapshot(runDir)).toEqual(files);
    expect((await lockIsFree(runDir)).free).toBe(true);
    await newActionPrepares(again, runDir);
  }, 240_000);

  it('killed during apply: terraform dies with the service, lock free, action interrupted (error level, not retried)', async () => {
    const { runDir, marker, first, restart } = await setup('apply', 0);
    const files = snapshot(runDir);
    expect(await first.alert({ alertname: 'NodePoolCPUHigh', pool: 'slow-pool', severity: 'warning' })).toBe(202);
    const pending = await actionOn(first, 'terraform_data.slow', ['awaiting_approval']);
    expect((await first.api(`/ops/approve/${pending.id}`, { method: 'POST', body: { actor: 'crash-test' } })).status).toBe(200);
    await waitFor('terraform apply to start', () => (existsSync(marker) ? true : undefined));
    // The new instance's provisioner runs for 120 s: terraform is mid-apply, holding the state lock.
    await waitFor('the apply to hold the state lock', () => (existsSync(path.join(runDir, '.terraform.tfstate.lock.info')) ? true : undefined));
    await waitFor('the slow provisioner to run', () => (processesIn(runDir, 'sleep').length > 0 ? true : undefined));
    expect(terraformIn(runDir).length).toBeGreaterThan(0);
    await first.kill();

    // A terraform outliving the service would hold the lock (and keep changing infrastructure) unseen.
    await waitFor('terraform to stop with the service', () => (terraformIn(runDir).length === 0 ? true : undefined), 30_000);
    const again = await restart();
    const a = await actionOn(again, 'terraform_data.slow', ['interrupted']);
    expect(a.status_reason).toMatch(/stopped while applying/);
    expect(again.log.text).toMatch(new RegExp(`"level":50[^\\n]*${a.id}`));
    expect(snapshot(runDir)).toEqual(files);
    // Terraform got one SIGINT and shut down gracefully: lock released (no stale info file) and
    // the half-created instance recorded in state (a SIGPIPE/SIGKILL death loses both).
    expect(existsSync(path.join(runDir, '.terraform.tfstate.lock.info'))).toBe(false);
    expect(await stateAddresses(runDir)).toContain('terraform_data.slow[1]');
    const lock = await lockIsFree(runDir);
    expect(lock.free, lock.output).toBe(true);
    await newActionPrepares(again, runDir, 'terraform_data.slow[1]');
    // Never retried: still interrupted once the new action has been prepared.
    expect((await again.api<{ status: string }>(`/ops/actions/${a.id}`)).body.status).toBe('interrupted');
  }, 240_000);

  it('killed during rollback (re-apply after a failed apply): rollback_failed, loudly; files restored; lock free', async () => {
    const { runDir, marker, first, restart } = await setup('rollback', 30);
    const files = snapshot(runDir);
    expect(await first.alert({ alertname: 'BatchQueueHigh', pool: 'batch-pool', severity: 'warning' })).toBe(202);
    const pending = await actionOn(first, 'terraform_data.batch', ['awaiting_approval']);
    expect((await first.api(`/ops/approve/${pending.id}`, { method: 'POST', body: { actor: 'crash-test' } })).status).toBe(200);
    await waitFor('the rollback re-apply to start', () => (existsSync(marker) ? true : undefined), 90_000);
    await actionOn(first, 'terraform_data.batch', ['failed']);
    await first.kill();

    const again = await restart();
    const a = await actionOn(again, 'terraform_data.batch', ['rollback_failed', 'interrupted']);
    expect(a.status).toBe('rollback_failed');
    expect(a.status_reason).toMatch(/rollback/);
    expect(again.log.text).toMatch(new RegExp(`"level":50[^\\n]*${a.id}`));
    // The rollback restores the files before re-applying: the config is the original one.
    expect(snapshot(runDir)).toEqual(files);
    expect((await lockIsFree(runDir)).free).toBe(true);
    await newActionPrepares(again, runDir, 'terraform_data.batch[1]');
  }, 240_000);
});
