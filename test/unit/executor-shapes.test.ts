/**
 * planEdit per resource shape (src/shapes): restart methods, ignore_changes, acknowledgements,
 * forbidden paths and numeric strings, with the real HCL editor and the real policy adapter.
 */
import { describe, expect, it } from 'vitest';
import { planEdit, resourceTypeOf, type EditPlanInput } from '../../src/executor/edit-plan.js';
import { treeSitterHclEditor } from '../../src/executor/hcl-editor-adapter.js';
import { executorPolicy } from '../../src/executor/policy-adapter.js';
import { PolicySchema, type Policy } from '../../src/policy/policy-schema.js';

const NOW = '2026-12-02T04:30:00.000Z';
const hcl = treeSitterHclEditor();
const reader = { read: hcl.read.bind(hcl), ignoreChanges: hcl.ignoreChanges.bind(hcl) };

function policyWith(extra: Record<string, unknown> = {}): Policy {
  return PolicySchema.parse({
    version: 1,
    allowed_action_types: ['scale_up', 'scale_down', 'restart', 'modify_config', 'rollback', 'no_action'],
    min_confidence: 0.1,
    changeable_attributes: [
      'count',
      'node_count',
      'replicas',
      'desired_capacity',
      'max_size',
      'machine_type',
      'autoscaling.max_node_count',
      'min_size',
      'initial_node_count',
    ],
    attributes: {
      replicas: { min: 1, max: 5, max_step: 2 },
      machine_type: { allowed_values: ['e2-small', 'e2-medium'] },
    },
    cooldown_seconds: 0,
    max_changed_resources: 4,
    ...extra,
  });
}

async function plan(
  files: Record<string, string>,
  targetAddress: string,
  actionType: string,
  parameters: Record<string, unknown> = {},
  policy: Policy = policyWith(),
  more: Partial<EditPlanInput> = {},
) {
  return planEdit(
    { actionType, targetAddress, parameters, instances: [], files, now: NOW, ...more },
    reader,
    executorPolicy(() => policy),
  );
}

const VM = (flag: string) => `resource "google_compute_instance" "vm" {
  name         = "vm-1"
  machine_type = "e2-small"
  zone         = "europe-west1-b"
${flag}}
`;

const POOL = `resource "google_container_node_pool" "pool" {
  name    = "pool-a"
  cluster = "main"

  autoscaling {
    min_node_count = 1
    max_node_count = 3
  }
}
`;

const ECS = (flag: string) => `resource "aws_ecs_service" "api" {
  name          = "api"
  desired_count = 2
${flag}}
`;

const DEPLOYMENT = `resource "kubernetes_deployment" "web" {
  metadata {
    name = "web"
  }
  spec {
    replicas = "2" # a string in the provider's schema
    template {
      metadata {
        labels = { app = "web" }
      }
    }
  }
}
`;

const ASG = `resource "aws_autoscaling_group" "web" {
  min_size         = 1
  max_size         = 4
  desired_capacity = 2

  lifecycle {
    ignore_changes = [desired_capacity]
  }
}
`;

