/**
 * Issue 13 §2, the plan gate on real shapes, through real Terraform and the local cloud provider:
 * the deployment is applied into the local cloud, a decision is recorded, the executor (compose()
 * graph) edits the HCL in a staging copy and plans with refresh, and the gate decides. Covers a
 * forced replacement refused with its reason, drift refused with the state and cloud values, a
 * stop/start change shown as disruptive, and a group restart the policy opted in to.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Service } from '../../src/main.js';
import { silentLogger } from '../../src/shared/logger.js';
import { CliTerraformRunner } from '../../src/terraform/cli-terraform-runner.js';
import { renderActionMessage } from '../../src/approvals/message.js';
import { parsePlanSummary } from '../../src/db/actions/sqlite-approval-view.js';
import { prepareDecision, TEST_POLICY, type Harness } from '../helpers/executor-harness.js';
import { GOOGLE_PROVIDER, type LocalCloud, withLocalCloud } from '../helpers/local-cloud.js';
import { startTestService, tempWorkspace, testConfig } from '../helpers/service.js';

interface Env {
  cloud: LocalCloud;
  service: Service;
  harness: Harness;
}

const POLICY = {
  ...TEST_POLICY,
  changeable_attributes: ['node_count', 'max_pods_per_node', 'machine_type'],
  attributes: {
    node_count: { min: 1, max: 10, max_step: 4 },
    max_pods_per_node: { min: 8, max: 256 },
    machine_type: { allowed_values: ['e2-small', 'e2-medium'] },
  },
};

/** Applies `main.tf` into the local cloud as run `runId`, then starts the service with `policy`. */
async function deploy(runId: string, mainTf: string, policy: Record<string, unknown> = POLICY): Promise<Env> {
  const cloud = withLocalCloud();
  const ws = tempWorkspace('infraai-shapes-gate-');
  const dir = path.join(ws.runsDir, runId);
  cloud.write({ 'main.tf': mainTf }, dir);
  for (const args of [['init'], ['apply', '-auto-approve']]) {
    const r = await cloud.tf(args, { cwd: dir });
    if (r.code !== 0) throw new Error(`terraform ${args[0]} of ${runId}: ${r.stderr}`);
  }
  const policyFile = path.join(ws.root, 'policy.json');
  writeFileSync(policyFile, JSON.stringify(policy));
  const terraform = new CliTerraformRunner({
    bin: 'terraform',
    lockTimeoutSeconds: 30,
    logger: silentLogger,
    baseEnv: { ...process.env, ...cloud.env },
  });
  const service = await startTestService(testConfig({ POLICY_FILE: policyFile }, ws), {
    terraform,
    decisionModel: null,
  });
  return {
    cloud,
    service,
    harness: { service, runsDir: ws.runsDir, root: ws.root, runDir: (id) => path.join(ws.runsDir, id) },
  };
}

const POOL = `${GOOGLE_PROVIDER}
resource "google_container_cluster" "primary" {
  name                     = "prod"
  location                 = "europe-west1"
  initial_node_count       = 1
  remove_default_node_pool = true
  deletion_protection      = false
}
resource "google_container_node_pool" "web" {
  name              = "web"
  cluster           = google_container_cluster.primary.name
  location          = "europe-west1"
  node_count        = 2
  max_pods_per_node = 110
}
`;

const VM = `${GOOGLE_PROVIDER}
resource "google_compute_instance" "api" {
  name                      = "api"
  machine_type              = "e2-small"
  zone                      = "europe-west1-b"
  allow_stopping_for_update = true
  boot_disk {
    initialize_params { image = "debian-cloud/debian-12" }
  }
  network_interface { network = "default" }
}
`;

interface WireItem {
  address: string;
  action: string;
  disruption?: string;
  warning?: string;
  changes?: Array<{ path: string; before: string; after: string }>;
}

