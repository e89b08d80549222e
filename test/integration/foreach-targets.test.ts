/**
 * Issue 14, through the real service and real Terraform: a local module whose
 * `for_each = var.pools` makes pool["web"] (2 nodes) and pool["api"] (3). An alert naming
 * web-pool is an incident on pool["web"], the rules propose node_count 2 → 3 (not api's 3 → 4)
 * with resource_id pool["web"], and the action targets that instance; alerts on web and api are
 * two incidents and two decisions, serialised by the deployment queue.
 *
 * The edit goes through the tracer (t1-trace, merged: each.value.node_count ← var.pools default),
 * so only web's entry changes and the plan gate sees only pool["web"] change.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Service } from '../../src/main.js';
import { snapshot, startWithDeployments, type Harness } from '../helpers/executor-harness.js';

const POOL = 'module.compute.terraform_data.pool';
const WEB = `${POOL}["web"]`;
const API = `${POOL}["api"]`;

const MODULE = `variable "pools" {
  type = map(object({ name = string, node_count = number }))
}

resource "terraform_data" "pool" {
  for_each = var.pools
  input = {
    name       = each.value.name
    node_count = each.value.node_count
  }
}
`;

function moduleDeployment(): Record<string, string> {
  return {
    'main.tf': `variable "pools" {
  type = map(object({ name = string, node_count = number }))
  default = {
    web = { name = "web-pool", node_count = 2 }
    api = { name = "api-pool", node_count = 3 }
  }
}

module "compute" {
  source = "./modules/pool"
  pools  = var.pools
}
`,
    'modules/pool/main.tf': MODULE,
  };
}

/** The same shape in the root module, with node_count a literal on the block (shared by both instances). */
function sharedLiteralDeployment(): Record<string, string> {
  return {
    'main.tf': `resource "terraform_data" "pool" {
  for_each = { web = "web-pool", api = "api-pool" }
  input = {
    name       = each.value
    node_count = 2
  }
}
`,
  };
}

async function alert(service: Service, resource: string): Promise<void> {
  const res = await service.app.inject({
    method: 'POST',
    url: '/ops/webhook',
    payload: { resource_id: resource, metric: 'cpu_usage', value: 95, threshold: 80 },
  });
  expect(res.statusCode, res.body).toBeLessThan(300);
  await service.decisions.idle();
  await service.executor.idle();
}

async function get<T>(service: Service, url: string): Promise<T> {
  const res = await service.app.inject({ method: 'GET', url });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as T;
}

type Item = Record<string, unknown>;

describe('for_each instances are distinct targets (real service, real terraform)', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.service.stop();
    h = undefined;
  });

  it('an alert on web-pool → incident and decision on pool["web"], node_count 2 → 3; web and api → two incidents, two decisions', async () => {
    h = await startWithDeployments({ shop: moduleDeployment() });
    const dir = h.runDir('shop');
    const before = snapshot(dir);
    expect(
      h.service.registry
        .listByDeployment('shop')
        .map((r) => r.address)
        .sort(),
    ).toEqual([API, WEB]);

    await alert(h.service, 'web-pool');
    const incidents = await get<{ total: number; items: Item[] }>(h.service, '/ops/incidents');
    expect(incidents.total).toBe(1);
    expect(incidents.items[0]).toMatchObject({
      incident_key: `shop|${WEB}|cpu_usage_high`,
      resource: { run_id: 'shop', address: WEB, key: 'web-pool' },
    });
    const decisions = await get<{ items: Item[] }>(h.service, '/ops/decisions');
    expect(decisions.items).toHaveLength(1);
    const web = decisions.items[0]!;
    expect(web).toMatchObject({
      status: 'proposed',
      action_type: 'scale_up',
      resource_id: WEB,
      resource_address: WEB,
      parameters: { node_count: 3 },
    });
    expect(web.reason).toContain('node_count 2 → 3');
    // The ledger shows the instance.
    const ledger = await get<{ items: Item[] }>(h.service, `/ops/ledger?decision_id=${String(web.id)}`);
    expect(ledger.items.find((e) => e.kind === 'decision.created')).toMatchObject({
      data: { resource_id: WEB, parameters: { node_count: 3 } },
    });
    // The action targets the instance: the tracer (t1-trace, merged) follows each.value.node_count
    // to web's entry in var.pools; the plan changes pool["web"] alone and waits for approval.
    const actions = await get<{ items: Item[] }>(h.service, '/ops/actions?run_id=shop');
    expect(actions.items).toHaveLength(1);
    const listed = actions.items[0]!;
    expect(listed).toMatchObject({ target_address: WEB, decision_id: web.id });
    const action = await get<Item>(h.service, `/ops/actions/${String(listed.id)}`);
    expect(action.status, String(action.status_reason)).toBe('awaiting_approval');
    expect(action.plan_summary).toMatchObject([{ address: WEB, action: 'update' }]);
    expect(action.plan_summary).toHaveLength(1);
    expect(String(action.diff)).toMatch(/-\s*web = \{ name = "web-pool", node_count = 2 \}/);
    expect(String(action.diff)).toMatch(/\+\s*web = \{ name = "web-pool", node_count = 3 \}/);
    expect(String(action.diff)).not.toMatch(/[-+]\s*api =/);

    await alert(h.service, 'api-pool');
    expect((await get<{ total: number }>(h.service, '/ops/incidents')).total).toBe(2);
    const both = (await get<{ items: Item[] }>(h.service, '/ops/decisions')).items;
    expect(both).toHaveLength(2);
    const api = both.find((d) => d.resource_id === API);
    expect(api).toMatchObject({ status: 'proposed', resource_address: API, parameters: { node_count: 4 } });
    const targets = (await get<{ items: Item[] }>(h.service, '/ops/actions?run_id=shop')).items.map(
      (a) => a.target_address,
    );
    expect(targets.sort()).toEqual([API, WEB]);
    // Nothing was applied: the run dir is byte-identical.
    expect(snapshot(dir)).toEqual(before);
    expect(readFileSync(path.join(dir, 'modules/pool/main.tf'), 'utf8')).toBe(MODULE);
  });

  it('a literal on the for_each block is shared by both instances: never planned, refused naming pool["web"]', async () => {
    h = await startWithDeployments({ flat: sharedLiteralDeployment() });
    const before = snapshot(h.runDir('flat'));
    await alert(h.service, 'web-pool');
    const decisions = (await get<{ items: Item[] }>(h.service, '/ops/decisions')).items;
    expect(decisions).toMatchObject([
      { resource_id: 'terraform_data.pool["web"]', status: 'proposed', parameters: { node_count: 3 } },
    ]);
    const actions = (await get<{ items: Item[] }>(h.service, '/ops/actions?run_id=flat')).items;
    expect(actions).toHaveLength(1);
    expect(actions[0]).toMatchObject({ target_address: 'terraform_data.pool["web"]' });
    expect(actions[0]!.status).not.toBe('awaiting_approval');
    // The policy bounds the step from pool["web"]'s own state value; the tracer then refuses the
    // literal every instance shares (the executor's own shared-literal refusal is unit-tested in
    // test/unit/foreach-targets.test.ts). The refusal names the instance and why.
    expect(String(actions[0]!.status_reason)).toContain('not only terraform_data.pool["web"]');
    expect(String(actions[0]!.status_reason)).toContain('(AMBIGUOUS)');
    expect(snapshot(h.runDir('flat'))).toEqual(before);
  });
});
