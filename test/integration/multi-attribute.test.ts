/**
 * Issue 14, several attributes in one action, through real Terraform and the local cloud provider:
 * an ASG at max_size gets desired_capacity AND max_size raised in one plan, approved once, applied,
 * and the cloud shows both; a GCE machine_type change on an instance without
 * allow_stopping_for_update gets the acknowledgement added (policy.addable_attributes) in the same
 * plan, placed so `terraform fmt -check` passes; a rollback of the two-attribute action restores both.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Service } from '../../src/main.js';
import type { ActionRecord } from '../../src/actions/action-store.js';
import { silentLogger } from '../../src/shared/logger.js';
import { CliTerraformRunner } from '../../src/terraform/cli-terraform-runner.js';
import { alertAndDecide } from '../helpers/decisions.js';
import { approve, prepareDecision, TEST_POLICY, type Harness } from '../helpers/executor-harness.js';
import { AWS_PROVIDER, GOOGLE_PROVIDER, type LocalCloud, withLocalCloud } from '../helpers/local-cloud.js';
import { startTestService, tempWorkspace, testConfig } from '../helpers/service.js';

interface Env {
  cloud: LocalCloud;
  service: Service;
  harness: Harness;
  dir: string;
}

/** Applies `main.tf` into the local cloud as run `runId`, then starts the service (default policy unless given). */
async function deploy(runId: string, mainTf: string, policy?: Record<string, unknown>): Promise<Env> {
  const cloud = withLocalCloud();
  const ws = tempWorkspace('infraai-multi-');
  const dir = path.join(ws.runsDir, runId);
  cloud.write({ 'main.tf': mainTf }, dir);
  for (const args of [['init'], ['apply', '-auto-approve']]) {
    const r = await cloud.tf(args, { cwd: dir });
    if (r.code !== 0) throw new Error(`terraform ${args[0]} of ${runId}: ${r.stderr}`);
  }
  const extra: Record<string, string> = {};
  if (policy !== undefined) {
    extra.POLICY_FILE = path.join(ws.root, 'policy.json');
    writeFileSync(extra.POLICY_FILE, JSON.stringify(policy));
  }
  const terraform = new CliTerraformRunner({
    bin: 'terraform',
    lockTimeoutSeconds: 30,
    logger: silentLogger,
    baseEnv: { ...process.env, ...cloud.env },
  });
  const service = await startTestService(testConfig(extra, ws), { terraform, decisionModel: null });
  const harness: Harness = { service, runsDir: ws.runsDir, root: ws.root, runDir: (id) => path.join(ws.runsDir, id) };
  return { cloud, service, harness, dir };
}

function cloudResource(env: Env, type: string): Record<string, unknown> {
  const all = Object.values(env.cloud.readCloudState().resources[type] ?? {});
  expect(all).toHaveLength(1);
  return all[0] as Record<string, unknown>;
}

async function approveAndApply(env: Env, action: ActionRecord): Promise<ActionRecord> {
  const r = await approve(env.harness, action.id, action.planSha256 ?? undefined);
  expect(r).toEqual({ ok: true, status: 'approved' });
  const done = env.service.actions.get(action.id) as ActionRecord;
  expect(done.status, done.statusReason ?? '').toBe('applied');
  return done;
}

const ASG = `${AWS_PROVIDER}
resource "aws_autoscaling_group" "web" {
  name             = "web-asg"
  min_size         = 1
  max_size         = 3 # raised by hand so far
  desired_capacity = 3
}
`;

const VM = `${GOOGLE_PROVIDER}
resource "google_compute_instance" "api" {
  name         = "api"
  machine_type = "e2-small"
  zone         = "europe-west1-b"

  boot_disk {
    initialize_params {
      image = "debian-cloud/debian-12"
    }
  }

  network_interface {
    network = "default"
  }
}
`;