describe('restart per resource type', () => {
  it('an instance type is restarted with -replace', async () => {
    expect(resourceTypeOf('module.a["x.y"].google_compute_instance.vm[0]')).toBe('google_compute_instance');
    expect(await plan({ 'main.tf': VM('') }, 'google_compute_instance.vm', 'restart')).toEqual({
      kind: 'replace',
      replace: ['google_compute_instance.vm'],
      expectation: { actionType: 'restart', targetAddress: 'google_compute_instance.vm' },
    });
  });

  it('a node pool goes to a human with the reason, unless the policy opts it in to a replace', async () => {
    const refused = await plan({ 'main.tf': POOL }, 'google_container_node_pool.pool', 'restart');
    expect(refused.kind).toBe('refused');
    expect(refused.kind === 'refused' && refused.reason).toMatch(
      /goes to a human: a node pool has no Terraform-side rolling restart/,
    );
    expect(refused.kind === 'refused' && refused.reason).toContain('policy.disruption.replace');
    const optedIn = policyWith({ disruption: { replace: ['google_container_node_pool.pool'] } });
    expect(await plan({ 'main.tf': POOL }, 'google_container_node_pool.pool', 'restart', {}, optedIn)).toEqual({
      kind: 'replace',
      replace: ['google_container_node_pool.pool'],
      expectation: {
        actionType: 'restart',
        targetAddress: 'google_container_node_pool.pool',
        allowGroupReplace: true,
      },
    });
    // An opt-in for another address does not count.
    const other = policyWith({ disruption: { replace: ['google_container_node_pool.other'] } });
    expect((await plan({ 'main.tf': POOL }, 'google_container_node_pool.pool', 'restart', {}, other)).kind).toBe(
      'refused',
    );
  });

  it('an ECS service is stamped only with force_new_deployment = true', async () => {
    for (const flag of ['', '  force_new_deployment = false\n']) {
      const r = await plan({ 'main.tf': ECS(flag) }, 'aws_ecs_service.api', 'restart');
      expect(r.kind === 'refused' && r.reason).toContain('set force_new_deployment = true on aws_ecs_service.api');
    }
    const ok = await plan({ 'main.tf': ECS('  force_new_deployment = true\n') }, 'aws_ecs_service.api', 'restart');
    expect(ok).toEqual({
      kind: 'edit',
      edits: [
        {
          address: 'aws_ecs_service.api',
          attributePath: ['triggers', 'infraai_restarted_at'],
          value: NOW,
          from: undefined,
          create: 2,
        },
      ],
      expectation: {
        actionType: 'restart',
        targetAddress: 'aws_ecs_service.api',
        attributePath: ['triggers', 'infraai_restarted_at'],
        expectedValue: NOW,
      },
    });
  });

  it('a Deployment is stamped with the restartedAt annotation, and the editor adds it', async () => {
    const r = await plan({ 'main.tf': DEPLOYMENT }, 'kubernetes_deployment.web', 'restart');
    expect(r.kind).toBe('edit');
    if (r.kind !== 'edit') return;
    expect(r.edits[0]?.attributePath).toEqual([
      'spec',
      'template',
      'metadata',
      'annotations',
      'kubectl.kubernetes.io/restartedAt',
    ]);
    const edited = await hcl.edit({ 'main.tf': DEPLOYMENT }, r.edits[0]!);
    expect(edited.ok && edited.files['main.tf']).toContain(
      `        annotations = {\n          "kubectl.kubernetes.io/restartedAt" = "${NOW}"\n        }\n`,
    );
  });

  it('a stamp restart under ignore_changes is refused naming the rule', async () => {
    const ignored = DEPLOYMENT.replace(
      '  spec {\n    replicas',
      '  lifecycle {\n    ignore_changes = [spec[0].template[0].metadata[0].annotations]\n  }\n  spec {\n    replicas',
    );
    const r = await plan({ 'main.tf': ignored }, 'kubernetes_deployment.web', 'restart');
    expect(r.kind === 'refused' && r.reason).toMatch(
      /covered by lifecycle \{ ignore_changes = .* \} at main\.tf:6.*remove it from ignore_changes \(main\.tf:6\)/,
    );
  });
});

describe('ignore_changes on an edited attribute', () => {
  it('an ASG desired_capacity edit is refused with file:line and "change max_size instead"', async () => {
    const state = { attributes: { min_size: 1, max_size: 4, desired_capacity: 2 } };
    const r = await plan(
      { 'asg.tf': ASG },
      'aws_autoscaling_group.web',
      'scale_up',
      { desired_capacity: 3 },
      policyWith(),
      state,
    );
    expect(r.kind).toBe('refused');
    expect(r.kind === 'refused' && r.reason).toBe(
      'aws_autoscaling_group.web: desired_capacity is covered by lifecycle { ignore_changes = [desired_capacity] } at asg.tf:7, so Terraform would plan no change to it; change max_size instead',
    );
    const down = await plan(
      { 'asg.tf': ASG },
      'aws_autoscaling_group.web',
      'scale_down',
      { desired_capacity: 1 },
      policyWith(),
      state,
    );
    expect(down.kind === 'refused' && down.reason).toContain('change min_size instead');
    // The bound itself is not ignored: planned as usual.
    expect((await plan({ 'asg.tf': ASG }, 'aws_autoscaling_group.web', 'scale_up', { max_size: 5 })).kind).toBe('edit');
  });

  it('other types: "remove it from ignore_changes"; `all` covers everything', async () => {
    const pool = POOL.replace('  autoscaling {', '  lifecycle {\n    ignore_changes = all\n  }\n  autoscaling {');
    const r = await plan({ 'main.tf': pool }, 'google_container_node_pool.pool', 'scale_up', {
      'autoscaling.max_node_count': 4,
    });
    expect(r.kind === 'refused' && r.reason).toContain('ignore_changes = all } at main.tf:6');
  });
});

