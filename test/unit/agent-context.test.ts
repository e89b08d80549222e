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
import { SHAPE_FIXTURES as F } from '../fakes/shapes.js';
import type { RegistryResource } from '../../src/registry/registry-port.js';

function shapeIn(r: RegistryResource): Record<string, any> {
  const { prompt } = buildPrompt(ctxFor(r.address, [alert('HighCPU')], undefined, [r]));
  return (JSON.parse(prompt.slice(prompt.indexOf('{'))) as Record<string, any>).resource_shape;
}

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

  it('tells the model what each action means on the target type (the shapes table), as the rules use it', () => {
    const pool = shapeIn(F.poolAutoscaled(3));
    expect(pool.scale_up).toEqual({ attribute: 'autoscaling.max_node_count', current: 3 });
    expect(pool.scale_down).toEqual({ attribute: 'autoscaling.min_node_count', current: 1 });
    expect(pool.restart).toMatch(/^a human decides: a node pool has no Terraform-side rolling restart/);
    expect(pool.forbidden.map((f: { path: string }) => f.path).sort()).toEqual(['initial_node_count', 'node_count']);
    // Without autoscaling node_count is the scale attribute, so it is not listed as forbidden.
    expect(shapeIn(F.poolFixed()).forbidden.map((f: { path: string }) => f.path)).toEqual(['initial_node_count']);
    const dep = shapeIn(F.deployment('2'));
    expect(dep.scale_up).toEqual({ attribute: 'spec.replicas', current: 2 });
    expect(dep.numeric_strings).toEqual(['spec.replicas']);
    expect(dep.restart).toMatch(/rolling restart: the executor stamps spec\.template\.metadata\.annotations/);
    const asg = shapeIn(F.asg(2, 4, 1, ['desired_capacity']));
    expect(asg.scale_up).toEqual({ attribute: 'max_size', current: 4 });
    expect(asg.ignore_changes).toEqual(['desired_capacity']);
    // At max_size, max_size moves with desired_capacity in the same action.
    expect(shapeIn(F.asg(4, 4, 1)).scale_up).toEqual({
      attribute: 'desired_capacity',
      current: 4,
      min: 1,
      moves_with_it: { attribute: 'max_size', current: 4, set_to: 'the new value' },
    });
    const gce = shapeIn(F.gce());
    expect(gce.scale_up.not_scalable).toMatch(/one machine/);
    expect(gce.stop_start).toEqual([
      { attribute: 'machine_type', needs: 'allow_stopping_for_update = true', allowed_by_policy: false },
    ]);
    expect(shapeIn(demoResources()[2]!)).toMatchObject({ generic: true, scale_up: { attribute: 'node_count' } });
  });
});
