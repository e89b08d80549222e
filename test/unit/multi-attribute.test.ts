/**
 * Several attributes in one action (issue 14): planEdit with several parameters, each bounded by
 * the policy, one expectation listing every path; the gate refuses a plan missing one of them or
 * changing another; an attribute not set yet is added only where policy.addable_attributes lists it.
 * Real HCL editor and real policy adapter.
 */
import { describe, expect, it } from 'vitest';
import { planEdit, type EditPlan } from '../../src/executor/edit-plan.js';
import { treeSitterHclEditor } from '../../src/executor/hcl-editor-adapter.js';
import { executorPolicy } from '../../src/executor/policy-adapter.js';
import { gatePlan, type PlanExpectation } from '../../src/plan/gate.js';
import type { PlanJson } from '../../src/plan/plan-json.js';
import { DEFAULT_POLICY, PolicySchema, type Policy } from '../../src/policy/policy-schema.js';

const hcl = treeSitterHclEditor();
const reader = { read: hcl.read.bind(hcl), ignoreChanges: hcl.ignoreChanges.bind(hcl) };

const ASG = `resource "aws_autoscaling_group" "web" {
  name             = "web-asg"
  min_size         = 1
  max_size         = 4 # the group's ceiling
  desired_capacity = 4
}
`;

const POOL = `resource "google_container_node_pool" "web" {
  name = "web"

  autoscaling {
    min_node_count = 1
    max_node_count = 3
  }
}
`;

const VM = `resource "google_compute_instance" "vm" {
  name         = "vm-1"
  machine_type = "e2-small"
  zone         = "europe-west1-b"

  boot_disk {
    initialize_params {
      image = "debian-cloud/debian-12"
    }
  }
}
`;

function policy(extra: Record<string, unknown> = {}): Policy {
  return PolicySchema.parse({ ...DEFAULT_POLICY, ...extra });
}

async function plan(
  files: Record<string, string>,
  targetAddress: string,
  actionType: string,
  parameters: Record<string, unknown>,
  p: Policy = policy(),
): Promise<EditPlan> {
  return planEdit(
    { actionType, targetAddress, parameters, instances: [], files },
    reader,
    executorPolicy(() => p),
  );
}

/** Makes every edit of the plan on the files, the way the executor's staging step does. */
async function applyEdits(files: Record<string, string>, p: EditPlan): Promise<Record<string, string>> {
  if (p.kind !== 'edit') throw new Error(`not an edit: ${JSON.stringify(p)}`);
  let out = files;
  for (const e of p.edits) {
    const r = await hcl.edit(out, e);
    if (!r.ok) throw new Error(r.message);
    out = { ...out, ...r.files };
  }
  return out;
}

describe('planEdit with several parameters', () => {
  it('ASG desired_capacity + max_size: both edits, one expectation with each path and value', async () => {
    const p = await plan({ 'main.tf': ASG }, 'aws_autoscaling_group.web', 'scale_up', {
      desired_capacity: 5,
      max_size: 5,
    });
    expect(p).toMatchObject({
      kind: 'edit',
      edits: [
        { attributePath: ['desired_capacity'], value: 5, from: 4 },
        { attributePath: ['max_size'], value: 5, from: 4 },
      ],
      expectation: {
        targetAddress: 'aws_autoscaling_group.web',
        attributes: [
          { path: ['desired_capacity'], expectedValue: 5 },
          { path: ['max_size'], expectedValue: 5 },
        ],
      },
    });
    const out = await applyEdits({ 'main.tf': ASG }, p);
    expect(out['main.tf']).toBe(
      ASG.replace('max_size         = 4', 'max_size         = 5').replace(
        'desired_capacity = 4',
        'desired_capacity = 5',
      ),
    );
  });

  it('node pool autoscaling.min_node_count + max_node_count in one modify_config', async () => {
    const p = await plan({ 'main.tf': POOL }, 'google_container_node_pool.web', 'modify_config', {
      'autoscaling.min_node_count': 2,
      'autoscaling.max_node_count': 5,
    });
    expect(p.kind).toBe('edit');
    const out = await applyEdits({ 'main.tf': POOL }, p);
    expect(out['main.tf']).toBe(POOL.replace('min_node_count = 1', 'min_node_count = 2').replace('= 3', '= 5'));
  });

  it('each parameter is bounded by the policy: one out of bounds refuses the whole action', async () => {
    const p = await plan({ 'main.tf': ASG }, 'aws_autoscaling_group.web', 'scale_up', {
      desired_capacity: 5,
      max_size: 25,
    });
    expect(p.kind).toBe('refused');
    expect(p.kind === 'refused' && p.reason).toMatch(/^policy: .*max_size.*(max|max_step)/);
  });

  it('count stays single: count with another attribute is refused', async () => {
    const p = await plan(
      { 'main.tf': 'resource "terraform_data" "pool" {\n  count = 2\n}\n' },
      'terraform_data.pool',
      'scale_up',
      {
        count: 3,
        node_count: 4,
      },
    );
    expect(p).toEqual({ kind: 'refused', reason: expect.stringMatching(/count scaling changes one attribute only/) });
  });
});

