/**
 * The wire format, checked over the whole route table of the real service (compose(), real SQLite,
 * real Terraform): every response key is snake_case, every documented response schema is strict, and
 * a handler that returns a field its schema lacks fails loudly instead of leaking it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildApp } from '../../src/http/app.js';
import { sseFrame } from '../../src/http/routes/events.js';
import { responses } from '../../src/http/wire/common.js';
import { EventWire } from '../../src/http/wire/event.js';
import { WebhookResultWire } from '../../src/http/wire/ops.js';
import type { DomainEvent } from '../../src/shared/events.js';
import { silentLogger } from '../../src/shared/logger.js';
import { poolDeployment, startWithDeployments, type Harness } from '../helpers/executor-harness.js';
import { registeredRoutes } from '../helpers/ops-api.js';

/** Keys whose values are data (people's labels, Terraform's attributes, file names), not field names. */
const DATA_FIELDS = new Set([
  'labels',
  'annotations',
  'parameters',
  'attributes',
  'plan_json',
  'source_files',
  'checks',
]);
const SNAKE = /^[a-z0-9]+(_[a-z0-9]+)*$/;

/** Every key (with its JSON path) that is not snake_case, outside data fields. */
function nonSnakeKeys(v: unknown, path = '$'): string[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => nonSnakeKeys(x, `${path}[${i}]`));
  if (v === null || typeof v !== 'object') return [];
  return Object.entries(v).flatMap(([k, x]) => [
    ...(SNAKE.test(k) ? [] : [`${path}.${k}`]),
    ...(DATA_FIELDS.has(k) ? [] : nonSnakeKeys(x, `${path}.${k}`)),
  ]);
}

const MAIN = `resource "terraform_data" "web" {
  count = var.replicas
  input = { machine_type = "e2-small" }
}

variable "replicas" {
  type = number
}
`;

const NOT_JSON = new Set(['/ops/events', '/metrics', '/', '/assets/:file']);

let h: Harness;
const events: DomainEvent[] = [];
const posted: Array<{ url: string; status: number; body: unknown }> = [];
const ids: Record<string, string[]> = {};

async function post(url: string, payload: Record<string, unknown>) {
  const res = await h.service.app.inject({ method: 'POST', url, payload });
  posted.push({ url, status: res.statusCode, body: res.json() });
  expect(res.statusCode, `${url}: ${res.body}`).toBeLessThan(300);
  return res.json() as Record<string, unknown>;
}

/** Alert → rules decision → plan → REST approval → apply, and a POST /infra deployment left awaiting approval. */
async function seedThroughTheService(): Promise<void> {
  h.service.events.subscribe((e) => events.push(e));
  await post('/ops/webhook', { resource_id: 'terraform_data.pool[0]', metric: 'cpu_usage', value: 95, threshold: 80 });
  await h.service.decisions.idle();
  await h.service.executor.idle();
  const waiting = (await h.service.app.inject({ method: 'GET', url: '/ops/approvals/pending' })).json().items as Array<
    Record<string, string>
  >;
  expect(waiting).toHaveLength(1);
  const actionId = waiting[0]!['action_id']!;
  await post(`/ops/approve/${actionId}`, { actor: 'wire-test', plan_sha256: waiting[0]!['plan_sha256'] });
  await h.service.executor.idle();
  const applied = (await h.service.app.inject({ method: 'GET', url: `/ops/actions/${actionId}` })).json();
  expect(applied.status, applied.status_reason).toBe('applied');
  const created = await post('/infra', {
    run_id: 'web-2',
    files: { 'main.tf': MAIN, 'terraform.tfvars': 'replicas = 2\n' },
  });
  await post('/ops/registry/sync', {});
  ids['/ops/actions/:id'] = [actionId, String(created['action_id'])];
  ids['/ops/decisions/:id'] = [
    applied.decision_id,
    (await h.service.app.inject({ method: 'GET', url: `/ops/actions/${String(created['action_id'])}` })).json()
      .decision_id,
  ];
  ids['/ops/incidents/:id'] = [applied.incident_id];
  ids['/ops/deployments/:run_id'] = ['web'];
}

