/**
 * The BUILT service SIGKILLed in the middle of an apply — while a create-time provisioner runs —
 * then started again on the same database and runs dir. Real Terraform (terraform_data,
 * local-exec) and real processes:
 *  - no handler of the killed service runs, yet Terraform and every grandchild (the provisioner's
 *    sleep, one that ignores SIGINT included) end; Terraform stops gracefully (lock released,
 *    the half-created instance recorded tainted);
 *  - after the restart the action is `interrupted`, `interrupted_state` on GET /ops/actions/:id
 *    names the tainted / partial instances (also in the ledger), and a recovery — a rollback
 *    re-applying the last revision — waits for approval;
 *  - approving it converges: a final plan shows no changes and the files are untouched.
 * Variants: killed during a create (scale-up), during a replace (restart), and during the
 * provisioner of one count instance while another one finished. Needs `npm run build`.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../e2e/stack.js';
import { snapshot } from '../helpers/executor-harness.js';
import {
  alive,
  deployment,
  explain,
  lockIsFree,
  planExitCode,
  processesIn,
  services,
  stateAddresses,
  type ActionItem,
} from './crash-harness.js';
import type { ServiceProcess } from './service-process.js';
import { Tally } from './tally.js';

/** Each pool's instance N runs a 300 s provisioner while `hold-<pool>-N` exists in the run dir. */
const FILES: Record<string, string> = {
  'main.tf': `resource "terraform_data" "slow" {
  count = 1
  input = { pool = "slow-pool" }
  provisioner "local-exec" {
    command = "if [ -e hold-slow-\${count.index} ]; then sleep 300; fi"
  }
}

# The held re-create leaves a grandchild that ignores SIGINT (a background job of sh).
resource "terraform_data" "web" {
  count = 1
  input = { pool = "web-pool" }
  provisioner "local-exec" {
    command = "if [ -e hold-web-\${count.index} ]; then sleep 300 >/dev/null 2>&1 & echo $! > grandchild-web; wait; fi"
  }
}

resource "terraform_data" "batch" {
  count = 1
  input = { pool = "batch-pool" }
  provisioner "local-exec" {
    command = "if [ -e hold-batch-\${count.index} ]; then sleep 300; else touch done-batch-\${count.index}; fi"
  }
}
`,
};

/** Scales by 2, so one scale-up creates two instances. */
const STEP_TWO_POLICY = {
  version: 1,
  allowed_action_types: ['scale_up', 'scale_down', 'restart', 'modify_config', 'rollback', 'no_action'],
  min_confidence: 0.5,
  changeable_attributes: ['count'],
  attributes: { count: { min: 1, max: 10, max_step: 2 } },
  default_step: 2,
  cooldown_seconds: 0,
  max_changed_resources: 4,
};

interface Variant {
  name: string;
  alert: Record<string, string>;
  /** Files that make provisioners sleep during the approved apply. */
  holds: string[];
  /** Before the kill: this must exist (an instance that finished). */
  finished?: string;
  policy?: object;
  left: Array<{ address: string; action: string; tainted: boolean }>;
}

const VARIANTS: Variant[] = [
  {
    name: "killed during a create (scale-up 1 → 2; the new instance's provisioner runs)",
    alert: { alertname: 'NodePoolCPUHigh', pool: 'slow-pool', severity: 'warning' },
    holds: ['hold-slow-1'],
    left: [{ address: 'terraform_data.slow[1]', action: 'delete', tainted: true }],
  },
  {
    name: "killed during a replace (restart; the re-created instance's provisioner leaves a SIGINT-immune grandchild)",
    alert: { alertname: 'WebInstanceDown', pool: 'web-pool', severity: 'critical' },
    holds: ['hold-web-0'],
    left: [{ address: 'terraform_data.web[0]', action: 'replace', tainted: true }],
  },
  {
    name: 'killed during the provisioner of one count instance while another finished (scale-up 1 → 3)',
    alert: { alertname: 'BatchQueueHigh', pool: 'batch-pool', severity: 'warning' },
    holds: ['hold-batch-2'],
    finished: 'done-batch-1',
    policy: STEP_TWO_POLICY,
    left: [
      { address: 'terraform_data.batch[1]', action: 'delete', tainted: false },
      { address: 'terraform_data.batch[2]', action: 'delete', tainted: true },
    ],
  },
];

interface Detail {
  status: string;
  action_type: string;
  plan_sha256: string | null;
  plan_summary: Array<{ address: string; action: string }> | null;
  interrupted_state: null | {
    outcome: string;
    summary: string;
    revision_id: string | null;
    recovery_decision_id: string | null;
    differences: Array<{ address: string; action: string; tainted: boolean }>;
  };
  ledger: Array<{ kind: string }>;
}

const tally = new Tally('crashes: SIGKILL mid-apply, restart, recovery');

