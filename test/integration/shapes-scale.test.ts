/**
 * Issue 13 §2, scale on each real shape, end to end through real Terraform and the local cloud
 * provider: the deployment is applied into the local cloud; an alert arrives; the rules agent
 * decides; the default policy (POLICY_FILE unset) judges; the executor edits the HCL in a staging
 * copy and plans; the plan gate passes; the approval applies; the cloud's state shows the new value.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Service } from '../../src/main.js';
import { silentLogger } from '../../src/shared/logger.js';
import { CliTerraformRunner } from '../../src/terraform/cli-terraform-runner.js';
import { planFileOf } from '../../src/terraform/workspace-fs.js';
import { alertAndDecide } from '../helpers/decisions.js';
import { approve, type Harness } from '../helpers/executor-harness.js';
import {
  AWS_PROVIDER,
  GOOGLE_PROVIDER,
  KUBERNETES_PROVIDER,
  type LocalCloud,
  withLocalCloud,
} from '../helpers/local-cloud.js';
import { startTestService, tempWorkspace, testConfig } from '../helpers/service.js';

interface Env {
  cloud: LocalCloud;
  service: Service;
  harness: Harness;
  dir: string;
}

/** Applies `main.tf` into the local cloud as run `runId`, then starts the service on that runs dir (default policy). */
async function deploy(runId: string, mainTf: string): Promise<Env> {
  const cloud = withLocalCloud();
  const ws = tempWorkspace('infraai-shapes-');
  const dir = path.join(ws.runsDir, runId);
  cloud.write({ 'main.tf': mainTf }, dir);
  for (const args of [['init'], ['apply', '-auto-approve']]) {
    const r = await cloud.tf(args, { cwd: dir });
    if (r.code !== 0) throw new Error(`terraform ${args[0]} of ${runId}: ${r.stderr}`);
  }
  const terraform = new CliTerraformRunner({
    bin: 'terraform',
    lockTimeoutSeconds: 30,
    logger: silentLogger,
    baseEnv: { ...process.env, ...cloud.env },
  });
  const service = await startTestService(testConfig({}, ws), { terraform, decisionModel: null });
  const harness: Harness = { service, runsDir: ws.runsDir, root: ws.root, runDir: (id) => path.join(ws.runsDir, id) };
  return { cloud, service, harness, dir };
}

/** Fires a CPU alert on `address` and returns the one decision and its action, once the executor is idle. */
async function alertToAction(env: Env, address: string, metric = 'cpu_usage') {
  await alertAndDecide(env.service, { resource_id: address, metric, value: 95, threshold: 80 });
  await env.service.executor.idle();
  const decisions = (await env.service.app.inject({ method: 'GET', url: '/ops/decisions?limit=10' })).json() as {
    items: Array<Record<string, any>>;
  };
  const decision = decisions.items.find((d) => d.resource_address === address);
  if (!decision) throw new Error(`no decision on ${address}: ${JSON.stringify(decisions.items)}`);
  const row = env.service.db.prepare('SELECT id FROM actions WHERE decision_id = ?').get(decision.id) as
    { id: string } | undefined;
  return { decision, action: row ? env.service.actions.get(row.id) : undefined };
}

async function approveAndApply(env: Env, action: { id: string; planSha256: string | null }) {
  const r = await approve(env.harness, action.id, action.planSha256 ?? undefined);
  expect(r).toEqual({ ok: true, status: 'approved' });
  const done = env.service.actions.get(action.id)!;
  expect(done.status, done.statusReason ?? '').toBe('applied');
  return done;
}

function cloudResource(env: Env, type: string): Record<string, unknown> {
  const all = Object.values(env.cloud.readCloudState().resources[type] ?? {});
  expect(all).toHaveLength(1);
  return all[0] as Record<string, unknown>;
}

const CLUSTER = `${GOOGLE_PROVIDER}
resource "google_container_cluster" "primary" {
  name                     = "prod"
  location                 = "europe-west1"
  initial_node_count       = 1
  remove_default_node_pool = true
  deletion_protection      = false
}
`;