async function detail(env: Env, id: string) {
  const res = await env.service.app.inject({ method: 'GET', url: `/ops/actions/${id}` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as {
    status: string;
    status_reason: string | null;
    plan_summary: WireItem[] | null;
    plan_gate: { ok: boolean; reasons?: string[] };
  };
}

describe('the plan gate on real shapes (real Terraform, local cloud)', () => {
  let env: Env | undefined;
  afterEach(async () => {
    await env?.service.stop();
    env?.cloud.cleanup();
    env = undefined;
  });

  it('a ForceNew edit of a node pool (max_pods_per_node) is refused: it would recreate every node', async () => {
    env = await deploy('gke', POOL);
    const { action } = await prepareDecision(env.harness, {
      runId: 'gke',
      address: 'google_container_node_pool.web',
      actionType: 'modify_config',
      parameters: { max_pods_per_node: 64 },
    });
    expect(action.status).toBe('prepare_failed');
    const reason =
      'google_container_node_pool.web: would destroy and recreate the whole node pool (every node) because max_pods_per_node cannot change in place; allowed only when the policy lists google_container_node_pool.web or google_container_node_pool under disruption.replace';
    expect(action.statusReason).toContain(reason);
    const d = await detail(env, action.id);
    expect(d.plan_gate).toEqual({ ok: false, reasons: [reason] });
    // The refused plan is still shown, marked as what it is.
    expect(d.plan_summary).toContainEqual(
      expect.objectContaining({
        address: 'google_container_node_pool.web',
        action: 'replace',
        disruption: 'replace',
        warning:
          'destroys and recreates the whole node pool (every node) because max_pods_per_node cannot change in place',
      }),
    );
    // Nothing happened in the cloud.
    const pools = Object.values(env.cloud.readCloudState().resources['google_container_node_pool'] ?? {});
    expect(pools.map((p) => p['max_pods_per_node'])).toEqual([110]);
  });

  it('the same ForceNew edit with the pool under disruption.replace goes to approval, marked disruptive', async () => {
    env = await deploy('gke', POOL, {
      ...POLICY,
      disruption: { stop_start: [], replace: ['google_container_node_pool.web'] },
    });
    const { action } = await prepareDecision(env.harness, {
      runId: 'gke',
      address: 'google_container_node_pool.web',
      actionType: 'modify_config',
      parameters: { max_pods_per_node: 64 },
    });
    expect(action.status, action.statusReason ?? '').toBe('awaiting_approval');
    const d = await detail(env, action.id);
    expect(d.plan_gate).toEqual({ ok: true });
    expect(d.plan_summary).toContainEqual(
      expect.objectContaining({ address: 'google_container_node_pool.web', action: 'replace', disruption: 'replace' }),
    );
  });

  it('drift: node_count changed to 5 in the cloud, then scale_up 2 → 3 is refused naming both values', async () => {
    env = await deploy('gke', POOL);
    env.cloud.editCloudState((s) => {
      for (const p of Object.values(s.resources['google_container_node_pool'] ?? {})) p['node_count'] = 5;
    });
    const { action } = await prepareDecision(env.harness, {
      runId: 'gke',
      address: 'google_container_node_pool.web',
      actionType: 'scale_up',
      parameters: { node_count: 3 },
    });
    expect(action.status).toBe('prepare_failed');
    const reason =
      'google_container_node_pool.web: node_count is 5 in the cloud but 2 in state: changed outside Terraform; reconcile before acting';
    expect(action.statusReason).toContain(reason);
    const d = await detail(env, action.id);
    expect(d.plan_gate).toEqual({ ok: false, reasons: [reason] });
    // Without the gate this plan would have scaled the pool DOWN from 5 to 3.
    expect(d.plan_summary?.find((i) => i.address === 'google_container_node_pool.web')?.changes).toContainEqual({
      path: 'node_count',
      before: '5',
      after: '3',
    });
    expect(d.plan_summary).toContainEqual(
      expect.objectContaining({ address: 'google_container_node_pool.web', action: 'update' }),
    );
    const pools = Object.values(env.cloud.readCloudState().resources['google_container_node_pool'] ?? {});
    expect(pools.map((p) => p['node_count'])).toEqual([5]);
  });

  it('machine_type with allow_stopping_for_update: shown as a stop/start in the summary and the Telegram text', async () => {
    env = await deploy('vm', VM, {
      ...POLICY,
      disruption: { stop_start: ['google_compute_instance.api'], replace: [] },
    });
    const { action } = await prepareDecision(env.harness, {
      runId: 'vm',
      address: 'google_compute_instance.api',
      actionType: 'modify_config',
      parameters: { machine_type: 'e2-medium' },
    });
    expect(action.status, action.statusReason ?? '').toBe('awaiting_approval');
    const d = await detail(env, action.id);
    const warning = 'stops and starts the instance to change machine_type (allow_stopping_for_update = true)';
    expect(d.plan_summary).toEqual([
      expect.objectContaining({
        address: 'google_compute_instance.api',
        action: 'update',
        disruption: 'stop_start',
        warning,
      }),
    ]);
    const row = env.service.db.prepare('SELECT plan_summary_json FROM actions WHERE id = ?').get(action.id) as {
      plan_summary_json: string;
    };
    const text = renderActionMessage(
      {
        actionId: action.id,
        status: 'awaiting_approval',
        statusReason: null,
        runId: 'vm',
        actionType: 'modify_config',
        targetAddress: 'google_compute_instance.api',
        parameters: { machine_type: 'e2-medium' },
        planSha256: action.planSha256,
        planChanges: parsePlanSummary(row.plan_summary_json),
        expiresAt: null,
        decidedBy: null,
        decidedVia: null,
        decidedAt: null,
        revisionId: null,
        createdAt: action.createdAt,
        updatedAt: action.updatedAt,
        decision: {
          id: 'd',
          actionType: 'modify_config',
          parameters: {},
          confidence: 0.9,
          reason: 'r',
          source: 'rules',
          status: 'proposed',
        },
        alert: null,
      },
      0,
      [],
    );
    expect(text.split('\n').at(-1)).toBe(
      `⚠️ <b>Disruptive (stop/start):</b> <code>google_compute_instance.api</code> ${warning}`,
    );
  });

  it('a restart of a node pool the policy opted in to replaces it, shown as recreating every node', async () => {
    env = await deploy('gke', POOL, {
      ...POLICY,
      disruption: { stop_start: [], replace: ['google_container_node_pool.web'] },
    });
    const { action } = await prepareDecision(env.harness, {
      runId: 'gke',
      address: 'google_container_node_pool.web',
      actionType: 'restart',
      parameters: {},
    });
    expect(action.status, action.statusReason ?? '').toBe('awaiting_approval');
    const d = await detail(env, action.id);
    expect(d.plan_summary).toContainEqual(
      expect.objectContaining({
        address: 'google_container_node_pool.web',
        action: 'replace',
        disruption: 'replace',
        warning: 'destroys and recreates the whole node pool (every node) on request (-replace)',
      }),
    );
  });
});