/** Every GET route answering JSON, with each seeded id substituted. */
function getUrls(): string[] {
  const routes = registeredRoutes(h.service.app).filter(
    (r) => r.methods.includes('GET') && !NOT_JSON.has(r.path) && !r.path.startsWith('/docs'),
  );
  return routes.flatMap((r) => {
    if (!r.path.includes(':')) return [r.path];
    // A new route with a parameter must be seeded here, or this fails.
    expect(ids[r.path], `no seeded id for ${r.path}`).toBeDefined();
    return (ids[r.path] ?? []).map((id) => r.path.replace(/:[A-Za-z_]+/, id));
  });
}

beforeAll(async () => {
  h = await startWithDeployments({ web: poolDeployment() });
  await seedThroughTheService();
}, 120_000);

afterAll(async () => {
  await h?.service.stop();
});

describe('one wire format over every route', () => {
  it('every JSON GET answers 200 with only snake_case keys, and every list has items to check', async () => {
    const urls = getUrls();
    expect(urls.length).toBeGreaterThanOrEqual(16);
    for (const url of urls) {
      const res = await h.service.app.inject({ method: 'GET', url });
      // A handler returning a field its schema lacks answers 500 here (strict serialiser).
      expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
      const body = res.json() as Record<string, unknown>;
      expect(nonSnakeKeys(body), url).toEqual([]);
      if (Array.isArray(body['items']))
        expect((body['items'] as unknown[]).length, `${url} has no items to check`).toBeGreaterThan(0);
    }
  });

  it('the nested records are there to be checked: ledger data, plan summary, Terraform output, approvals, sync counts', async () => {
    const detail = (
      await h.service.app.inject({ method: 'GET', url: `/ops/actions/${ids['/ops/actions/:id']![0]}` })
    ).json();
    expect(detail.terraform_output.length).toBeGreaterThan(0);
    expect(detail.terraform_output[0]).toEqual(
      expect.objectContaining({ exit_code: 0, timed_out: false, duration_ms: expect.any(Number) }),
    );
    expect(detail.approvals[0]).toEqual(
      expect.objectContaining({ verdict: 'approve', plan_sha256: detail.plan_sha256 }),
    );
    expect(detail.changes.edit.attribute_path).toEqual(['count']);
    expect(
      detail.ledger.some((r: Record<string, unknown>) => r['action_id'] === detail.id && r['run_id'] === 'web'),
    ).toBe(true);
    expect(detail.ledger.some((r: { data: Record<string, unknown> }) => 'revision_id' in r.data)).toBe(true);
    const decision = (
      await h.service.app.inject({ method: 'GET', url: `/ops/decisions/${detail.decision_id}` })
    ).json();
    expect(decision.policy_verdict).toEqual(expect.objectContaining({ allowed: true, auto_approve: false }));
    const health = (await h.service.app.inject({ method: 'GET', url: '/health' })).json();
    expect(Object.keys(health.checks)).toContain('runs_dir');
    expect(Object.keys(health.checks).filter((k) => !SNAKE.test(k))).toEqual([]);
  });

  it('POST answers (webhook, approve, POST /infra, registry sync) are snake_case and match their schemas', () => {
    expect(posted.map((p) => p.url)).toEqual(expect.arrayContaining(['/ops/webhook', '/infra', '/ops/registry/sync']));
    for (const p of posted) expect(nonSnakeKeys(p.body), p.url).toEqual([]);
    // The webhook skips response validation for speed: its answer is checked against the schema here.
    for (const p of posted.filter((x) => x.url === '/ops/webhook'))
      expect(() => WebhookResultWire.parse(p.body)).not.toThrow();
    const sync = posted.find((p) => p.url === '/ops/registry/sync')!.body as {
      reports: Array<Record<string, unknown>>;
    };
    expect(sync.reports).toContainEqual(expect.objectContaining({ run_id: 'web', outcome: expect.any(String) }));
  });

  it('SSE data of every event the loop published is snake_case and matches the event schema', () => {
    const types = new Set(events.map((e) => e.type));
    expect([...types]).toEqual(
      expect.arrayContaining([
        'alert.received',
        'incident.opened',
        'decision.created',
        'action.status',
        'approval.recorded',
        'registry.synced',
      ]),
    );
    for (const e of events) {
      const data = /\ndata: (.*)\n/.exec(sseFrame(1, e))?.[1] ?? '';
      const parsed: unknown = JSON.parse(data);
      expect(nonSnakeKeys(parsed), e.type).toEqual([]);
      expect(EventWire.safeParse(parsed).success, data).toBe(true);
    }
  });
});

