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
