import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { DecisionOutput } from '../../src/agent/decision-schema.js';
import { evaluateDecision } from '../../src/policy/evaluate.js';
import { loadPolicy, parsePolicy } from '../../src/policy/load-policy.js';
import { DEFAULT_POLICY, PolicySchema } from '../../src/policy/policy-schema.js';
import { AppError } from '../../src/shared/errors.js';
import { SHAPE_FIXTURES as F } from '../fakes/shapes.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const d = (o: Partial<DecisionOutput>): DecisionOutput => ({
  action_type: 'scale_up',
  resource_id: 'terraform_data.vm',
  parameters: { node_count: 3 },
  confidence: 0.8,
  reason: 'cpu',
  ...o,
});

describe('policy file', () => {
  it('the example file parses and equals the built-in default', () => {
    expect(parsePolicy(readFileSync(path.join(root, 'policy.example.yaml'), 'utf8'))).toEqual(DEFAULT_POLICY);
  });

  it('accepts JSON too, and loadPolicy(undefined) is the default', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'policy-'));
    const file = path.join(dir, 'p.json');
    writeFileSync(file, JSON.stringify({ ...DEFAULT_POLICY, min_confidence: 0.9 }));
    expect(loadPolicy(file).min_confidence).toBe(0.9);
    expect(loadPolicy(undefined)).toBe(DEFAULT_POLICY);
  });

  it('reports every problem by path at once', () => {
    const text = [
      'allowed_action_types: [scale_up, explode]',
      'min_confidence: 2',
      'changeable_attributes: ["bad path!"]',
      'attributes: { node_count: { min: 5, max: 1, max_stp: 1 } }',
      'cooldown_seconds: -1',
      'max_changed_resources: 3',
      'surprise: true',
    ].join('\n');
    let err: AppError | undefined;
    try {
      parsePolicy(text, 'POLICY_FILE=x.yaml');
    } catch (e) {
      err = e as AppError;
    }
    expect(err?.code).toBe('ERR_CONFIG');
    const lines = err?.details as string[];
    for (const p of [
      'allowed_action_types.1',
      'min_confidence',
      'changeable_attributes.0',
      'attributes.node_count',
      'cooldown_seconds',
      '(root)',
    ]) {
      expect(
        lines.some((l) => l.startsWith(`${p}:`)),
        `${p} in ${lines.join(' | ')}`,
      ).toBe(true);
    }
    expect(err?.message).toMatch(/^POLICY_FILE=x.yaml is invalid/);
  });

  it('names the file when it is missing or not YAML', () => {
    expect(() => loadPolicy('/nonexistent/policy.yaml')).toThrow(/POLICY_FILE=\/nonexistent\/policy.yaml/);
    expect(() => parsePolicy('a: [unclosed')).toThrow(/not valid YAML/);
  });
});

describe('evaluateDecision', () => {
  const cur = { node_count: 2 };
  it('allows a decision within bounds, and no_action always', () => {
    expect(evaluateDecision(d({}), cur, DEFAULT_POLICY)).toEqual({ allowed: true, autoApprove: false });
    expect(
      evaluateDecision(d({ action_type: 'no_action', parameters: {}, confidence: 0 }), {}, DEFAULT_POLICY).allowed,
    ).toBe(true);
  });

  it.each([
    [d({ action_type: 'rollback' }), cur, 'allowed_action_types'],
    [d({ confidence: 0.3 }), cur, 'min_confidence'],
    [d({ parameters: { disk_size: 100 } }), {}, 'changeable_attributes'],
    [d({ parameters: {} }), cur, 'missing_parameters'],
    [d({ parameters: { node_count: 11 } }), { node_count: 10 }, 'max'],
    [d({ action_type: 'scale_down', parameters: { node_count: 0 } }), { node_count: 1 }, 'min'],
    [d({ parameters: { node_count: 5 } }), cur, 'max_step'],
    [d({ parameters: { node_count: 3 } }), {}, 'unknown_current_value'],
    [d({ parameters: { node_count: 2 } }), cur, 'direction'],
    [d({ action_type: 'scale_down', parameters: { node_count: 3 } }), cur, 'direction'],
    [d({ parameters: { node_count: 'three' } }), cur, 'value_type'],
    // Scaling is numeric even for an attribute without numeric bounds (the executor relies on it).
    [d({ parameters: { machine_type: 'e2-medium' } }), {}, 'value_type'],
    [d({ action_type: 'modify_config', parameters: { machine_type: 'n2-highmem-96' } }), {}, 'allowed_values'],
  ] as const)('refuses %j (rule %s)', (decision, current, rule) => {
    // A policy that switches rollback off, to exercise the allowed_action_types rule.
    const policy = PolicySchema.parse({
      ...DEFAULT_POLICY,
      allowed_action_types: DEFAULT_POLICY.allowed_action_types.filter((a) => a !== 'rollback'),
    });
    const v = evaluateDecision(decision, current, policy);
    expect(v).toMatchObject({ allowed: false, rule: rule === 'allowed_action_types' ? rule : rule });
    if (!v.allowed) expect(v.message.length).toBeGreaterThan(5);
  });

  it('matches a bound by the last path segment (input.node_count uses node_count bounds)', () => {
    const v = evaluateDecision(d({ parameters: { 'input.node_count': 9 } }), { 'input.node_count': 2 }, DEFAULT_POLICY);
    expect(v).toMatchObject({ allowed: false, rule: 'max_step' });
  });

  it('allowed machine type change passes; auto-approve only when enabled and confident', () => {
    const policy = PolicySchema.parse({
      ...DEFAULT_POLICY,
      allowed_action_types: ['modify_config', 'scale_up'],
      auto_approve: { enabled: true, min_confidence: 0.9, action_types: ['scale_up'] },
    });
    expect(
      evaluateDecision(d({ action_type: 'modify_config', parameters: { machine_type: 'e2-medium' } }), {}, policy),
    ).toEqual({ allowed: true, autoApprove: false });
    expect(evaluateDecision(d({ confidence: 0.95 }), cur, policy)).toEqual({ allowed: true, autoApprove: true });
    expect(evaluateDecision(d({ confidence: 0.8 }), cur, policy)).toEqual({ allowed: true, autoApprove: false });
  });
});