describe('scale through real Terraform and the local cloud, decided by the rules and the default policy', () => {
  let env: Env | undefined;
  afterEach(async () => {
    await env?.service.stop();
    env?.cloud.cleanup();
    env = undefined;
  });

  it('node pool with autoscaling: raises autoscaling.max_node_count 3 → 4, node_count untouched', async () => {
    env = await deploy(
      'gke',
      `${CLUSTER}
resource "google_container_node_pool" "web" {
  name       = "web"
  cluster    = google_container_cluster.primary.name
  location   = "europe-west1"
  node_count = 2
  autoscaling {
    min_node_count = 1
    max_node_count = 3
  }
}
`,
    );
    const { decision, action } = await alertToAction(env, 'google_container_node_pool.web');
    expect(decision).toMatchObject({
      status: 'proposed',
      action_type: 'scale_up',
      parameters: { 'autoscaling.max_node_count': 4 },
    });
    expect(action?.status, action?.statusReason ?? '').toBe('awaiting_approval');
    expect(action!.diff).toContain('+    max_node_count = 4');
    expect(action!.diff).not.toMatch(/^[-+]\s*node_count/m);
    await approveAndApply(env, action!);
    const pool = cloudResource(env, 'google_container_node_pool');
    expect(pool['autoscaling']).toMatchObject([{ min_node_count: 1, max_node_count: 4 }]);
    expect(pool['node_count']).toBe(2);
    expect(readFileSync(path.join(env.dir, 'main.tf'), 'utf8')).toMatch(/max_node_count = 4/);
  });

  it('node pool without autoscaling: node_count 2 → 3', async () => {
    env = await deploy(
      'gke',
      `${CLUSTER}
resource "google_container_node_pool" "web" {
  name       = "web"
  cluster    = google_container_cluster.primary.name
  location   = "europe-west1"
  node_count = 2
}
`,
    );
    const { decision, action } = await alertToAction(env, 'google_container_node_pool.web');
    expect(decision).toMatchObject({ status: 'proposed', parameters: { node_count: 3 } });
    expect(action?.status, action?.statusReason ?? '').toBe('awaiting_approval');
    await approveAndApply(env, action!);
    expect(cloudResource(env, 'google_container_node_pool')['node_count']).toBe(3);
  });

  const asg = (desired: number, max: number, lifecycle = '') => `${AWS_PROVIDER}
resource "aws_autoscaling_group" "web" {
  name             = "web-asg"
  min_size         = 1
  max_size         = ${max}
  desired_capacity = ${desired}
${lifecycle}}
`;

  it('ASG: desired_capacity 2 → 3 within min_size..max_size', async () => {
    env = await deploy('aws', asg(2, 4));
    const { decision, action } = await alertToAction(env, 'aws_autoscaling_group.web');
    expect(decision).toMatchObject({ status: 'proposed', parameters: { desired_capacity: 3 } });
    expect(action?.status, action?.statusReason ?? '').toBe('awaiting_approval');
    await approveAndApply(env, action!);
    expect(cloudResource(env, 'aws_autoscaling_group')).toMatchObject({ desired_capacity: 3, max_size: 4 });
  });

  it('ASG at max_size: desired_capacity and max_size raised together (issue 14; see multi-attribute.test.ts)', async () => {
    env = await deploy('aws', asg(3, 3));
    const { decision, action } = await alertToAction(env, 'aws_autoscaling_group.web');
    expect(decision).toMatchObject({ status: 'proposed', parameters: { desired_capacity: 4, max_size: 4 } });
    expect(action?.status, action?.statusReason ?? '').toBe('awaiting_approval');
    await approveAndApply(env, action!);
    expect(cloudResource(env, 'aws_autoscaling_group')).toMatchObject({ desired_capacity: 4, max_size: 4 });
  });

  it('ASG with lifecycle { ignore_changes = [desired_capacity] } (read at sync): max_size 3 → 4', async () => {
    env = await deploy('aws', asg(3, 3, '  lifecycle {\n    ignore_changes = [desired_capacity]\n  }\n'));
    const synced = env.service.registry.get('aws', 'aws_autoscaling_group.web');
    expect(synced?.ignoredChanges).toEqual(['desired_capacity']);
    const { decision, action } = await alertToAction(env, 'aws_autoscaling_group.web');
    expect(decision).toMatchObject({ status: 'proposed', parameters: { max_size: 4 } });
    expect(action?.status, action?.statusReason ?? '').toBe('awaiting_approval');
    await approveAndApply(env, action!);
    expect(cloudResource(env, 'aws_autoscaling_group')).toMatchObject({ desired_capacity: 3, max_size: 4 });
  });

  it('ECS service: desired_count 2 → 3 (the default policy allows what the rules propose)', async () => {
    env = await deploy(
      'ecs',
      `${AWS_PROVIDER}
resource "aws_ecs_service" "api" {
  name          = "api"
  desired_count = 2
}
`,
    );
    const { decision, action } = await alertToAction(env, 'aws_ecs_service.api');
    expect(decision).toMatchObject({ status: 'proposed', parameters: { desired_count: 3 } });
    expect(action?.status, action?.statusReason ?? '').toBe('awaiting_approval');
    await approveAndApply(env, action!);
    expect(cloudResource(env, 'aws_ecs_service')['desired_count']).toBe(3);
  });

  it('Deployment: spec { replicas = 2 } → 3; state and plan hold the string "3"', async () => {
    env = await deploy(
      'k8s',
      `${KUBERNETES_PROVIDER}
resource "kubernetes_deployment" "web" {
  metadata {
    name = "web"
  }
  spec {
    replicas = 2
    selector {
      match_labels = { app = "web" }
    }
    template {
      metadata {
        labels = { app = "web" }
      }
      spec {
        container {
          name  = "web"
          image = "nginx:1.27"
        }
      }
    }
  }
}
`,
    );
    const synced = env.service.registry.get('k8s', 'kubernetes_deployment.web');
    expect((synced?.attributes['spec'] as Array<Record<string, unknown>>)[0]!['replicas']).toBe('2');
    const { decision, action } = await alertToAction(env, 'kubernetes_deployment.web');
    expect(decision).toMatchObject({ status: 'proposed', parameters: { 'spec.replicas': 3 } });
    expect(action?.status, action?.statusReason ?? '').toBe('awaiting_approval');
    expect(action!.diff).toMatch(/\+\s+replicas = "?3"?/);
    // The saved plan the approver is asked about: an in-place update of the string "2" to "3".
    const shown = await env.cloud.tf(['show', '-json', planFileOf(action!.stagingDir!, action!.id)], {
      cwd: action!.stagingDir!,
    });
    expect(shown.code, shown.stderr).toBe(0);
    const change = (JSON.parse(shown.stdout) as { resource_changes: Array<Record<string, any>> }).resource_changes.find(
      (c) => c.address === 'kubernetes_deployment.web',
    )!;
    expect(change.change.actions).toEqual(['update']);
    expect(change.change.before.spec[0].replicas).toBe('2');
    expect(change.change.after.spec[0].replicas).toBe('3');
    await approveAndApply(env, action!);
    const dep = cloudResource(env, 'kubernetes_deployment');
    expect((dep['spec'] as Array<Record<string, unknown>>)[0]!['replicas']).toBe('3');
  });
});
