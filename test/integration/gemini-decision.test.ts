import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DecisionContext } from '../../src/agent/context.js';
import { GeminiDecisionClient } from '../../src/agent/gemini-decision-client.js';
import { ModelFixClient } from '../../src/agent/fix-client.js';
import { runAgent } from '../../src/agent/run-agent.js';
import { alert, ctxFor } from '../fakes/agent-context.js';
import { FakeGeminiServer } from '../fakes/fake-gemini-server.js';
import { resource } from '../fakes/demo-registry.js';
import {
  ANNOTATION_CANARY,
  canaryAlerts,
  COPIED_CANARY,
  GOOGLE_KEY_CANARY,
  registryWithSensitiveState,
  STATE_CANARY,
} from '../fakes/canary.js';

const KEY = 'test-key-not-secret-123';
const ok = {
  action_type: 'scale_up',
  resource_id: 'terraform_data.vm',
  parameters: { node_count: 3 },
  confidence: 0.9,
  reason: 'cpu 85% > 80%',
};

describe('Gemini decision client through the real @google/genai SDK', () => {
  let fake: FakeGeminiServer;
  let sleeps: number[];
  let ctx: DecisionContext;
  const client = (o: Partial<ConstructorParameters<typeof GeminiDecisionClient>[0]> = {}) =>
    new GeminiDecisionClient({
      apiKey: KEY,
      model: 'gemini-2.5-flash',
      baseUrl: fake.baseUrl,
      timeoutMs: 2000,
      maxRetries: 2,
      sleep: async (ms) => void sleeps.push(ms),
      ...o,
    });

  beforeAll(async () => {
    fake = await FakeGeminiServer.start();
  });
  afterAll(async () => fake.close());
  beforeEach(() => {
    fake.requests.length = 0;
    sleeps = [];
    ctx = ctxFor('terraform_data.vm', [alert('cpu_usage', { value: 85, labels: { threshold: '80' } })]);
  });

  it('ok: sends key, model, schema and temperature 0; records prompt, response, tokens', async () => {
    fake.script({ kind: 'json', value: ok });
    const r = await runAgent(ctx, client());
    expect(r).toMatchObject({ source: 'gemini', outcome: 'decided', output: ok });
    expect(r.llm).toMatchObject({
      model: 'gemini-2.5-flash',
      promptTokens: 321,
      outputTokens: 45,
      attempts: 1,
      error: null,
    });
    expect(r.llm?.response).toBe(JSON.stringify(ok));
    expect(r.llm?.latencyMs).toBeGreaterThanOrEqual(0);
    const req = fake.requests[0]!;
    expect(req.path).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(req.headers['x-goog-api-key']).toBe(KEY);
    expect(req.body.generationConfig).toMatchObject({ responseMimeType: 'application/json', temperature: 0 });
    expect((req.body.generationConfig?.responseJsonSchema as { required: string[] }).required).toEqual([
      'action_type',
      'resource_id',
      'parameters',
      'confidence',
      'reason',
    ]);
    expect(req.body.systemInstruction?.parts?.[0]?.text).toMatch(/decision agent/);
    expect(req.prompt).toBe(r.llm?.prompt);
  });

  it('accepts an instance address or the alert key as the target and stores the block address', async () => {
    fake.script({ kind: 'json', value: { ...ok, resource_id: 'vm-1' } });
    const c = { ...ctx, acceptedIds: [...ctx.acceptedIds, 'vm-1'] };
    expect((await runAgent(c, client())).output.resource_id).toBe('terraform_data.vm');
  });

  it('429 with RetryInfo then ok: waits the server-given delay (capped) and succeeds', async () => {
    fake.script(
      { kind: 'error', status: 429, retryDelay: '7s' },
      { kind: 'error', status: 429, retryDelay: '90s' },
      { kind: 'json', value: ok },
    );
    const r = await runAgent(ctx, client({ maxRetryDelayMs: 30_000 }));
    expect(r.source).toBe('gemini');
    expect(r.llm?.attempts).toBe(3);
    expect(sleeps).toEqual([7000, 30_000]);
    expect(fake.requests).toHaveLength(3);
  });

  it('500 on every attempt → rules decide, the Gemini failure is recorded', async () => {
    fake.script(...Array.from({ length: 3 }, () => ({ kind: 'error' as const, status: 500 })));
    const r = await runAgent(ctx, client());
    expect(fake.requests).toHaveLength(3);
    expect(sleeps).toEqual([250, 500]);
    expect(r).toMatchObject({
      source: 'rules',
      outcome: 'decided',
      output: { action_type: 'scale_up', parameters: { node_count: 3 } },
    });
    expect(r.llm?.error).toMatch(/^gemini unavailable: HTTP 500/);
  });

  it('400 is not retried (bad request will not get better)', async () => {
    fake.script({ kind: 'error', status: 400 });
    const r = await runAgent(ctx, client());
    expect(fake.requests).toHaveLength(1);
    expect(r.source).toBe('rules');
  });

  it('timeout (server hangs) → rules, failure recorded', async () => {
    fake.script({ kind: 'hang' }, { kind: 'hang' });
    const r = await runAgent(ctx, client({ timeoutMs: 200, maxRetries: 1 }));
    expect(fake.requests).toHaveLength(2);
    expect(r.source).toBe('rules');
    expect(r.llm?.error).toBe('gemini unavailable: timed out');
  });

  it.each([
    ['truncated (MAX_TOKENS)', { kind: 'truncated', value: ok }, /finishReason MAX_TOKENS/],
    ['invalid JSON', { kind: 'text', text: '{"action_type": "scale_up",' }, /not valid JSON/],
    [
      'schema-breaking',
      { kind: 'json', value: { ...ok, confidence: 7, extra: 1 } },
      /breaks the decision schema: .*confidence/,
    ],
    ['unknown action', { kind: 'json', value: { ...ok, action_type: 'delete_everything' } }, /action_type/],
    [
      'wrong resource',
      { kind: 'json', value: { ...ok, resource_id: 'terraform_data.web' } },
      /names resource "terraform_data.web"/,
    ],
  ] as const)('%s → rejected for a human, never replaced by the rules', async (_name, script, why) => {
    fake.script(script);
    const r = await runAgent(ctx, client());
    expect(r.outcome).toBe('llm_rejected');
    expect(r.source).toBe('gemini');
    expect(r.llm?.error).toMatch(why);
    expect(r.llm?.response).not.toBeNull();
    expect(fake.requests).toHaveLength(1);
  });

  it('canary: secrets in alert annotations and sensitive state never reach the fake server', async () => {
    const neighbours = [
      ...registryWithSensitiveState(),
      resource('terraform_data.vm', { input: { name: 'vm-1', node_count: 2, db_password: COPIED_CANARY } }),
    ];
    fake.script({ kind: 'json', value: ok });
    await runAgent(ctxFor('terraform_data.vm', canaryAlerts(), undefined, neighbours), client());
    const raw = fake.requests[0]!.raw;
    for (const canary of [STATE_CANARY, ANNOTATION_CANARY, COPIED_CANARY, GOOGLE_KEY_CANARY])
      expect(raw).not.toContain(canary);
    expect(raw).toContain('HighCPUUsage');
  });

  it('fix client returns the corrected file, or an error for a bad answer', async () => {
    const fix = new ModelFixClient(client());
    fake.script(
      { kind: 'json', value: { file: 'resource "terraform_data" "vm" {}\n' } },
      { kind: 'truncated', value: { file: 'x'.repeat(50) } },
    );
    const input = {
      fileName: 'main.tf',
      fileContent: 'resource "terraform_data" "vm" {',
      diagnostics: 'Error: Unclosed configuration block',
      intent: 'set node_count to 3',
    };
    expect(await fix.proposeFix(input)).toEqual({ content: 'resource "terraform_data" "vm" {}\n' });
    expect(fake.requests[0]!.prompt).toContain('Unclosed configuration block');
    expect(await fix.proposeFix(input)).toEqual({ error: 'output not complete: finishReason MAX_TOKENS' });
  });
});
