/**
 * Real-terraform test deployments (terraform_data only, offline) and the rows an executor test
 * needs: an incident and a proposed decision. The service under test is the real compose() graph.
 */
import { execa } from 'execa';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import type { Db } from '../../src/db/connection/database.js';
import { SqliteAlertStore } from '../../src/db/alerts/sqlite-alert-store.js';
import { SqliteDecisionStore } from '../../src/db/decisions/sqlite-decision-store.js';
import type { DecisionRecord } from '../../src/decisions/decision-store.js';
import { SqliteLedger } from '../../src/db/ledger/sqlite-ledger.js';
import type { Overrides, Service } from '../../src/main.js';
import { listConfigFiles } from '../../src/terraform/workspace-fs.js';
import { startTestService, tempWorkspace, testConfig } from './service.js';

const TF_ENV = { TF_IN_AUTOMATION: '1', TF_INPUT: '0', CHECKPOINT_DISABLE: '1', TF_CLI_CONFIG_FILE: '/dev/null' };

/** Runs terraform directly (the "someone else" in stale-plan tests, and state checks). */
export async function tf(
  dir: string,
  args: string[],
): Promise<{ exitCode: number | undefined; stdout: string; stderr: string }> {
  const r = await execa('terraform', args, { cwd: dir, env: TF_ENV, reject: false });
  return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
}

export async function stateList(dir: string): Promise<string[]> {
  const r = await tf(dir, ['state', 'list']);
  return r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .sort();
}

/** Config file bytes keyed by name: compare two snapshots to prove a dir is byte-identical. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of listConfigFiles(dir)) out[n] = readFileSync(path.join(dir, n)).toString('base64');
  return out;
}

export function stateBytes(dir: string): string {
  const f = path.join(dir, 'terraform.tfstate');
  return existsSync(f) ? readFileSync(f, 'utf8') : '';
}

/** A policy that allows every action type used in tests, with roomy bounds. */
export const TEST_POLICY = {
  version: 1,
  allowed_action_types: ['scale_up', 'scale_down', 'restart', 'modify_config', 'rollback', 'no_action'],
  min_confidence: 0.1,
  changeable_attributes: ['count', 'node_count', 'machine_type', 'workers'],
  attributes: { count: { min: 1, max: 10, max_step: 4 }, machine_type: { allowed_values: ['e2-small', 'e2-medium'] } },
  cooldown_seconds: 0,
  max_changed_resources: 4,
};

export interface Harness {
  service: Service;
  runsDir: string;
  root: string;
  runDir(runId: string): string;
}

/** Writes each deployment, applies it with terraform, then starts the service (which syncs the registry). */
export async function startWithDeployments(
  deployments: Record<string, Record<string, string>>,
  extraEnv: Record<string, string> = {},
  overrides: Overrides = {},
  /** Extra `terraform apply` arguments per deployment when seeding (e.g. its `-var-file`). */
  seedArgs: Record<string, string[]> = {},
): Promise<Harness> {
  const ws = tempWorkspace('infraai-exec-');
  const policyFile = path.join(ws.root, 'policy.json');
  writeFileSync(policyFile, JSON.stringify(TEST_POLICY));
  for (const [runId, files] of Object.entries(deployments)) {
    const dir = path.join(ws.runsDir, runId);
    mkdirSync(dir, { recursive: true });
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), text);
    }
    // Local modules must be installed before anything can plan.
    if (Object.keys(files).some((n) => n.includes('/')) || Object.values(files).some((t) => /\bmodule\s+"/.test(t))) {
      const init = await tf(dir, ['init', '-input=false', '-no-color']);
      if (init.exitCode !== 0) throw new Error(`initialising ${runId}: ${init.stderr}`);
    }
    const r = await tf(dir, ['apply', '-auto-approve', '-input=false', '-no-color', ...(seedArgs[runId] ?? [])]);
    if (r.exitCode !== 0) throw new Error(`seeding ${runId}: ${r.stderr}`);
  }
  const config = testConfig({ POLICY_FILE: policyFile, ...extraEnv }, ws);
  const service = await startTestService(config, overrides);
  return { service, runsDir: ws.runsDir, root: ws.root, runDir: (id) => path.join(ws.runsDir, id) };
}

let seq = 0;

