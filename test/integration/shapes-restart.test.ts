/**
 * Issue 13 §2, executor side, through real Terraform and the local cloud provider: restart per
 * resource type (replace / a rolling-restart stamp / a human unless the policy opts in), lifecycle
 * ignore_changes refused before planning, and the allow_stopping_for_update acknowledgement with
 * the policy's disruption.stop_start. Decisions are seeded as proposed (as the decision service
 * would store them) and the real executor prepares them: staging copy, HCL edit, validate, plan,
 * gate, approval, apply into the local cloud.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../src/main.js';
import { silentLogger } from '../../src/shared/logger.js';
import { CliTerraformRunner } from '../../src/terraform/cli-terraform-runner.js';
import { approve, prepareDecision, TEST_POLICY, type Harness } from '../helpers/executor-harness.js';
import {
  AWS_PROVIDER,
  GOOGLE_PROVIDER,
  KUBERNETES_PROVIDER,
  type LocalCloud,
  withLocalCloud,
} from '../helpers/local-cloud.js';
import { startTestService, tempWorkspace, testConfig } from '../helpers/service.js';

const POLICY = {
  ...TEST_POLICY,
  changeable_attributes: [...TEST_POLICY.changeable_attributes, 'desired_capacity', 'max_size'],
  attributes: {
    ...TEST_POLICY.attributes,
    machine_type: { allowed_values: ['e2-small', 'e2-medium', 'e2-standard-2'] },
  },
  disruption: {
    replace: ['google_container_node_pool.web'],
    stop_start: ['google_compute_instance.opted'],
  },
};

const CLUSTER = `resource "google_container_cluster" "primary" {
  name                     = "prod"
  location                 = "europe-west1"
  initial_node_count       = 1
  remove_default_node_pool = true
  deletion_protection      = false
}
`;

const pool = (name: string) => `
resource "google_container_node_pool" "${name}" {
  name       = "${name}"
  cluster    = google_container_cluster.primary.name
  location   = "europe-west1"
  node_count = 2
}
`;

const vm = (name: string, flag: string) => `
resource "google_compute_instance" "${name}" {
  name         = "${name}"
  machine_type = "e2-small"
  zone         = "europe-west1-b"
${flag}
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

const ecs = (name: string, flag: string) => `
resource "aws_ecs_service" "${name}" {
  name            = "${name}"
  cluster         = "prod"
  task_definition = "${name}:1"
  desired_count   = 2
${flag}}
`;

const DEPLOYMENT_TF = `${KUBERNETES_PROVIDER}
# The web Deployment. Restarts are rolling: InfraAI stamps the pod template.
resource "kubernetes_deployment" "web" {
  metadata {
    name = "web" # never renamed
  }

  spec {
    replicas = "2"

    selector {
      match_labels = { app = "web" }
    }

    template {
      metadata {
        # labels must match the selector
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
`;

const ASG_TF = `${AWS_PROVIDER}
resource "aws_launch_template" "web" {
  name          = "web"
  image_id      = "ami-0c55b159cbfafe1f0"
  instance_type = "t3.micro"
}

resource "aws_autoscaling_group" "web" {
  name               = "web"
  min_size           = 1
  max_size           = 4
  desired_capacity   = 2
  availability_zones = ["eu-west-1a"]

  launch_template {
    id      = aws_launch_template.web.id
    version = "$Latest"
  }

  lifecycle {
    # a target-tracking policy owns desired_capacity
    ignore_changes = [desired_capacity]
  }
}
`;

const DEPLOYMENTS: Record<string, string> = {
  gce: `${GOOGLE_PROVIDER}${vm('vm', '')}`,
  pools: `${GOOGLE_PROVIDER}${CLUSTER}${pool('web')}${pool('batch')}`,
  ecs: `${AWS_PROVIDER}${ecs('api', '  force_new_deployment = true\n')}${ecs('worker', '')}`,
  k8s: DEPLOYMENT_TF,
  asg: ASG_TF,
  machine: `${GOOGLE_PROVIDER}${vm('plain', '')}${vm('opted', '  allow_stopping_for_update = true\n')}${vm('unlisted', '  allow_stopping_for_update = true\n')}`,
};

interface Summary {
  address: string;
  action: string;
  reason?: string;
}

describe('restart, ignore_changes and acknowledgements through real Terraform and the local cloud', () => {
  let cloud: LocalCloud;
  let service: Service;
  let h: Harness;

  beforeAll(async () => {
    cloud = withLocalCloud();
    const ws = tempWorkspace('infraai-shapes-restart-');
    await Promise.all(
      Object.entries(DEPLOYMENTS).map(async ([runId, mainTf]) => {
        const dir = path.join(ws.runsDir, runId);
        cloud.write({ 'main.tf': mainTf }, dir);
        for (const args of [['init'], ['apply', '-auto-approve']]) {
          const r = await cloud.tf(args, { cwd: dir });
          if (r.code !== 0) throw new Error(`terraform ${args[0]} of ${runId}: ${r.stderr}`);
        }
      }),
    );
    const policyFile = path.join(ws.root, 'policy.json');
    writeFileSync(policyFile, JSON.stringify(POLICY));
    const terraform = new CliTerraformRunner({
      bin: 'terraform',
      lockTimeoutSeconds: 30,
      logger: silentLogger,
      baseEnv: { ...process.env, ...cloud.env },
    });
    service = await startTestService(testConfig({ POLICY_FILE: policyFile }, ws), { terraform, decisionModel: null });
    h = { service, runsDir: ws.runsDir, root: ws.root, runDir: (id) => path.join(ws.runsDir, id) };
  }, 240_000);

  afterAll(async () => {
    await service?.stop();
    cloud?.cleanup();
  });

  const restart = (runId: string, address: string) =>
    prepareDecision(h, { runId, address, actionType: 'restart', parameters: {} }).then((r) => r.action);

  const cloudOne = (type: string, where: (r: Record<string, unknown>) => boolean) => {
    const all = Object.values(cloud.readCloudState().resources[type] ?? {}) as Array<Record<string, unknown>>;
    const hits = all.filter(where);
    expect(hits).toHaveLength(1);
    return hits[0] as Record<string, unknown>;
  };

  it('google_compute_instance restart: a -replace by request of the one instance', async () => {
    const action = await restart('gce', 'google_compute_instance.vm');
    expect(action.status, action.statusReason ?? '').toBe('awaiting_approval');
    expect((action.planSummary as Summary[]).map((s) => `${s.address} ${s.action} ${s.reason}`)).toEqual([
      'google_compute_instance.vm replace replace_by_request',
    ]);
    expect(action.changes).toMatchObject({ kind: 'replace', replace: ['google_compute_instance.vm'] });
  });

  it('node pool restart: refused to a human with the reason; with the policy opt-in a replace is planned', async () => {
    const refused = await restart('pools', 'google_container_node_pool.batch');
    expect(refused.status).toBe('prepare_failed');
    expect(refused.statusReason).toContain(
      'restart of google_container_node_pool.batch goes to a human: a node pool has no Terraform-side rolling restart',
    );
    expect(refused.statusReason).toContain('policy.disruption.replace');
    // Refused before planning: no plan was made.
    expect(refused.planSummary ?? null).toBeNull();

    const opted = await restart('pools', 'google_container_node_pool.web');
    expect(opted.status, opted.statusReason ?? '').toBe('awaiting_approval');
    expect((opted.planSummary as Summary[]).map((s) => `${s.address} ${s.action} ${s.reason}`)).toEqual([
      'google_container_node_pool.web replace replace_by_request',
    ]);
  });

  it('ECS restart: refused without force_new_deployment; with it an in-place update of triggers, applied', async () => {
    const worker = await restart('ecs', 'aws_ecs_service.worker');
    expect(worker.status).toBe('prepare_failed');
    expect(worker.statusReason).toContain('force_new_deployment is not set');
    expect(worker.statusReason).toContain('set force_new_deployment = true on aws_ecs_service.worker');

    const api = await restart('ecs', 'aws_ecs_service.api');
    expect(api.status, api.statusReason ?? '').toBe('awaiting_approval');
    expect((api.planSummary as Summary[]).map((s) => `${s.address} ${s.action}`)).toEqual([
      'aws_ecs_service.api update',
    ]);
    expect(api.diff).toMatch(
      /^\+ {2}triggers = \{\n\+ {4}infraai_restarted_at = "\d{4}-\d\d-\d\dT[\d:.]+Z"\n\+ {2}\}$/m,
    );
    const r = await approve(h, api.id, api.planSha256 ?? undefined);
    expect(r).toEqual({ ok: true, status: 'approved' });
    expect(service.actions.get(api.id)!.status).toBe('applied');
    const stamped = cloudOne('aws_ecs_service', (x) => x['name'] === 'api')['triggers'] as Record<string, string>;
    expect(Date.parse(stamped['infraai_restarted_at'] ?? '')).toBeGreaterThan(0);
  });

  it('Deployment restart: the restartedAt annotation is added to main.tf (comments kept), updated in place, applied', async () => {
    const before = readFileSync(path.join(h.runDir('k8s'), 'main.tf'), 'utf8');
    const action = await restart('k8s', 'kubernetes_deployment.web');
    expect(action.status, action.statusReason ?? '').toBe('awaiting_approval');
    expect((action.planSummary as Summary[]).map((s) => `${s.address} ${s.action}`)).toEqual([
      'kubernetes_deployment.web update',
    ]);
    const r = await approve(h, action.id, action.planSha256 ?? undefined);
    expect(r).toEqual({ ok: true, status: 'approved' });
    const done = service.actions.get(action.id)!;
    expect(done.status, done.statusReason ?? '').toBe('applied');
    const after = readFileSync(path.join(h.runDir('k8s'), 'main.tf'), 'utf8');
    const stamp = /"kubectl\.kubernetes\.io\/restartedAt" = "([^"]+)"/.exec(after)?.[1] ?? '';
    expect(Date.parse(stamp)).toBeGreaterThan(0);
    // Every byte of the original stays, comments included; only the annotation map was added.
    expect(after).toBe(
      before.replace(
        '        labels = { app = "web" }\n',
        `        labels = { app = "web" }\n        annotations = {\n          "kubectl.kubernetes.io/restartedAt" = "${stamp}"\n        }\n`,
      ),
    );
    expect(after).toContain('# labels must match the selector');
    const dep = cloudOne('kubernetes_deployment', () => true);
    const template = (dep['spec'] as any[])[0].template[0].metadata[0];
    expect(template.annotations).toEqual({ 'kubectl.kubernetes.io/restartedAt': stamp });
  });

  it('ignore_changes = [desired_capacity] on an ASG: a desired_capacity edit is refused before planning, with file:line and "change max_size instead"', async () => {
    const { action } = await prepareDecision(h, {
      runId: 'asg',
      address: 'aws_autoscaling_group.web',
      actionType: 'scale_up',
      parameters: { desired_capacity: 3 },
    });
    expect(action.status).toBe('prepare_failed');
    const line = ASG_TF.split('\n').findIndex((l) => l.includes('ignore_changes')) + 1;
    expect(action.statusReason).toBe(
      `aws_autoscaling_group.web: desired_capacity is covered by lifecycle { ignore_changes = [desired_capacity] } at main.tf:${line}, so Terraform would plan no change to it; change max_size instead`,
    );
    expect(action.planSummary ?? null).toBeNull();
  });

  it('GCE machine_type: without allow_stopping_for_update refused with the provider message; with it and no opt-in refused naming policy.disruption.stop_start; with the opt-in planned and applied', async () => {
    const change = (address: string) =>
      prepareDecision(h, {
        runId: 'machine',
        address,
        actionType: 'modify_config',
        parameters: { machine_type: 'e2-medium' },
      }).then((r) => r.action);

    const plain = await change('google_compute_instance.plain');
    expect(plain.status).toBe('prepare_failed');
    expect(plain.statusReason).toContain(
      'To acknowledge this, please set allow_stopping_for_update = true in your config.',
    );
    expect(plain.statusReason).toContain('Set allow_stopping_for_update = true on google_compute_instance.plain');
    expect(plain.planSummary ?? null).toBeNull();

    const unlisted = await change('google_compute_instance.unlisted');
    expect(unlisted.status).toBe('prepare_failed');
    expect(unlisted.statusReason).toContain(
      'add "google_compute_instance.unlisted" (or "google_compute_instance") to policy.disruption.stop_start',
    );

    const opted = await change('google_compute_instance.opted');
    expect(opted.status, opted.statusReason ?? '').toBe('awaiting_approval');
    expect((opted.planSummary as Summary[]).map((s) => `${s.address} ${s.action}`)).toEqual([
      'google_compute_instance.opted update',
    ]);
    const r = await approve(h, opted.id, opted.planSha256 ?? undefined);
    expect(r).toEqual({ ok: true, status: 'approved' });
    const done = service.actions.get(opted.id)!;
    expect(done.status, done.statusReason ?? '').toBe('applied');
    expect(cloudOne('google_compute_instance', (x) => x['name'] === 'opted')['machine_type']).toBe('e2-medium');
    expect(cloudOne('google_compute_instance', (x) => x['name'] === 'plain')['machine_type']).toBe('e2-small');
  });
});