describe('acknowledgements (GCE machine_type needs allow_stopping_for_update)', () => {
  const change = { machine_type: 'e2-medium' };
  it('flag absent or false: refused with the provider message and what to set', async () => {
    for (const flag of ['', '  allow_stopping_for_update = false\n']) {
      const r = await plan({ 'main.tf': VM(flag) }, 'google_compute_instance.vm', 'modify_config', change);
      expect(r.kind).toBe('refused');
      expect(r.kind === 'refused' && r.reason).toContain('please set allow_stopping_for_update = true in your config');
      expect(r.kind === 'refused' && r.reason).toContain(
        'Set allow_stopping_for_update = true on google_compute_instance.vm',
      );
    }
  });

  it('flag true: allowed only with policy.disruption.stop_start, then marked as a stop/start', async () => {
    const files = { 'main.tf': VM('  allow_stopping_for_update = true\n') };
    const no = await plan(files, 'google_compute_instance.vm', 'modify_config', change);
    expect(no.kind === 'refused' && no.reason).toContain(
      'add "google_compute_instance.vm" (or "google_compute_instance") to policy.disruption.stop_start',
    );
    const yes = await plan(
      files,
      'google_compute_instance.vm',
      'modify_config',
      change,
      policyWith({ disruption: { stop_start: ['google_compute_instance'] } }),
    );
    expect(yes).toMatchObject({
      kind: 'edit',
      edits: [{ attributePath: ['machine_type'], value: 'e2-medium', from: 'e2-small' }],
      expectation: { attributePath: ['machine_type'], expectedValue: 'e2-medium', disruption: 'stop_start' },
    });
    // The policy's allowed values still apply.
    const bad = await plan(
      files,
      'google_compute_instance.vm',
      'modify_config',
      { machine_type: 'n2-highmem-96' },
      policyWith({ disruption: { stop_start: ['google_compute_instance'] } }),
    );
    expect(bad.kind === 'refused' && bad.reason).toMatch(/^policy: machine_type="n2-highmem-96" is not one of/);
  });
});

describe('forbidden paths and numeric strings', () => {
  it('node_count on an autoscaled pool and initial_node_count are refused', async () => {
    const attrs = { autoscaling: [{ min_node_count: 1, max_node_count: 3 }], node_count: 2 };
    const pool = POOL.replace(
      '  cluster = "main"\n',
      '  cluster = "main"\n  node_count = 2\n  initial_node_count = 1\n',
    );
    const r = await plan(
      { 'main.tf': pool },
      'google_container_node_pool.pool',
      'scale_up',
      { node_count: 3 },
      policyWith(),
      {
        attributes: attrs,
      },
    );
    expect(r.kind === 'refused' && r.reason).toContain('node_count fights the cluster autoscaler');
    const init = await plan({ 'main.tf': pool }, 'google_container_node_pool.pool', 'modify_config', {
      initial_node_count: 2,
    });
    expect(init.kind === 'refused' && init.reason).toContain('initial_node_count is ForceNew');
  });

  it('spec.replicas = "2" is written "3" whether the decision says 3 or "3", and bounded as a number', async () => {
    for (const value of [3, '3']) {
      const r = await plan({ 'main.tf': DEPLOYMENT }, 'kubernetes_deployment.web', 'scale_up', {
        'spec.replicas': value,
      });
      expect(r).toMatchObject({
        kind: 'edit',
        edits: [{ attributePath: ['spec', 'replicas'], value: '3', from: '2' }],
        expectation: { expectedValue: '3' },
      });
      if (r.kind !== 'edit') return;
      const edited = await hcl.edit({ 'main.tf': DEPLOYMENT }, r.edits[0]!);
      expect(edited.ok && edited.files['main.tf']).toBe(DEPLOYMENT.replace('replicas = "2"', 'replicas = "3"'));
    }
    const tooFar = await plan({ 'main.tf': DEPLOYMENT }, 'kubernetes_deployment.web', 'scale_up', {
      'spec.replicas': '5',
    });
    expect(tooFar.kind === 'refused' && tooFar.reason).toMatch(/max_step 2/);
    const numeric = DEPLOYMENT.replace('replicas = "2"', 'replicas = 2');
    const n = await plan({ 'main.tf': numeric }, 'kubernetes_deployment.web', 'scale_up', { 'spec.replicas': '3' });
    expect(n).toMatchObject({ kind: 'edit', edits: [{ value: 3, from: 2 }] });
  });
});
