/**
 * Executor overhead: wall time of one approved scale action (prepare → approve → applied, with
 * staging, fmt, validate, plan, show, gate, backup, apply, revision and registry re-sync) against
 * bare `terraform plan -out` + `terraform apply <plan>` on the same directory, interleaved in the
 * same run. Prints medians and the overhead. Usage: npm run bench:executor [-- <repetitions>]
 */
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config/config.js';
import { compose, type Service } from '../src/main.js';
import { silentLogger } from '../src/shared/logger.js';

const REPS = Number(process.argv[2] ?? 7);
const ENV = { TF_IN_AUTOMATION: '1', TF_INPUT: '0', CHECKPOINT_DISABLE: '1', TF_CLI_CONFIG_FILE: '/dev/null' };
const MAIN = (count: number) => `resource "terraform_data" "pool" {
  count = ${count}
  input = { node_count = 2, machine_type = "e2-small" }
}
`;

async function tf(dir: string, args: string[]): Promise<void> {
  const r = await execa('terraform', args, { cwd: dir, env: ENV, reject: false });
  if (r.exitCode !== 0) throw new Error(`terraform ${args.join(' ')}: ${String(r.stderr)}`);
}

function seedDecision(s: Service, n: number, count: number): string {
  const now = new Date().toISOString();
  s.db
    .prepare(
      `INSERT INTO incidents (id, incident_key, run_id, resource_address, alertname, status, opened_at, updated_at)
    VALUES (?, ?, 'bench', 'terraform_data.pool', 'HighCPU', 'open', ?, ?)`,
    )
    .run(`inc_${n}`, `k${n}`, now, now);
  s.db
    .prepare(
      `INSERT INTO decisions (id, incident_id, run_id, resource_address, action_type, resource_id, parameters_json,
    confidence, reason, source, status, created_at, updated_at)
    VALUES (?, ?, 'bench', 'terraform_data.pool', 'scale_up', 'pool', ?, 0.9, 'bench', 'rules', 'accepted', ?, ?)`,
    )
    .run(`dec_${n}`, `inc_${n}`, JSON.stringify({ count }), now, now);
  return `dec_${n}`;
}

async function executorOnce(s: Service, n: number, count: number): Promise<number> {
  const t0 = performance.now();
  const decisionId = seedDecision(s, n, count);
  s.executor.prepare(decisionId);
  await s.executor.idle();
  const { id } = s.db.prepare('SELECT id FROM actions WHERE decision_id = ?').get(decisionId) as { id: string };
  const r = await s.executor.submitVerdict({ actionId: id, verdict: 'approve', channel: 'policy', actor: 'bench' });
  await s.executor.idle();
  const ms = performance.now() - t0;
  const status = s.actions.get(id)?.status;
  if (!r.ok || status !== 'applied')
    throw new Error(`action ${id} ended ${status ?? '?'}: ${s.actions.get(id)?.statusReason ?? ''}`);
  return ms;
}

async function bareOnce(dir: string, count: number): Promise<number> {
  writeFileSync(path.join(dir, 'main.tf'), MAIN(count));
  const t0 = performance.now();
  await tf(dir, ['plan', '-input=false', '-no-color', '-out=bare.tfplan']);
  await tf(dir, ['apply', '-input=false', '-no-color', 'bare.tfplan']);
  return performance.now() - t0;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

async function main(): Promise<void> {
  const root = mkdtempSync(path.join(tmpdir(), 'infraai-bench-exec-'));
  const runsDir = path.join(root, 'runs');
  const dir = path.join(runsDir, 'bench');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'main.tf'), MAIN(1));
  await tf(dir, ['apply', '-auto-approve', '-input=false']);
  const policy = path.join(root, 'policy.json');
  writeFileSync(
    policy,
    JSON.stringify({
      allowed_action_types: ['scale_up'],
      min_confidence: 0.1,
      changeable_attributes: ['count'],
      attributes: { count: { min: 1, max: 1000, max_step: 4 } },
      cooldown_seconds: 0,
      max_changed_resources: 10,
    }),
  );
  const config = loadConfig({
    DATABASE_PATH: path.join(root, 'data', 'db.sqlite'),
    RUNS_DIR: runsDir,
    POLICY_FILE: policy,
    LOG_LEVEL: 'silent',
  });
  const service = await compose(config, { logger: silentLogger });
  await service.start();
  const exec: number[] = [];
  const bare: number[] = [];
  let count = 1;
  // One warm-up of each, not counted (first wasm load, first registry sync of the deployment).
  for (let i = -1; i < REPS; i++) {
    const e = await executorOnce(service, i + 10, ++count);
    const b = await bareOnce(dir, ++count);
    // The registry must know about the bare apply's instances before the next action (not timed).
    await service.registrySync.syncOne('bench');
    if (i >= 0) {
      exec.push(e);
      bare.push(b);
    }
  }
  await service.stop();
  rmSync(root, { recursive: true, force: true });
  const me = median(exec);
  const mb = median(bare);
  console.log(JSON.stringify({ repetitions: REPS, executorMs: exec.map(Math.round), bareMs: bare.map(Math.round) }));
  console.log(`median executor (prepare → approve → applied): ${me.toFixed(0)} ms`);
  console.log(`median bare plan -out + apply:               ${mb.toFixed(0)} ms`);
  console.log(`overhead: ${(me - mb).toFixed(0)} ms, ratio ${(me / mb).toFixed(2)}×  (aim: ≤ 500 ms or ≤ 1.3×)`);
}

await main();