/** What a seeded decision proposes; reason and confidence default to a plain test decision. */
export interface SeedDecision {
  runId: string;
  address: string;
  actionType: string;
  parameters: Record<string, unknown>;
  reason?: string;
  confidence?: number;
  /** Default 'proposed'; a blocked decision carries its policy verdict. */
  status?: DecisionRecord['status'];
  policyVerdict?: DecisionRecord['policyVerdict'];
}

/**
 * Opens an incident and records a proposed decision for it through the production stores (the
 * same writes intake and the decision service make); returns the decision id.
 */
export function seedDecision(db: Db, d: SeedDecision): { decisionId: string; incidentId: string } {
  seq += 1;
  const n = `${process.pid}_${seq}_${Math.random().toString(36).slice(2, 8)}`;
  const incidentId = `inc_${n}`;
  new SqliteAlertStore(db).insertIncident({
    id: incidentId,
    incidentKey: `${d.runId}|${d.address}|HighCPU`,
    openedAt: new Date().toISOString(),
    runId: d.runId,
    resourceAddress: d.address,
    resourceKey: d.address,
    alertname: 'HighCPU',
    lookupStatus: 'matched',
    lookupReason: null,
  });
  return { decisionId: recordDecision(db, incidentId, d), incidentId };
}

/** Records a proposed decision for an existing incident through the production decision store. */
export function recordDecision(db: Db, incidentId: string, d: SeedDecision): string {
  seq += 1;
  const decisionId = `dec_${process.pid}_${seq}_${Math.random().toString(36).slice(2, 8)}`;
  const inserted = new SqliteDecisionStore(db, new SqliteLedger(db), new SqliteAlertStore(db)).insert(
    {
      id: decisionId,
      incidentId,
      runId: d.runId,
      resourceAddress: d.address,
      actionType: d.actionType,
      resourceId: d.address,
      parameters: d.parameters,
      confidence: d.confidence ?? 0.9,
      reason: d.reason ?? 'test',
      source: 'rules',
      status: d.status ?? 'proposed',
      policyVerdict: d.policyVerdict ?? null,
      model: null,
      prompt: null,
      response: null,
      latencyMs: null,
      promptTokens: null,
      outputTokens: null,
      error: null,
      createdAt: new Date().toISOString(),
    },
    [],
  );
  if (inserted.kind !== 'inserted') throw new Error(`seeding decision: ${inserted.kind}`);
  return decisionId;
}

/** Seeds a decision (or records one for `incidentId`), lets the executor prepare it, and returns the action. */
export async function prepareDecision(h: Harness, d: SeedDecision, incidentId?: string) {
  const seeded =
    incidentId === undefined
      ? seedDecision(h.service.db, d)
      : { decisionId: recordDecision(h.service.db, incidentId, d), incidentId };
  h.service.executor.prepare(seeded.decisionId);
  await h.service.executor.idle();
  const row = h.service.db.prepare('SELECT id FROM actions WHERE decision_id = ?').get(seeded.decisionId) as {
    id: string;
  };
  const action = h.service.actions.get(row.id);
  if (!action) throw new Error('no action');
  return { action, incidentId: seeded.incidentId };
}

export async function approve(h: Harness, actionId: string, planSha256?: string) {
  const r = await h.service.executor.submitVerdict({
    actionId,
    verdict: 'approve',
    channel: 'rest',
    actor: 'tester',
    ...(planSha256 ? { planSha256 } : {}),
  });
  await h.service.executor.idle();
  return r;
}

/** Worker pool: count-scaled terraform_data with an input object; instances >= fail_from fail on create. */
export function poolDeployment(failFrom = 100): Record<string, string> {
  return {
    'main.tf': `# Worker pool (test deployment)
variable "fail_from" {
  type    = number
  default = ${failFrom}
}

resource "terraform_data" "pool" {
  count = 2 # scaled by InfraAI

  input = {
    node_count   = 2
    machine_type = "e2-small"
  }

  provisioner "local-exec" {
    command = "test \${count.index} -lt \${var.fail_from}"
  }
}

resource "terraform_data" "other" {
  input = "steady"
}
`,
  };
}

/** A deployment whose variable validation (≤ 3 workers) makes a scale to 4 fail until a fix relaxes it. */
export const VALIDATED_WORKERS = {
  'main.tf': `variable "workers" {
  type    = number
  default = 2
  validation {
    condition     = var.workers <= 3
    error_message = "At most 3 workers."
  }
}

resource "terraform_data" "workers" {
  count = var.workers
}
`,
};