/** Walks a JSON schema: every object schema with properties must forbid other keys, and name them snake_case. */
function schemaProblems(s: unknown, path: string): string[] {
  if (Array.isArray(s)) return s.flatMap((x, i) => schemaProblems(x, `${path}[${i}]`));
  if (s === null || typeof s !== 'object') return [];
  const o = s as Record<string, unknown>;
  const own: string[] = [];
  if (o['type'] === 'object' && o['properties'] && typeof o['properties'] === 'object') {
    if (o['additionalProperties'] !== false) own.push(`${path}: not strict`);
    for (const k of Object.keys(o['properties'] as object))
      if (!SNAKE.test(k)) own.push(`${path}.${k}: not snake_case`);
  }
  return [...own, ...Object.entries(o).flatMap(([k, v]) => schemaProblems(v, `${path}/${k}`))];
}

describe('OpenAPI documents every response', () => {
  it('every operation has a success and an error response schema; every object in them is strict and snake_case', async () => {
    const spec = (await h.service.app.inject({ method: 'GET', url: '/docs/json' })).json() as {
      paths: Record<
        string,
        Record<string, { responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> }>
      >;
    };
    let operations = 0;
    for (const [p, ops] of Object.entries(spec.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        operations += 1;
        expect(
          [...p.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).filter((n) => !SNAKE.test(n ?? '')),
          `${p} path parameters`,
        ).toEqual([]);
        const rs = op.responses ?? {};
        const where = `${method.toUpperCase()} ${p}`;
        const ok = Object.keys(rs).filter((c) => /^2/.test(c));
        expect(ok.length, `${where} documents no success response`).toBeGreaterThan(0);
        for (const c of ok) expect(rs[c]?.content, `${where} ${c}`).toBeDefined();
        const error = rs['400']?.content?.['application/json']?.schema as
          { properties?: Record<string, unknown> } | undefined;
        expect(error?.properties?.['error'], `${where} documents no error body`).toBeDefined();
        expect(schemaProblems(rs, where)).toEqual([]);
      }
    }
    expect(operations).toBeGreaterThanOrEqual(20);
  });
});

describe('a field the schema lacks fails loudly', () => {
  it('a handler returning an extra field answers 500 ERR_INTERNAL, not the field', async () => {
    const Item = z.strictObject({ run_id: z.string() });
    const app = await buildApp({
      logger: silentLogger,
      routes: [
        (a) => {
          a.get(
            '/leaky',
            { schema: { response: responses({ 200: Item }) } },
            async () => ({ run_id: 'web', runId: 'web' }) as never,
          );
          a.get(
            '/nested',
            { schema: { response: responses({ 200: z.strictObject({ items: z.array(Item) }) }) } },
            async () => ({ items: [{ run_id: 'web', secret_token: 'x' }] }) as never,
          );
          // A plain z.object would strip the key silently: the serialiser refuses that too.
          a.get(
            '/loose',
            { schema: { response: responses({ 200: z.object({ run_id: z.string() }) }) } },
            async () => ({ run_id: 'web', runId: 'web' }) as never,
          );
          a.get('/fine', { schema: { response: responses({ 200: Item }) } }, async () => ({ run_id: 'web' }));
        },
      ],
    });
    for (const url of ['/leaky', '/nested', '/loose']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(500);
      expect(res.json(), url).toEqual({ error: { code: 'ERR_INTERNAL', message: 'internal error' } });
      expect(res.body, url).not.toContain('secret_token');
    }
    expect((await app.inject({ method: 'GET', url: '/fine' })).json()).toEqual({ run_id: 'web' });
    await app.close();
  });
});
