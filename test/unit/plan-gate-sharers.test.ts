import { describe, expect, it } from 'vitest';
import { gatePlan } from '../../src/plan/gate.js';
import { parsePlanJson, type PlanJson } from '../../src/plan/plan-json.js';

/** A plan updating terraform_data instances' `input` from `before` to `after` (shape of `terraform show -json`). */
function plan(updates: Record<string, [Record<string, number>, Record<string, number>]>): PlanJson {
  const resource_changes = Object.entries(updates).map(([address, [before, after]]) => ({
    address,
    mode: 'managed',
    type: 'terraform_data',
    name: address.split('.')[1],
    provider_name: 'terraform.io/builtin/terraform',
    change: {
      actions: ['update'],
      before: { input: before, output: before, id: 'x', triggers_replace: null },
      after: { input: after, id: 'x', triggers_replace: null },
      after_unknown: { output: true, id: false },
      before_sensitive: {},
      after_sensitive: {},
    },
  }));
  const parsed = parsePlanJson(JSON.stringify({ format_version: '1.2', resource_changes }));
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.plan;
}

const expectation = {
  actionType: 'scale_up' as const,
  targetAddress: 'terraform_data.web',
  attributes: [{ path: ['input', 'node_count'], expectedValue: 3 }],
};
const limits = { maxChangedResources: 4 };
const bump: [Record<string, number>, Record<string, number>] = [{ node_count: 2 }, { node_count: 3 }];

describe('plan gate: sharers of an edited literal (shared_values: allow)', () => {
  it('accepts the target and its named sharer changing the same attribute to the same value', () => {
    const p = plan({ 'terraform_data.web': bump, 'terraform_data.api': bump });
    const r = gatePlan(p, { ...expectation, sharers: ['terraform_data.api'] }, limits);
    expect(r.ok ? '' : r.message).toBe('');
  });

  it('without the sharer named, the same plan is refused (a change outside the target)', () => {
    const p = plan({ 'terraform_data.web': bump, 'terraform_data.api': bump });
    const r = gatePlan(p, expectation, limits);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain('terraform_data.api: unexpected update outside the target');
  });

  it('refuses a named sharer the plan leaves alone, and one changing to another value', () => {
    const alone = gatePlan(
      plan({ 'terraform_data.web': bump }),
      { ...expectation, sharers: ['terraform_data.api'] },
      limits,
    );
    expect(alone.ok).toBe(false);
    if (!alone.ok)
      expect(alone.message).toContain('terraform_data.api reads the edited value but the plan does not change it');
    const other = gatePlan(
      plan({ 'terraform_data.web': bump, 'terraform_data.api': [{ node_count: 2 }, { node_count: 6 }] }),
      { ...expectation, sharers: ['terraform_data.api'] },
      limits,
    );
    expect(other.ok).toBe(false);
    if (!other.ok) expect(other.message).toContain('terraform_data.api: input.node_count would become 6, expected 3');
  });

  it('refuses a resource that is not a sharer changing too', () => {
    const p = plan({ 'terraform_data.web': bump, 'terraform_data.api': bump, 'terraform_data.db': bump });
    const r = gatePlan(p, { ...expectation, sharers: ['terraform_data.api'] }, limits);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain('terraform_data.db: unexpected update outside the target');
  });
});
