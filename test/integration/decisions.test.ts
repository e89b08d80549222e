import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../src/main.js';
import { DEFAULT_POLICY } from '../../src/policy/policy-schema.js';
import { FakeGeminiServer } from '../fakes/fake-gemini-server.js';
import { alertAndDecide, RecordingPreparer, seedDemoRegistry } from '../helpers/decisions.js';
import { startTestService, tempWorkspace, testConfig } from '../helpers/service.js';

const vmCpu = { resource_id: 'vm-1', metric: 'cpu_usage', value: 85, threshold: 80 };
const KEY = 'fake-gemini-key-abc123';

async function list(service: Service, query = '') {
  const res = await service.app.inject({ method: 'GET', url: `/ops/decisions${query}` });
  expect(res.statusCode).toBe(200);
  return res.json() as { total: number; items: Array<Record<string, any>> };
}

async function detail(service: Service, id: string) {
  const res = await service.app.inject({ method: 'GET', url: `/ops/decisions/${id}` });
  expect(res.statusCode).toBe(200);
  return res.json() as Record<string, any>;
}

describe('decision service with the rules agent (no GEMINI_API_KEY), real SQLite', () => {
  let service: Service | undefined;
  const preparer = new RecordingPreparer();
  afterEach(async () => {
    await service?.stop();
    service = undefined;
    preparer.prepared.length = 0;
  });

  it('vm-1 cpu 85 > 80 → proposed scale_up node_count 3, handed to the executor, visible via the API', async () => {
    service = await startTestService(testConfig(), { actionPreparer: preparer });
    seedDemoRegistry(service);
    await alertAndDecide(service, vmCpu);
    const page = await list(service);
    expect(page.total).toBe(1);
    const d = page.items[0]!;
    expect(d).toMatchObject({
      status: 'proposed',
      source: 'rules',
      action_type: 'scale_up',
      resource_id: 'terraform_data.vm',
      resource_address: 'terraform_data.vm',
      run_id: 'demo',
      parameters: { node_count: 3 },
      confidence: 0.8,
    });
    expect(preparer.prepared).toEqual([d.id]);
    const full = await detail(service, d.id);
    expect(full.policy_verdict).toEqual({ allowed: true, auto_approve: false });
    expect(full.incident.decision_id).toBe(d.id);
    expect(full.alerts).toHaveLength(1);
    expect(full.llm).toBeNull();
    expect(full.ledger.map((e: { kind: string }) => e.kind)).toContain('decision.created');

    // Same resource, another alert inside the cooldown → recorded as suppressed, not decided again.
    await alertAndDecide(service, { ...vmCpu, metric: 'memory_usage' });
    const suppressed = (await list(service, '?status=suppressed_cooldown')).items;
    expect(suppressed).toHaveLength(1);
    expect(suppressed[0]!.reason).toMatch(new RegExp(`${d.id}.*cooldown`));
    expect(preparer.prepared).toHaveLength(1);
  });

  it('pool saturated → scale_up count 3; an unknown resource → needs_human; restart recovers undecided incidents', async () => {
    service = await startTestService(testConfig(), { actionPreparer: preparer });
    seedDemoRegistry(service);
    await alertAndDecide(service, { resource_id: 'web-pool', metric: 'pool_saturation', value: 0.97, threshold: 0.9 });
    await alertAndDecide(service, { resource_id: 'nope-42', metric: 'cpu_usage', value: 99, threshold: 80 });
    const items = (await list(service)).items;
    expect(items.find((i) => i.status === 'proposed')).toMatchObject({
      resource_id: 'terraform_data.pool',
      parameters: { count: 3 },
    });
    const human = items.find((i) => i.status === 'needs_human');
    expect(human).toMatchObject({ action_type: 'no_action', source: 'rules', resource_id: 'nope-42' });
    expect(human!.reason).toMatch(/nope-42.*unknown/);
    // Already decided incidents are never decided twice.
    service.decisions.enqueue(items[0]!.incident_id);
    await service.decisions.idle();
    expect((await list(service)).total).toBe(2);
    expect(service.decisions.recover()).toBe(0);
  });

  it('a policy file that forbids the step blocks the decision, naming the rule', async () => {
    const ws = tempWorkspace();
    const file = path.join(ws.root, 'policy.yaml');
    writeFileSync(file, JSON.stringify({ ...DEFAULT_POLICY, default_step: 1, changeable_attributes: ['count'] }));
    service = await startTestService(testConfig({ POLICY_FILE: file }, ws), { actionPreparer: preparer });
    seedDemoRegistry(service);
    await alertAndDecide(service, vmCpu);
    const d = (await list(service, '?status=blocked_by_policy')).items[0]!;
    expect((await detail(service, d.id)).policy_verdict).toMatchObject({
      allowed: false,
      rule: 'changeable_attributes',
    });
    expect(preparer.prepared).toEqual([]);
  });

  it('404 ERR_DECISION_NOT_FOUND and 400 on an unknown status filter', async () => {
    service = await startTestService(testConfig());
    const missing = await service.app.inject({ method: 'GET', url: '/ops/decisions/dec_nope' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('ERR_DECISION_NOT_FOUND');
    const bad = await service.app.inject({ method: 'GET', url: '/ops/decisions?status=maybe' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/status/);
  });
});

describe('decision service with Gemini (fake server, real SDK), real SQLite', () => {
  let fake: FakeGeminiServer;
  let service: Service | undefined;
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
  const start = async (extra: Record<string, string> = {}) => {
    service = await startTestService(
      testConfig({
        GEMINI_API_KEY: KEY,
        GEMINI_BASE_URL: fake.baseUrl,
        GEMINI_MAX_RETRIES: '0',
        GEMINI_TIMEOUT_MS: '2000',
        ...extra,
      }),
      { actionPreparer: preparer },
    );
    seedDemoRegistry(service);
    return service;
  };

  it('ok → proposed by gemini with the exchange stored; the key travels only in x-goog-api-key', async () => {
    const s = await start();
    fake.script({
      kind: 'json',
      value: {
        action_type: 'scale_up',
        resource_id: 'terraform_data.vm',
        parameters: { node_count: 4 },
        confidence: 0.9,
        reason: 'cpu',
      },
    });
    await alertAndDecide(s, vmCpu);
    const d = (await list(s)).items[0]!;
    expect(d).toMatchObject({ status: 'proposed', source: 'gemini', parameters: { node_count: 4 } });
    const full = await detail(s, d.id);
    expect(full.llm).toMatchObject({ model: 'gemini-2.5-flash', prompt_tokens: 321, output_tokens: 45, error: null });
    expect(full.llm.prompt).toContain('terraform_data.vm');
    expect(fake.requests[0]!.headers['x-goog-api-key']).toBe(KEY);
    expect(fake.requests[0]!.raw).not.toContain(KEY);
    expect(JSON.stringify(full)).not.toContain(KEY);
    expect(preparer.prepared).toEqual([d.id]);
  });

  it('500 → rules decide and the Gemini failure is on the decision and in the ledger', async () => {
    const s = await start();
    fake.script({ kind: 'error', status: 500 });
    await alertAndDecide(s, vmCpu);
    const d = (await list(s)).items[0]!;
    expect(d).toMatchObject({ status: 'proposed', source: 'rules', parameters: { node_count: 3 } });
    expect(d.error).toMatch(/gemini unavailable: HTTP 500/);
    const full = await detail(s, d.id);
    expect(full.ledger.map((e: { kind: string }) => e.kind)).toEqual(
      expect.arrayContaining(['decision.llm_failed', 'decision.created']),
    );
  });

  it('truncated, wrong-resource and over-policy answers are recorded for a human, never executed', async () => {
    const s = await start();
    fake.script(
      {
        kind: 'truncated',
        value: {
          action_type: 'scale_up',
          resource_id: 'terraform_data.vm',
          parameters: { node_count: 3 },
          confidence: 0.9,
          reason: 'x',
        },
      },
      {
        kind: 'json',
        value: {
          action_type: 'scale_up',
          resource_id: 'terraform_data.vm',
          parameters: { replicas: 3 },
          confidence: 0.9,
          reason: 'x',
        },
      },
      {
        kind: 'json',
        value: {
          action_type: 'scale_up',
          resource_id: 'terraform_data.web',
          parameters: { replicas: 9 },
          confidence: 0.9,
          reason: 'x',
        },
      },
    );
    await alertAndDecide(s, vmCpu); // truncated
    await alertAndDecide(s, { resource_id: 'web', metric: 'cpu_usage', value: 95, threshold: 80 }); // wrong resource
    await alertAndDecide(s, { resource_id: 'web-pool', metric: 'cpu_usage', value: 95, threshold: 80 }); // names web, not pool
    const rejected = (await list(s, '?status=llm_rejected')).items;
    expect(rejected).toHaveLength(3);
    expect(rejected.map((r) => r.error).join('\n')).toMatch(/MAX_TOKENS/);
    expect(rejected.map((r) => r.error).join('\n')).toMatch(
      /names resource "terraform_data.vm", not the incident's "terraform_data.web"/,
    );
    expect(preparer.prepared).toEqual([]);
    const full = await detail(s, rejected[0]!.id);
    expect(full.llm.response).toBeTruthy();
  });

  it('an answer outside policy is blocked_by_policy with the rule', async () => {
    const s = await start();
    fake.script({
      kind: 'json',
      value: {
        action_type: 'scale_up',
        resource_id: 'terraform_data.vm',
        parameters: { node_count: 9 },
        confidence: 0.9,
        reason: 'x',
      },
    });
    await alertAndDecide(s, vmCpu);
    const d = (await list(s)).items[0]!;
    expect(d.status).toBe('blocked_by_policy');
    expect((await detail(s, d.id)).policy_verdict).toMatchObject({ allowed: false, rule: 'max_step' });
  });
});
