/**
 * Issue 14: for_each instances are distinct targets. Lookup picks the instance an alert names,
 * collapse keys incidents per for_each instance (count instances still share their block's), and
 * the rules read the current value from THAT instance (pool["web"] has 2 nodes, pool["api"] 3).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { incidentKey, resolveResource } from '../../src/alerts/collapse.js';
import { openDatabase } from '../../src/db/connection/database.js';
import { SqliteRegistryStore } from '../../src/db/registry/sqlite-registry-store.js';
import { editTarget, sharedLiteralRefusal } from '../../src/executor/edit-target.js';
import { gatePlan } from '../../src/plan/gate.js';
import type { PlanJson } from '../../src/plan/plan-json.js';
import { resolveMatches, type KeyMatch, type MatchRef } from '../../src/registry/lookup-resolve.js';
import { parseShowJson } from '../../src/registry/state-parser.js';
import type { Service } from '../../src/main.js';
import { FakeClock } from '../../src/shared/clock.js';
import { alertAndDecide, RecordingPreparer } from '../helpers/decisions.js';
import { startTestService, testConfig } from '../helpers/service.js';

const POOL = 'module.compute.terraform_data.pool';
const WEB = `${POOL}["web"]`;
const API = `${POOL}["api"]`;

/** A `terraform show -json` of a module whose for_each makes pool["web"] (2 nodes) and pool["api"] (3), plus a count block. */
function show() {
  const tf = (address: string, name: string, input: Record<string, unknown>, index?: number | string) => ({
    address,
    mode: 'managed',
    type: 'terraform_data',
    name,
    ...(index === undefined ? {} : { index }),
    provider_name: 'terraform.io/builtin/terraform',
    values: { id: address, input, output: input },
    sensitive_values: {},
  });
  return {
    format_version: '1.0',
    terraform_version: '1.11.4',
    values: {
      root_module: {
        resources: [
          tf('terraform_data.workers[0]', 'workers', { pool: 'workers', node_count: 2 }, 0),
          tf('terraform_data.workers[1]', 'workers', { pool: 'workers', node_count: 2 }, 1),
        ],
        child_modules: [
          {
            address: 'module.compute',
            resources: [
              tf(
                API,
                'pool',
                { name: 'api-pool', node_count: 3, labels: { team: 'shop', upstream: 'web-pool' } },
                'api',
              ),
              tf(WEB, 'pool', { name: 'web-pool', node_count: 2, labels: { team: 'shop' } }, 'web'),
            ],
          },
        ],
      },
    },
  };
}

function registry(): SqliteRegistryStore {
  const db = openDatabase(path.join(mkdtempSync(path.join(tmpdir(), 'infraai-foreach-')), 'db.sqlite'));
  const store = new SqliteRegistryStore(db, new FakeClock());
  store.applyState({ runId: 'shop', dir: '/runs/shop', serial: 1, lineage: 'l', state: parseShowJson('shop', show()) });
  return store;
}

describe('lookup of a for_each instance', () => {
  const ref = (address: string, indexKey: string | number): MatchRef => ({
    runId: 'shop',
    address,
    blockAddress: POOL,
    indexKey,
  });

  it('picks the instance the key names (not the first), even when a sibling carries it as a label value', () => {
    // "web-pool" is pool["web"]'s name and only a label value on pool["api"] (sorted first).
    const r = registry().lookup('web-pool');
    expect(r).toMatchObject({ status: 'matched', matchedBy: 'name', resource: { address: WEB } });
  });

  it('a key every for_each instance shares (label, block address) is ambiguous, naming the instances', () => {
    const store = registry();
    for (const key of ['team=shop', POOL]) {
      const r = store.lookup(key);
      expect(r.status, key).toBe('ambiguous');
      if (r.status === 'ambiguous') {
        expect(r.reason).toContain('for_each instances');
        expect(r.reason).toContain(WEB);
        expect(r.reason).toContain(API);
      }
    }
  });

  it('count instances stay interchangeable: all of one count block match its first instance', () => {
    const matches: Array<KeyMatch<MatchRef>> = [
      { resource: { ...ref('terraform_data.w[1]', 1), blockAddress: 'terraform_data.w' }, kind: 'pool' },
      { resource: { ...ref('terraform_data.w[0]', 0), blockAddress: 'terraform_data.w' }, kind: 'pool' },
    ];
    expect(resolveMatches('w', matches)).toMatchObject({
      status: 'matched',
      resource: { address: 'terraform_data.w[0]' },
    });
    expect(registry().lookup('workers')).toMatchObject({
      status: 'matched',
      resource: { address: 'terraform_data.workers[0]' },
    });
  });
});

