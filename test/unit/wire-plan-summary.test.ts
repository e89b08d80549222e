import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PlanSummaryWire } from '../../src/http/wire/action.js';
import { parsePlanJson } from '../../src/plan/plan-json.js';
import { summarisePlan } from '../../src/plan/summary.js';

function summary(name: string) {
  const parsed = parsePlanJson(readFileSync(new URL(`../fixtures/plans/${name}.json`, import.meta.url), 'utf8'));
  if (!parsed.ok) throw new Error(parsed.message);
  return summarisePlan(parsed.plan);
}

describe('plan_summary on the wire carries the disruption (strict schema)', () => {
  it('disruptive items of real plans pass the strict schema unchanged, snake_case keys', () => {
    for (const name of ['cloud-force-new', 'cloud-pool-restart', 'cloud-stop-start', 'input-update']) {
      const items = summary(name);
      expect(PlanSummaryWire.parse(items)).toEqual(items);
      for (const item of items) for (const key of Object.keys(item)) expect(key).toMatch(/^[a-z]+(_[a-z]+)*$/);
    }
    expect(summary('cloud-stop-start')[0]).toMatchObject({ disruption: 'stop_start' });
  });

  it('an unknown disruption kind or an unknown field is refused', () => {
    const [item] = summary('cloud-stop-start');
    expect(PlanSummaryWire.safeParse([{ ...item, disruption: 'explode' }]).success).toBe(false);
    expect(PlanSummaryWire.safeParse([{ ...item, disruptionNote: 'x' }]).success).toBe(false);
  });
});