describe('evaluateDecision with the resource (shapes table)', () => {
  const replicas = (v: number | string, action: DecisionOutput['action_type'] = 'scale_up') =>
    d({ action_type: action, resource_id: 'kubernetes_deployment.web', parameters: { 'spec.replicas': v } });

  it('numeric strings: spec.replicas "2" → 3 or "3" passes; bounds, step and direction judged as numbers', () => {
    const dep = F.deployment('2');
    const cur = { 'spec.replicas': '2' };
    expect(evaluateDecision(replicas(3), cur, DEFAULT_POLICY, dep)).toEqual({ allowed: true, autoApprove: false });
    expect(evaluateDecision(replicas('3'), cur, DEFAULT_POLICY, dep).allowed).toBe(true);
    expect(evaluateDecision(replicas('1', 'scale_down'), cur, DEFAULT_POLICY, dep).allowed).toBe(true);
    expect(evaluateDecision(replicas(5), cur, DEFAULT_POLICY, dep)).toMatchObject({ rule: 'max_step' });
    expect(evaluateDecision(replicas('2'), cur, DEFAULT_POLICY, dep)).toMatchObject({ rule: 'direction' });
    expect(evaluateDecision(replicas(11), { 'spec.replicas': '10' }, DEFAULT_POLICY, dep)).toMatchObject({
      rule: 'max',
    });
    expect(evaluateDecision(replicas('three'), cur, DEFAULT_POLICY, dep)).toMatchObject({ rule: 'value_type' });
    // The executor's re-check has no resource: a numeric string current value is still a number.
    expect(evaluateDecision(replicas('3'), cur, DEFAULT_POLICY)).toEqual({ allowed: true, autoApprove: false });
    expect(evaluateDecision(replicas(5), cur, DEFAULT_POLICY)).toMatchObject({ rule: 'max_step' });
  });

  it('allowed_values on a numeric-string path match by number ("3" is 3)', () => {
    const policy = PolicySchema.parse({
      ...DEFAULT_POLICY,
      attributes: { ...DEFAULT_POLICY.attributes, 'spec.replicas': { allowed_values: [2, 3] } },
    });
    const dep = F.deployment('2');
    const cur = { 'spec.replicas': '2' };
    expect(evaluateDecision(replicas('3'), cur, policy, dep).allowed).toBe(true);
    expect(evaluateDecision(replicas(3), cur, policy, dep).allowed).toBe(true);
    expect(evaluateDecision(replicas('4'), cur, policy, dep)).toMatchObject({ rule: 'allowed_values' });
  });

  it('a numeric string proposed where nothing says the attribute is one stays refused for scaling', () => {
    const v = evaluateDecision(
      d({ parameters: { node_count: '3' } }),
      { node_count: 2 },
      DEFAULT_POLICY,
      F.poolFixed(),
    );
    expect(v).toMatchObject({ allowed: false, rule: 'value_type' });
  });

  it('forbidden paths: node_count while autoscaling is on, initial_node_count, metadata.name — with the reason', () => {
    const pool = d({ resource_id: 'google_container_node_pool.pool', parameters: { node_count: 3 } });
    const onAuto = evaluateDecision(pool, { node_count: 2 }, DEFAULT_POLICY, F.poolAutoscaled());
    expect(onAuto).toMatchObject({ allowed: false, rule: 'forbidden_attribute' });
    if (!onAuto.allowed) expect(onAuto.message).toMatch(/fights the cluster autoscaler.*autoscaling.max_node_count/);
    expect(evaluateDecision(pool, { node_count: 2 }, DEFAULT_POLICY, F.poolFixed()).allowed).toBe(true);
    const initial = d({ parameters: { initial_node_count: 3 } });
    const policy = PolicySchema.parse({
      ...DEFAULT_POLICY,
      changeable_attributes: [...DEFAULT_POLICY.changeable_attributes, 'initial_node_count', 'metadata.name'],
    });
    const v = evaluateDecision(initial, { initial_node_count: 2 }, policy, F.poolFixed());
    expect(v).toMatchObject({ allowed: false, rule: 'forbidden_attribute' });
    if (!v.allowed) expect(v.message).toMatch(/ForceNew/);
    const rename = d({ action_type: 'modify_config', parameters: { 'metadata.name': 'web2' } });
    expect(evaluateDecision(rename, {}, policy, F.deployment())).toMatchObject({ rule: 'forbidden_attribute' });
  });

  it('ignore_changes covering the path: refused, naming the lifecycle rule and what to change instead', () => {
    const asg = F.asg(2, 4, 1, ['desired_capacity']);
    const v = evaluateDecision(
      d({ parameters: { desired_capacity: 3 } }),
      { desired_capacity: 2 },
      DEFAULT_POLICY,
      asg,
    );
    expect(v).toMatchObject({ allowed: false, rule: 'ignore_changes' });
    if (!v.allowed) {
      expect(v.message).toContain('ignore_changes = [desired_capacity]');
      expect(v.message).toContain('change max_size instead');
    }
    expect(evaluateDecision(d({ parameters: { max_size: 5 } }), { max_size: 4 }, DEFAULT_POLICY, asg).allowed).toBe(
      true,
    );
  });

  it('restart of a group without a rolling restart: rule restart_method with the shape reason, unless opted in', () => {
    const restart = d({ action_type: 'restart', parameters: {} });
    for (const r of [F.poolAutoscaled(), F.asg()]) {
      const v = evaluateDecision(restart, {}, DEFAULT_POLICY, r);
      expect(v).toMatchObject({ allowed: false, rule: 'restart_method' });
      if (!v.allowed) expect(v.message).toMatch(/needs a human: .*(node pool|autoscaling group)/);
    }
    const byType = PolicySchema.parse({
      ...DEFAULT_POLICY,
      disruption: { stop_start: [], replace: ['aws_autoscaling_group'] },
    });
    expect(evaluateDecision(restart, {}, byType, F.asg()).allowed).toBe(true);
    expect(evaluateDecision(restart, {}, byType, F.poolAutoscaled()).allowed).toBe(false);
    // ECS rolling restart needs force_new_deployment = true; the Deployment's needs nothing.
    expect(evaluateDecision(restart, {}, DEFAULT_POLICY, F.ecs(2, true)).allowed).toBe(true);
    expect(evaluateDecision(restart, {}, DEFAULT_POLICY, F.ecs(2, false))).toMatchObject({ rule: 'restart_method' });
    expect(evaluateDecision(restart, {}, DEFAULT_POLICY, F.deployment()).allowed).toBe(true);
    expect(evaluateDecision(restart, {}, DEFAULT_POLICY, F.ec2()).allowed).toBe(true);
    // Without the resource (rollback, executor re-check) the shape rules cannot apply.
    expect(evaluateDecision(restart, {}, DEFAULT_POLICY).allowed).toBe(true);
  });

  it('GCE machine_type stops the instance: allowed only with disruption.stop_start naming it', () => {
    const change = d({ action_type: 'modify_config', parameters: { machine_type: 'e2-medium' } });
    const v = evaluateDecision(change, { machine_type: 'e2-small' }, DEFAULT_POLICY, F.gce(true));
    expect(v).toMatchObject({ allowed: false, rule: 'disruption' });
    if (!v.allowed) expect(v.message).toMatch(/stops and starts.*allow_stopping_for_update/);
    const optIn = PolicySchema.parse({
      ...DEFAULT_POLICY,
      disruption: { stop_start: ['google_compute_instance.vm'], replace: [] },
    });
    expect(evaluateDecision(change, {}, optIn, F.gce(true)).allowed).toBe(true);
    // aws_instance.instance_type is bounded by the default policy's allowed_values.
    const ec2 = d({ action_type: 'modify_config', parameters: { instance_type: 't3.medium' } });
    expect(evaluateDecision(ec2, {}, DEFAULT_POLICY, F.ec2()).allowed).toBe(true);
    const huge = d({ action_type: 'modify_config', parameters: { instance_type: 'x2iedn.32xlarge' } });
    expect(evaluateDecision(huge, {}, DEFAULT_POLICY, F.ec2())).toMatchObject({ rule: 'allowed_values' });
  });
});