describe('resilience: the service SIGKILLed mid-apply, then restarted', () => {
  const svc = services();
  afterEach(() => svc.stopAll());

  async function list(s: ServiceProcess): Promise<ActionItem[]> {
    return (await s.api<{ items: ActionItem[] }>('/ops/actions?run_id=crash&limit=50')).body.items;
  }

  async function killMidApply(v: Variant) {
    const { ws, runDir } = await deployment('crash', FILES);
    const env: Record<string, string> = {};
    if (v.policy) {
      env.POLICY_FILE = path.join(ws.root, 'policy.json');
      writeFileSync(env.POLICY_FILE, JSON.stringify(v.policy));
    }
    const files = snapshot(runDir);
    const before = (await stateAddresses(runDir)).sort();
    const first = await svc.start(ws, env);
    expect(await first.alert(v.alert)).toBe(202);
    const pending = await waitFor(
      'the action to await approval',
      async () => (await list(first)).find((a) => a.status === 'awaiting_approval'),
      90_000,
    ).catch(explain(first));
    for (const h of v.holds) writeFileSync(path.join(runDir, h), '');
    expect(
      (await first.api(`/ops/approve/${pending.id}`, { method: 'POST', body: { actor: 'crash-test' } })).status,
    ).toBe(200);
    await waitFor(
      'the held provisioner to run',
      () => (processesIn(runDir, 'sleep').length > 0 ? true : undefined),
      90_000,
    ).catch(explain(first));
    if (v.finished)
      await waitFor(
        `${v.finished}`,
        () => (existsSync(path.join(runDir, v.finished as string)) ? true : undefined),
        60_000,
      );
    // Everything that must die with the service: terraform and the provisioners' processes.
    const doomed = [...processesIn(runDir, 'terraform'), ...processesIn(runDir, 'sleep'), ...processesIn(runDir, 'sh')];
    const grandchild = path.join(runDir, 'grandchild-web');
    if (existsSync(grandchild)) doomed.push(Number(readFileSync(grandchild, 'utf8')));
    expect(doomed.length).toBeGreaterThan(1);
    await first.kill();
    return { ws, runDir, env, files, before, pending, doomed };
  }

  for (const v of VARIANTS) {
    it(
      v.name,
      async () => {
        const { ws, runDir, env, files, before, pending, doomed } = await killMidApply(v);

        const ended = await waitFor(
          'terraform and every grandchild to end',
          () => (doomed.every((p) => !alive(p)) ? true : undefined),
          90_000,
        ).catch(() => false);
        tally.record('Terraform and its grandchildren end with the SIGKILLed service', ended, v.name);
        expect(doomed.filter(alive)).toEqual([]);
        // Terraform got one SIGINT and stopped gracefully: lock released, no lock info left.
        expect(existsSync(path.join(runDir, '.terraform.tfstate.lock.info'))).toBe(false);
        const lock = await lockIsFree(runDir);
        expect(lock.free, lock.output).toBe(true);
        expect(snapshot(runDir)).toEqual(files);

        const again = await svc.start(ws, env);
        const detail = await waitFor(
          'the interrupted state to be recorded',
          async () => {
            const d = (await again.api<Detail>(`/ops/actions/${pending.id}`)).body;
            return d.interrupted_state !== null ? d : undefined;
          },
          90_000,
        ).catch(explain(again));
        expect(detail.status).toBe('interrupted');
        expect(again.log.text).toMatch(new RegExp(`"level":50[^\\n]*${pending.id}`));
        const state = detail.interrupted_state!;
        const left = state.differences
          .map((d) => ({ address: d.address, action: d.action, tainted: d.tainted }))
          .sort((a, b) => a.address.localeCompare(b.address));
        const inLedger = detail.ledger.some((e) => e.kind === 'action.interrupted_state');
        tally.record(
          'half-applied state recorded on the action and in the ledger',
          state.outcome === 'differs' && JSON.stringify(left) === JSON.stringify(v.left) && inLedger,
          v.name,
        );
        expect(state.outcome).toBe('differs');
        expect(left).toEqual(v.left);
        for (const d of v.left) expect(state.summary).toContain(d.address);
        expect(state.summary).toContain('tainted');
        expect(inLedger).toBe(true);

        // The recovery: a rollback re-applying the last revision, waiting for a human.
        const recovery = await waitFor(
          'the recovery to await approval',
          async () => {
            const a = (await list(again)).find((x) => x.decision_id === state.recovery_decision_id);
            return a?.status === 'awaiting_approval' ? a : undefined;
          },
          90_000,
        ).catch(explain(again));
        const plan = (await again.api<Detail>(`/ops/actions/${recovery.id}`)).body;
        const planned = plan.plan_summary?.map((i) => `${i.address} ${i.action}`).sort();
        const wanted = v.left.map((l) => `${l.address} ${l.action}`);
        tally.record(
          'recovery proposed and waiting for approval',
          recovery.action_type === 'rollback' && JSON.stringify(planned) === JSON.stringify(wanted),
          v.name,
        );
        expect(recovery.action_type).toBe('rollback');
        expect(planned).toEqual(wanted);

        for (const h of v.holds) rmSync(path.join(runDir, h));
        const approved = await again.api(`/ops/approve/${recovery.id}`, {
          method: 'POST',
          body: { actor: 'crash-test', plan_sha256: plan.plan_sha256 },
        });
        expect(approved.status).toBe(200);
        await waitFor(
          'the recovery to be applied',
          async () => {
            const a = (await list(again)).find((x) => x.id === recovery.id);
            return a && ['applied', 'effective', 'ineffective'].includes(a.status) ? a : undefined;
          },
          90_000,
        ).catch(explain(again));
        const final = await planExitCode(runDir);
        const after = (await stateAddresses(runDir)).sort();
        tally.record(
          'approved recovery converges (final plan: no changes, files untouched)',
          final.code === 0 &&
            JSON.stringify(after) === JSON.stringify(before) &&
            JSON.stringify(snapshot(runDir)) === JSON.stringify(files),
          v.name,
        );
        expect(final.code, final.output).toBe(0);
        expect(after).toEqual(before);
        expect(snapshot(runDir)).toEqual(files);
        expect(processesIn(runDir, 'sleep')).toEqual([]);
        // Never retried: the interrupted action stays interrupted.
        expect((await again.api<Detail>(`/ops/actions/${pending.id}`)).body.status).toBe('interrupted');
      },
      300_000,
    );
  }

  it('prints the tally', () => {
    tally.print();
    expect(tally.failures()).toEqual([]);
  });
});