describe('incident keys', () => {
  const labels = ['resource_id'];

  it('one incident per for_each instance; count instances share their block', () => {
    const store = registry();
    const web = resolveResource(store, 'web-pool', labels);
    const api = resolveResource(store, 'api-pool', labels);
    expect(web).toMatchObject({ status: 'matched', runId: 'shop', resourceAddress: WEB });
    expect(api).toMatchObject({ status: 'matched', runId: 'shop', resourceAddress: API });
    expect(incidentKey(web, 'web-pool', 'HighCPU')).toBe(`shop|${WEB}|HighCPU`);
    expect(incidentKey(web, 'web-pool', 'HighCPU')).not.toBe(incidentKey(api, 'api-pool', 'HighCPU'));
    const w0 = resolveResource(store, 'terraform_data.workers[0]', labels);
    const w1 = resolveResource(store, 'terraform_data.workers[1]', labels);
    expect(w0.resourceAddress).toBe('terraform_data.workers');
    expect(incidentKey(w0, 'terraform_data.workers[0]', 'HighCPU')).toBe(
      incidentKey(w1, 'terraform_data.workers[1]', 'HighCPU'),
    );
  });
});

describe('decisions on a for_each instance (rules agent, real service)', () => {
  let service: Service | undefined;
  afterEach(async () => {
    await service?.stop();
    service = undefined;
  });

  it('web-pool saturated → node_count 2 → 3 on pool["web"]; api → 3 → 4 on pool["api"]: two incidents, two decisions', async () => {
    service = await startTestService(testConfig(), { actionPreparer: new RecordingPreparer(), decisionModel: null });
    service.registry.applyState({
      runId: 'shop',
      dir: '/tmp/shop',
      serial: 1,
      lineage: 'l',
      state: parseShowJson('shop', show()),
    });
    await alertAndDecide(service, { resource_id: 'web-pool', metric: 'cpu_usage', value: 95, threshold: 80 });
    await alertAndDecide(service, { resource_id: 'api-pool', metric: 'cpu_usage', value: 95, threshold: 80 });
    const res = await service.app.inject({ method: 'GET', url: '/ops/decisions' });
    expect(res.statusCode).toBe(200);
    const items = (res.json() as { items: Array<Record<string, unknown>> }).items;
    const incidents = await service.app.inject({ method: 'GET', url: '/ops/incidents' });
    expect(incidents.json()).toMatchObject({ total: 2 });
    const byTarget = Object.fromEntries(items.map((d) => [d.resource_id, d]));
    expect(Object.keys(byTarget).sort()).toEqual([API, WEB]);
    expect(byTarget[WEB]).toMatchObject({
      resource_address: WEB,
      status: 'proposed',
      parameters: { node_count: 3 },
    });
    expect(byTarget[API]).toMatchObject({
      resource_address: API,
      status: 'proposed',
      parameters: { node_count: 4 },
    });
    expect(new Set(items.map((d) => d.incident_id)).size).toBe(2);
    const rows = [byTarget[WEB] as { reason: string }];
    expect(rows[0]!.reason).toContain('node_count 2 → 3');
  });
});

describe('executor target of a for_each instance', () => {
  it('edits and gates the instance; a count instance or a block is its block', () => {
    expect(editTarget(WEB)).toEqual({ block: POOL, instance: WEB, address: WEB });
    expect(editTarget('terraform_data.workers[1]')).toEqual({
      block: 'terraform_data.workers',
      address: 'terraform_data.workers',
    });
    expect(editTarget(POOL)).toEqual({ block: POOL, address: POOL });
  });

  it('refuses a literal on the block shared by the siblings, naming the instance and them', () => {
    const reason = sharedLiteralRefusal(editTarget(WEB), ['input', 'node_count'], true, [API, WEB]);
    expect(reason).toContain(`${WEB}: input.node_count is a literal on the for_each block`);
    expect(reason).toContain(API);
    expect(sharedLiteralRefusal(editTarget(WEB), ['input', 'node_count'], false, [API, WEB])).toBeUndefined();
    expect(sharedLiteralRefusal(editTarget('terraform_data.workers[0]'), ['count'], true, ['a', 'b'])).toBeUndefined();
  });

  it('the gate on pool["web"] refuses a plan that also changes pool["api"]', () => {
    const update = (address: string, index: string, before: number, after: number) => ({
      address,
      module_address: 'module.compute',
      mode: 'managed',
      type: 'terraform_data',
      name: 'pool',
      index,
      change: {
        actions: ['update'],
        before: { input: { node_count: before } },
        after: { input: { node_count: after } },
      },
    });
    const plan = { format_version: '1.2', resource_changes: [update(WEB, 'web', 2, 3), update(API, 'api', 3, 3)] };
    const e = {
      actionType: 'scale_up' as const,
      targetAddress: WEB,
      attributePath: ['input', 'node_count'],
      expectedValue: 3,
    };
    const onlyWeb = gatePlan({ ...plan, resource_changes: [plan.resource_changes[0]!] } as PlanJson, e, {
      maxChangedResources: 4,
    });
    expect(onlyWeb.ok).toBe(true);
    const both = gatePlan(plan as PlanJson, e, { maxChangedResources: 4 });
    expect(both.ok).toBe(false);
    if (!both.ok) expect(both.message).toContain(`${API}: unexpected update outside the target ${WEB}`);
  });
});