describe('several attributes in one action, through real Terraform and the local cloud', () => {
  let env: Env | undefined;
  afterEach(async () => {
    await env?.service.stop();
    env?.cloud.cleanup();
    env = undefined;
  });

  it('ASG at max_size: desired_capacity and max_size 3 → 4 in one plan, one approval; rollback restores both', async () => {
    env = await deploy('aws', ASG);
    await alertAndDecide(env.service, {
      resource_id: 'aws_autoscaling_group.web',
      metric: 'cpu_usage',
      value: 95,
      threshold: 80,
    });
    await env.service.executor.idle();
    const listed = (await env.service.app.inject({ method: 'GET', url: '/ops/decisions?limit=10' })).json() as {
      items: Array<{ id: string; status: string; parameters: unknown; resource_address: string }>;
    };
    const decision = listed.items.find((d) => d.resource_address === 'aws_autoscaling_group.web');
    expect(decision).toMatchObject({ status: 'proposed', parameters: { desired_capacity: 4, max_size: 4 } });
    const row = env.service.db.prepare('SELECT id FROM actions WHERE decision_id = ?').get(decision?.id) as {
      id: string;
    };
    const action = env.service.actions.get(row.id) as ActionRecord;
    expect(action.status, action.statusReason ?? '').toBe('awaiting_approval');
    // One plan: one update of the group changing exactly the two attributes.
    expect(action.planSummary).toEqual([
      expect.objectContaining({ address: 'aws_autoscaling_group.web', action: 'update' }),
    ]);
    expect(action.diff).toContain('+  max_size         = 4 # raised by hand so far');
    expect(action.diff).toContain('+  desired_capacity = 4');
    // The ops wire lists every edit of the action.
    const wire = (await env.service.app.inject({ method: 'GET', url: `/ops/actions/${action.id}` })).json() as {
      changes: { edits: Array<{ attribute_path: string[]; value: unknown; from: unknown }> };
    };
    expect(wire.changes.edits.map((e) => [e.attribute_path.join('.'), e.from, e.value])).toEqual([
      ['desired_capacity', 3, 4],
      ['max_size', 3, 4],
    ]);

    await approveAndApply(env, action);
    expect(cloudResource(env, 'aws_autoscaling_group')).toMatchObject({ desired_capacity: 4, max_size: 4 });
    expect(readFileSync(path.join(env.dir, 'main.tf'), 'utf8')).toBe(
      ASG.replace('max_size         = 3', 'max_size         = 4').replace(
        'desired_capacity = 3',
        'desired_capacity = 4',
      ),
    );

    const { action: rollback } = await prepareDecision(env.harness, {
      runId: 'aws',
      address: 'aws_autoscaling_group.web',
      actionType: 'rollback',
      parameters: {},
    });
    expect(rollback.status, rollback.statusReason ?? '').toBe('awaiting_approval');
    await approveAndApply(env, rollback);
    expect(cloudResource(env, 'aws_autoscaling_group')).toMatchObject({ desired_capacity: 3, max_size: 3 });
    expect(readFileSync(path.join(env.dir, 'main.tf'), 'utf8')).toBe(ASG);
  });

  it('GCE machine_type without allow_stopping_for_update: the flag is added (addable) and both change in one action', async () => {
    const policy = {
      ...TEST_POLICY,
      addable_attributes: ['allow_stopping_for_update'],
      disruption: { stop_start: ['google_compute_instance.api'], replace: [] },
    };
    env = await deploy('vm', VM, policy);
    const { action } = await prepareDecision(env.harness, {
      runId: 'vm',
      address: 'google_compute_instance.api',
      actionType: 'modify_config',
      parameters: { machine_type: 'e2-medium' },
    });
    expect(action.status, action.statusReason ?? '').toBe('awaiting_approval');
    expect(action.planSummary).toEqual([
      expect.objectContaining({ address: 'google_compute_instance.api', action: 'update', disruption: 'stop_start' }),
    ]);
    await approveAndApply(env, action);
    expect(cloudResource(env, 'google_compute_instance')).toMatchObject({
      machine_type: 'e2-medium',
      allow_stopping_for_update: true,
    });
    const written = readFileSync(path.join(env.dir, 'main.tf'), 'utf8');
    expect(written).toBe(
      VM.replace('  name         = "api"\n', '  name                      = "api"\n')
        .replace('  machine_type = "e2-small"\n', '  machine_type              = "e2-medium"\n')
        .replace(
          '  zone         = "europe-west1-b"\n',
          '  zone                      = "europe-west1-b"\n  allow_stopping_for_update = true\n',
        ),
    );
    const check = await env.cloud.tf(['fmt', '-check', '-diff'], { cwd: env.dir });
    expect(check.code, check.stdout).toBe(0);
  });

  it('without addable_attributes the same change is refused before planning, naming the policy key', async () => {
    env = await deploy('vm', VM, {
      ...TEST_POLICY,
      disruption: { stop_start: ['google_compute_instance.api'], replace: [] },
    });
    const { action } = await prepareDecision(env.harness, {
      runId: 'vm',
      address: 'google_compute_instance.api',
      actionType: 'modify_config',
      parameters: { machine_type: 'e2-medium' },
    });
    expect(action.status).toBe('prepare_failed');
    expect(action.statusReason).toMatch(/allow_stopping_for_update = true.*policy\.addable_attributes/);
    expect(cloudResource(env, 'google_compute_instance')).toMatchObject({ machine_type: 'e2-small' });
  });
});
