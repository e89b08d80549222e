import { describe, expect, it } from 'vitest';
import { DecisionOutputSchema } from '../../src/agent/decision-schema.js';
import { alertText, classifyAlert, decideByRules } from '../../src/agent/rules-agent.js';
import { currentValues } from '../../src/agent/attribute-paths.js';
import { evaluateDecision } from '../../src/policy/evaluate.js';
import { DEFAULT_POLICY, PolicySchema, type Policy } from '../../src/policy/policy-schema.js';
import type { RegistryResource } from '../../src/registry/registry-port.js';
import { alert, ctxFor } from '../fakes/agent-context.js';
import { resource } from '../fakes/demo-registry.js';
import { SHAPE_FIXTURES as F } from '../fakes/shapes.js';

describe('rules agent', () => {
  it.each([
    ['HighCPUUsage', 'high'],
    ['cpu_usage', 'high'],
    ['NodeMemoryPressure', 'high'],
    ['PoolSaturated', 'high'],
    ['HighRequestLatency', 'high'],
    ['QueueBacklog', 'high'],
    ['HostHighLoad', 'high'],
    ['CPULow', 'low'],
    ['NodeUnderutilised', 'low'],
    ['PoolIdle', 'low'],
    ['KubePodCrashLooping', 'restart'],
    ['InstanceDown', 'restart'],
    ['ContainerOOMKilled', 'restart'],
    ['NodeNotReady', 'restart'],
    ['ServiceUnhealthy', 'restart'],
    ['SlowQueries', 'none'],
    ['CertificateExpiry', 'none'],
    ['DiskSlowdown', 'none'],
  ])('classifies %s as %s', (name, want) => {
    expect(classifyAlert(alert(name))).toBe(want);
  });

  it('tokenises CamelCase alert names', () => {
    expect(alertText(alert('HighCPUUsage'))).toBe('high_cpu_usage');
  });

  it('reads the metric label of the simple form and honours a known value below threshold', () => {
    expect(classifyAlert(alert('simple', { labels: { metric: 'cpu_usage', threshold: '80' }, value: 85 }))).toBe(
      'high',
    );
    expect(classifyAlert(alert('simple', { labels: { metric: 'cpu_usage', threshold: '80' }, value: 70 }))).toBe(
      'none',
    );
    expect(classifyAlert(alert('HighCPU', { status: 'resolved' }))).toBe('none');
  });

  it('vm-1 cpu 85 > 80 → scale_up node_count 2→3 on terraform_data.vm', () => {
    const d = decideByRules(
      ctxFor('terraform_data.vm', [alert('cpu_usage', { value: 85, labels: { threshold: '80' } })]),
    );
    expect(d).toMatchObject({
      action_type: 'scale_up',
      resource_id: 'terraform_data.vm',
      parameters: { node_count: 3 },
      confidence: 0.8,
    });
    expect(DecisionOutputSchema.parse(d)).toEqual(d);
  });

  it('pool saturated → scale_up count 2→3 on the block terraform_data.pool', () => {
    const d = decideByRules(ctxFor('terraform_data.pool[0]', [alert('PoolSaturated')]));
    expect(d).toMatchObject({ action_type: 'scale_up', resource_id: 'terraform_data.pool', parameters: { count: 3 } });
  });

  it('web replicas low → scale_down replicas 2→1', () => {
    const d = decideByRules(ctxFor('terraform_data.web', [alert('WebCPULow')]));
    expect(d).toMatchObject({ action_type: 'scale_down', parameters: { replicas: 1 }, confidence: 0.7 });
  });

  it('crash loop → restart with no parameters', () => {
    const d = decideByRules(ctxFor('terraform_data.vm', [alert('HighCPU'), alert('KubePodCrashLooping')]));
    expect(d).toMatchObject({ action_type: 'restart', parameters: {}, confidence: 0.6 });
  });

  it('respects the policy max, and answers no_action when already at it', () => {
    const policy = PolicySchema.parse({
      ...DEFAULT_POLICY,
      default_step: 5,
      attributes: { node_count: { max: 4, max_step: 2 } },
    });
    expect(decideByRules(ctxFor('terraform_data.vm', [alert('HighCPU')], policy)).parameters).toEqual({
      node_count: 4,
    });
    const atMax = PolicySchema.parse({ ...DEFAULT_POLICY, attributes: { node_count: { max: 2 } } });
    const d = decideByRules(ctxFor('terraform_data.vm', [alert('HighCPU')], atMax));
    expect(d.action_type).toBe('no_action');
    expect(d.reason).toMatch(/already at its policy max/);
  });

  it('no scalable attribute or no matching rule → no_action', () => {
    const bare = [resource('terraform_data.thing', { id: 't', input: { name: 'thing' } })];
    expect(decideByRules(ctxFor('terraform_data.thing', [alert('HighCPU')], DEFAULT_POLICY, bare)).action_type).toBe(
      'no_action',
    );
    expect(decideByRules(ctxFor('terraform_data.vm', [alert('CertificateExpiry')]))).toMatchObject({
      action_type: 'no_action',
      confidence: 0.5,
    });
  });

  it('scales autoscaling.max_node_count when nested in a one-element list (google node pool shape)', () => {
    const pool = [
      resource('google_container_node_pool.p', { autoscaling: [{ min_node_count: 1, max_node_count: 3 }] }),
    ];
    const d = decideByRules(ctxFor('google_container_node_pool.p', [alert('HighCPU')], DEFAULT_POLICY, pool));
    expect(d.parameters).toEqual({ 'autoscaling.max_node_count': 4 });
  });
});

