/**
 * Issue 13 §2, decision side, through the real service graph (real SQLite, registry parser, decision
 * service, default policy) without Terraform: the registry holds real resource types as
 * `terraform show -json` reports them; an alert arrives; the rules decide; the policy judges with
 * the resource. The same rows through real Terraform and the local provider: shapes-scale.test.ts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../src/main.js';
import { parseShowJson } from '../../src/registry/state-parser.js';
import { FakeGeminiServer } from '../fakes/fake-gemini-server.js';
import { alertAndDecide, RecordingPreparer } from '../helpers/decisions.js';
import { startTestService, testConfig } from '../helpers/service.js';

function res(type: string, name: string, values: Record<string, unknown>, provider: string) {
  return {
    address: `${type}.${name}`,
    mode: 'managed',
    type,
    name,
    provider_name: `registry.terraform.io/hashicorp/${provider}`,
    values,
    sensitive_values: {},
  };
}

const RESOURCES = [
  res(
    'google_container_node_pool',
    'auto',
    {
      name: 'auto-pool',
      node_count: 2,
      initial_node_count: 1,
      autoscaling: [{ min_node_count: 1, max_node_count: 3 }],
    },
    'google',
  ),
  res('google_container_node_pool', 'fixed', { name: 'fixed-pool', node_count: 2, autoscaling: [] }, 'google'),
  res('aws_autoscaling_group', 'web', { name: 'web-asg', min_size: 1, max_size: 4, desired_capacity: 2 }, 'aws'),
  res('aws_autoscaling_group', 'full', { name: 'full-asg', min_size: 1, max_size: 3, desired_capacity: 3 }, 'aws'),
  res('aws_ecs_service', 'api', { name: 'api', desired_count: 2, force_new_deployment: true }, 'aws'),
  res(
    'kubernetes_deployment',
    'app',
    { id: 'default/app', metadata: [{ name: 'app', namespace: 'default' }], spec: [{ replicas: '2' }] },
    'kubernetes',
  ),
  res('aws_instance', 'box', { instance_type: 't3.small' }, 'aws'),
];

function seed(service: Service): void {
  const show = {
    format_version: '1.0',
    terraform_version: '1.11.4',
    values: { root_module: { resources: RESOURCES } },
  };
  service.registry.applyState({
    runId: 'cloud',
    dir: '/tmp/cloud',
    serial: 1,
    lineage: 'lineage-cloud',
    state: parseShowJson('cloud', show),
  });
}

async function decisionFor(service: Service, address: string, metric: string): Promise<Record<string, any>> {
  await alertAndDecide(service, { resource_id: address, metric, value: 95, threshold: 80 });
  const res = await service.app.inject({ method: 'GET', url: '/ops/decisions?limit=100' });
  const items = (res.json() as { items: Array<Record<string, any>> }).items;
  const d = items.find((i) => i.resource_address === address);
  if (!d) throw new Error(`no decision for ${address}: ${JSON.stringify(items)}`);
  const full = (await service.app.inject({ method: 'GET', url: `/ops/decisions/${d.id}` })).json() as Record<
    string,
    any
  >;
  return { ...(full.decision as Record<string, any>), policy_verdict: full.policy_verdict };
}

describe('rules agent + default policy on real resource types (registry → decision → verdict)', () => {
  let service: Service | undefined;
  const preparer = new RecordingPreparer();
  afterEach(async () => {
    await service?.stop();
    service = undefined;
    preparer.prepared.length = 0;
  });

  it('each type scales the attribute of the table, and the default policy lets it through to the executor', async () => {
    service = await startTestService(testConfig(), { actionPreparer: preparer });
    seed(service);
    const want: Array<[string, Record<string, unknown>]> = [
      ['google_container_node_pool.auto', { 'autoscaling.max_node_count': 4 }],
      ['google_container_node_pool.fixed', { node_count: 3 }],
      ['aws_autoscaling_group.web', { desired_capacity: 3 }],
      ['aws_ecs_service.api', { desired_count: 3 }],
      ['kubernetes_deployment.app', { 'spec.replicas': 3 }],
    ];
    for (const [address, parameters] of want) {
      const d = await decisionFor(service, address, 'cpu_usage');
      expect(d, address).toMatchObject({ status: 'proposed', action_type: 'scale_up', parameters });
      expect(d.policy_verdict).toEqual({ allowed: true, auto_approve: false });
      expect(preparer.prepared).toContain(d.id);
    }
  });

  it('ASG at max_size: both raised; a single instance: no_action naming why; node pool restart: blocked to a human', async () => {
    service = await startTestService(testConfig(), { actionPreparer: preparer });
    seed(service);
    const full = await decisionFor(service, 'aws_autoscaling_group.full', 'cpu_usage');
    expect(full).toMatchObject({ status: 'proposed', parameters: { desired_capacity: 4, max_size: 4 } });
    expect(full.reason).toMatch(/max_size 3 → 4 with it \(desired_capacity was at max_size\)/);
    const box = await decisionFor(service, 'aws_instance.box', 'cpu_usage');
    expect(box.status).toBe('no_action');
    expect(box.reason).toMatch(/resize it with modify_config on instance_type/);
    await alertAndDecide(service, {
      resource_id: 'google_container_node_pool.auto',
      metric: 'NodeNotReady',
      value: 1,
      threshold: 0,
    });
    const res = await service.app.inject({ method: 'GET', url: '/ops/decisions?status=blocked_by_policy' });
    const blocked = (res.json() as { items: Array<Record<string, any>> }).items;
    expect(blocked).toHaveLength(1);
    const d = (await service.app.inject({ method: 'GET', url: `/ops/decisions/${blocked[0]!.id}` })).json();
    expect(d.decision).toMatchObject({ action_type: 'restart', resource_address: 'google_container_node_pool.auto' });
    expect(d.policy_verdict).toMatchObject({ allowed: false, rule: 'restart_method' });
    expect(d.policy_verdict.message).toMatch(/needs a human: a node pool has no Terraform-side rolling restart/);
    expect(preparer.prepared).toEqual([full.id]);
  });
});

describe('Gemini on real resource types: told the shape, judged by the same policy rules as the rules agent', () => {
  let service: Service | undefined;
  let fake: FakeGeminiServer;
  const preparer = new RecordingPreparer();
  beforeAll(async () => {
    fake = await FakeGeminiServer.start();
  });
  afterAll(async () => fake.close());
  afterEach(async () => {
    await service?.stop();
    service = undefined;
    preparer.prepared.length = 0;
    fake.requests.length = 0;
  });

  it('a model restart of a node pool and a change of initial_node_count are blocked with the table reasons; spec.replicas "3" passes', async () => {
    service = await startTestService(
      testConfig({ GEMINI_API_KEY: 'fake-key', GEMINI_BASE_URL: fake.baseUrl, GEMINI_MAX_RETRIES: '0' }),
      { actionPreparer: preparer },
    );
    seed(service);
    const reply = (resource_id: string, action_type: string, parameters: Record<string, unknown>) => ({
      kind: 'json' as const,
      value: { action_type, resource_id, parameters, confidence: 0.9, reason: 'model' },
    });
    fake.script(
      reply('google_container_node_pool.auto', 'restart', {}),
      reply('google_container_node_pool.fixed', 'scale_up', { initial_node_count: 3 }),
      reply('kubernetes_deployment.app', 'scale_up', { 'spec.replicas': '3' }),
    );
    const restart = await decisionFor(service, 'google_container_node_pool.auto', 'NodeNotReady');
    expect(restart).toMatchObject({ status: 'blocked_by_policy', source: 'gemini', action_type: 'restart' });
    expect(restart.policy_verdict).toMatchObject({ rule: 'restart_method' });
    // The prompt named the attribute to scale and the forbidden ones for this pool.
    const shape = JSON.parse(fake.requests[0]!.prompt.slice(fake.requests[0]!.prompt.indexOf('{'))).resource_shape;
    expect(shape.scale_up.attribute).toBe('autoscaling.max_node_count');
    expect(shape.forbidden.map((f: { path: string }) => f.path)).toContain('node_count');
    const initial = await decisionFor(service, 'google_container_node_pool.fixed', 'cpu_usage');
    expect(initial).toMatchObject({ status: 'blocked_by_policy', source: 'gemini' });
    expect(initial.policy_verdict).toMatchObject({ rule: 'forbidden_attribute' });
    expect(initial.policy_verdict.message).toMatch(/initial_node_count is ForceNew/);
    // A numeric string for spec.replicas is a number to the policy: "2" → "3" is one step up.
    const replicas = await decisionFor(service, 'kubernetes_deployment.app', 'cpu_usage');
    expect(replicas).toMatchObject({ status: 'proposed', source: 'gemini', parameters: { 'spec.replicas': '3' } });
    expect(preparer.prepared).toEqual([replicas.id]);
  });
});
