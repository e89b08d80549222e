import { describe, expect, it } from 'vitest';
import { DecisionOutputSchema } from '../../src/agent/decision-schema.js';
import { alertText, classifyAlert, decideByRules } from '../../src/agent/rules-agent.js';
import { DEFAULT_POLICY, PolicySchema } from '../../src/policy/policy-schema.js';
import { alert, ctxFor } from '../fakes/agent-context.js';
import { resource } from '../fakes/demo-registry.js';

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