/** The rules' decision on one resource, and the default policy's verdict on it as decide-incident makes it. */
function decideOn(r: RegistryResource, alertname: string, policy: Policy = DEFAULT_POLICY) {
  const d = decideByRules(ctxFor(r.address, [alert(alertname)], policy, [r]));
  const current = currentValues(r, [r], Object.keys(d.parameters));
  return { d, verdict: evaluateDecision(d, current, policy, r) };
}

describe('rules agent on each resource shape (issue 13 table), checked by the default policy', () => {
  it('node pool with autoscaling: raises autoscaling.max_node_count, never node_count; lowers min_node_count', () => {
    const up = decideOn(F.poolAutoscaled(3), 'HighCPU');
    expect(up.d).toMatchObject({ action_type: 'scale_up', parameters: { 'autoscaling.max_node_count': 4 } });
    expect(up.verdict).toEqual({ allowed: true, autoApprove: false });
    const down = decideOn(F.poolAutoscaled(3), 'PoolIdle');
    expect(down.d.parameters).toEqual({ 'autoscaling.min_node_count': 0 });
    expect(down.verdict.allowed).toBe(true);
  });

  it('node pool without autoscaling: node_count', () => {
    const up = decideOn(F.poolFixed(2), 'HighCPU');
    expect(up.d.parameters).toEqual({ node_count: 3 });
    expect(up.verdict.allowed).toBe(true);
  });

  it('ASG: desired_capacity, capped by max_size; at max_size → desired_capacity and max_size raised together', () => {
    const up = decideOn(F.asg(2, 4, 1), 'HighCPU');
    expect(up.d.parameters).toEqual({ desired_capacity: 3 });
    expect(up.verdict.allowed).toBe(true);
    // A step of 5 stops at the group's own max_size (4), not at the policy's max (20).
    const big = PolicySchema.parse({ ...DEFAULT_POLICY, default_step: 5, attributes: {} });
    expect(decideOn(F.asg(2, 4, 1), 'HighCPU', big).d.parameters).toEqual({ desired_capacity: 4 });
    const atMax = decideOn(F.asg(4, 4, 1), 'HighCPU');
    expect(atMax.d).toMatchObject({ action_type: 'scale_up', parameters: { desired_capacity: 5, max_size: 5 } });
    expect(atMax.d.reason).toMatch(/desired_capacity 4 → 5, and max_size 4 → 5 with it/);
    expect(atMax.verdict.allowed).toBe(true);
    // The policy's max on max_size bounds both; at that max nothing can move: no_action naming it.
    const capped = PolicySchema.parse({
      ...DEFAULT_POLICY,
      default_step: 3,
      attributes: { ...DEFAULT_POLICY.attributes, max_size: { min: 1, max: 6 } },
    });
    expect(decideOn(F.asg(4, 4, 1), 'HighCPU', capped).d.parameters).toEqual({ desired_capacity: 6, max_size: 6 });
    const blocked = decideOn(F.asg(6, 6, 1), 'HighCPU', capped);
    expect(blocked.d.action_type).toBe('no_action');
    expect(blocked.d.reason).toMatch(
      /desired_capacity is at max_size \(6\) and the policy max of max_size \(6\) blocks/,
    );
    const down = decideOn(F.asg(2, 4, 1), 'WebCPULow');
    expect(down.d.parameters).toEqual({ desired_capacity: 1 });
    expect(down.verdict.allowed).toBe(true);
    // The min side is symmetric: at min_size 2, both go to 1.
    const atMin = decideOn(F.asg(2, 4, 2), 'WebCPULow');
    expect(atMin.d).toMatchObject({ action_type: 'scale_down', parameters: { desired_capacity: 1, min_size: 1 } });
    expect(atMin.verdict.allowed).toBe(true);
    // desired_capacity's own policy min (1) stops it: no_action.
    expect(decideOn(F.asg(1, 4, 1), 'WebCPULow').d.action_type).toBe('no_action');
  });

  it('ASG with desired_capacity under ignore_changes: max_size / min_size, allowed by the default policy', () => {
    const up = decideOn(F.asg(4, 4, 1, ['desired_capacity']), 'HighCPU');
    expect(up.d.parameters).toEqual({ max_size: 5 });
    expect(up.verdict.allowed).toBe(true);
    const down = decideOn(F.asg(2, 4, 2, ['desired_capacity']), 'WebCPULow');
    expect(down.d.parameters).toEqual({ min_size: 1 });
    expect(down.verdict.allowed).toBe(true);
  });

  it('ECS: desired_count, and the default policy allows it (rules and default policy agree)', () => {
    const up = decideOn(F.ecs(2), 'HighCPU');
    expect(up.d.parameters).toEqual({ desired_count: 3 });
    expect(up.verdict).toEqual({ allowed: true, autoApprove: false });
  });

  it('Deployment: spec.replicas "2" in state → the number 3, allowed', () => {
    const up = decideOn(F.deployment('2'), 'HighCPU');
    expect(up.d).toMatchObject({ action_type: 'scale_up', parameters: { 'spec.replicas': 3 } });
    expect(DecisionOutputSchema.parse(up.d)).toEqual(up.d);
    expect(up.verdict.allowed).toBe(true);
    expect(decideOn(F.deployment('2'), 'WebCPULow').d.parameters).toEqual({ 'spec.replicas': 1 });
    const atMax = decideOn(F.deployment('10'), 'HighCPU');
    expect(atMax.d.action_type).toBe('no_action');
    expect(atMax.d.reason).toMatch(/already at its policy max \(10\)/);
  });

  it('instances: no scale, the reason says to resize instead', () => {
    for (const r of [F.gce(), F.ec2()]) {
      const { d } = decideOn(r, 'HighCPU');
      expect(d.action_type).toBe('no_action');
      expect(d.reason).toMatch(/one machine: it is not scaled out; resize it with modify_config/);
    }
  });

  it('restart: instance replace allowed; Deployment / ECS rolling restart allowed; node pool / ASG blocked to a human', () => {
    for (const r of [F.gce(), F.ec2(), F.deployment(), F.ecs()]) {
      const { d, verdict } = decideOn(r, 'InstanceDown');
      expect(d.action_type).toBe('restart');
      expect(verdict.allowed, `${r.type}`).toBe(true);
    }
    expect(decideOn(F.deployment(), 'InstanceDown').d.reason).toMatch(/rolling restart/);
    for (const r of [F.poolAutoscaled(), F.asg()]) {
      const { d, verdict } = decideOn(r, 'InstanceDown');
      expect(d.action_type).toBe('restart');
      expect(d.reason).toMatch(/needs a human/);
      expect(verdict).toMatchObject({ allowed: false, rule: 'restart_method' });
    }
  });

  it('restart of a node pool the policy opts in to a replace is allowed, and the reason says so', () => {
    const optIn = PolicySchema.parse({
      ...DEFAULT_POLICY,
      disruption: { stop_start: [], replace: ['google_container_node_pool.pool'] },
    });
    const { d, verdict } = decideOn(F.poolAutoscaled(), 'InstanceDown', optIn);
    expect(d.reason).toMatch(/opts .* in to a replace/);
    expect(verdict.allowed).toBe(true);
  });
});