describe('an attribute not set yet, added where the policy says so', () => {
  const optIn = { disruption: { stop_start: ['google_compute_instance'], replace: [] } };

  it('machine_type without allow_stopping_for_update: refused unless addable, naming the policy key', async () => {
    const p = await plan(
      { 'main.tf': VM },
      'google_compute_instance.vm',
      'modify_config',
      { machine_type: 'e2-medium' },
      policy(optIn),
    );
    expect(p.kind).toBe('refused');
    expect(p.kind === 'refused' && p.reason).toMatch(/allow_stopping_for_update = true.*policy\.addable_attributes/);
  });

  it('addable but no stop/start opt-in: still refused', async () => {
    const p = await plan(
      { 'main.tf': VM },
      'google_compute_instance.vm',
      'modify_config',
      { machine_type: 'e2-medium' },
      policy({ addable_attributes: ['allow_stopping_for_update'] }),
    );
    expect(p.kind === 'refused' && p.reason).toMatch(/disruption\.stop_start/);
  });

  it('addable + stop_start: both attributes in one plan, the flag inserted where fmt puts it', async () => {
    const p = await plan(
      { 'main.tf': VM },
      'google_compute_instance.vm',
      'modify_config',
      { machine_type: 'e2-medium' },
      policy({ ...optIn, addable_attributes: ['allow_stopping_for_update'] }),
    );
    expect(p).toMatchObject({
      kind: 'edit',
      edits: [
        { attributePath: ['machine_type'], value: 'e2-medium' },
        { attributePath: ['allow_stopping_for_update'], value: true, create: 1 },
      ],
      expectation: {
        disruption: 'stop_start',
        attributes: [
          { path: ['machine_type'], expectedValue: 'e2-medium' },
          { path: ['allow_stopping_for_update'], expectedValue: true },
        ],
      },
    });
    const out = await applyEdits({ 'main.tf': VM }, p);
    expect(out['main.tf']).toContain(
      '  machine_type              = "e2-medium"\n  zone                      = "europe-west1-b"\n  allow_stopping_for_update = true\n\n  boot_disk {',
    );
  });
});

/** A plan updating one ASG in place from `before` to `after`. */
function asgPlan(before: Record<string, unknown>, after: Record<string, unknown>): PlanJson {
  return {
    format_version: '1.2',
    resource_changes: [
      {
        address: 'aws_autoscaling_group.web',
        mode: 'managed',
        type: 'aws_autoscaling_group',
        name: 'web',
        change: { actions: ['update'], before, after, after_unknown: {} },
      },
    ],
  };
}

describe('the gate checks several expected values together', () => {
  const base = { name: 'web-asg', min_size: 1, max_size: 4, desired_capacity: 4 };
  const both: PlanExpectation = {
    actionType: 'scale_up',
    targetAddress: 'aws_autoscaling_group.web',
    attributes: [
      { path: ['desired_capacity'], expectedValue: 5 },
      { path: ['max_size'], expectedValue: 5 },
    ],
  };
  const limits = { maxChangedResources: 3 };

  it('accepts the plan changing exactly both paths to their values', () => {
    expect(gatePlan(asgPlan(base, { ...base, desired_capacity: 5, max_size: 5 }), both, limits).ok).toBe(true);
  });

  it('refuses a plan missing one of the paths', () => {
    const r = gatePlan(asgPlan(base, { ...base, desired_capacity: 5 }), both, limits);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reasons).toEqual(['aws_autoscaling_group.web: max_size would become 4, expected 5']);
  });

  it('refuses a plan changing a path outside the list', () => {
    const r = gatePlan(asgPlan(base, { ...base, desired_capacity: 5, max_size: 5, min_size: 2 }), both, limits);
    expect(!r.ok && r.reasons).toEqual([
      'aws_autoscaling_group.web: changes min_size, expected only desired_capacity, max_size',
    ]);
  });

  it('refuses a wrong value on one of them', () => {
    const r = gatePlan(asgPlan(base, { ...base, desired_capacity: 5, max_size: 6 }), both, limits);
    expect(!r.ok && r.reasons).toEqual(['aws_autoscaling_group.web: max_size would become 6, expected 5']);
  });
});
