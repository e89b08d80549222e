import { describe, expect, it } from 'vitest';
import { buildPrompt, MAX_PROMPT_CHARS } from '../../src/agent/context.js';
import { alert, ctxFor } from '../fakes/agent-context.js';
import {
  ANNOTATION_CANARY,
  canaryAlerts,
  COPIED_CANARY,
  GOOGLE_KEY_CANARY,
  registryWithSensitiveState,
  STATE_CANARY,
} from '../fakes/canary.js';
import { demoResources, resource } from '../fakes/demo-registry.js';

describe('agent context redaction (canary)', () => {
  it('no secret from alerts or from sensitive/secret resource attributes reaches the prompt', () => {
    const fromState = registryWithSensitiveState();
    const db = fromState.find((r) => r.address === 'terraform_data.db')!;
    const vm = resource('terraform_data.vm', { input: { name: 'vm-1', node_count: 2, db_password: COPIED_CANARY } });
    const neighbours = [...fromState, vm];
    for (const target of [vm.address, db.address]) {
      const { prompt, systemInstruction } = buildPrompt(ctxFor(target, canaryAlerts(), undefined, neighbours));
      for (const canary of [STATE_CANARY, ANNOTATION_CANARY, COPIED_CANARY, GOOGLE_KEY_CANARY]) {
        expect(prompt).not.toContain(canary);
        expect(systemInstruction).not.toContain(canary);
      }
      expect(prompt).toContain('[REDACTED]');
      expect(prompt).toContain('HighCPUUsage');
    }
  });

  it('includes the alert, the resource, its neighbours, current values and policy bounds', () => {
    const ctx = ctxFor('terraform_data.vm', [alert('HighCPUUsage', { value: 85 })]);
    ctx.currentValues = { node_count: 2 };
    const { prompt } = buildPrompt(ctx);
    expect(prompt).toMatch(/^Answer with one JSON decision for target_id "terraform_data.vm"/);
    const json = JSON.parse(prompt.slice(prompt.indexOf('{'))) as Record<string, any>;
    expect(json.alerts[0]).toMatchObject({ alertname: 'HighCPUUsage', value: 85, status: 'firing' });
    expect(json.resource.attributes.input.node_count).toBe(2);
    expect(json.neighbours.map((n: { address: string }) => n.address)).toContain('terraform_data.web');
    expect(json.current_values).toEqual({ node_count: 2 });
    expect(json.policy.bounds.node_count).toEqual({ min: 1, max: 10, max_step: 2 });
  });

  it('caps the prompt size however large the attributes are', () => {
    const big = demoResources().concat(
      Array.from({ length: 100 }, (_, i) => resource(`terraform_data.n${i}`, { input: { blob: 'x'.repeat(5000) } })),
    );
    expect(
      buildPrompt(ctxFor('terraform_data.vm', [alert('HighCPU')], undefined, big)).prompt.length,
    ).toBeLessThanOrEqual(MAX_PROMPT_CHARS + 20);
  });
});
