import { cpSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../src/main.js';
import { startTestService, tempWorkspace, testConfig } from '../helpers/service.js';
import { opsGetRoutes, parseExposition, registeredRoutes, sampleValue } from '../helpers/ops-api.js';

const DEMO = new URL('../../terraform-runs/demo/', import.meta.url).pathname;
const FIRING = JSON.parse(
  readFileSync(new URL('../fixtures/alertmanager/group-firing.json', import.meta.url), 'utf8').replace(/^\uFEFF/, ''),
) as { body: unknown };

describe('ops read API, metrics and OpenAPI', () => {
  let service: Service;

  beforeAll(async () => {
    const ws = tempWorkspace('infraai-api-ops-');
    cpSync(DEMO, path.join(ws.runsDir, 'demo'), { recursive: true });
    service = await startTestService(testConfig({}, ws));
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
  });

  const get = (url: string) => service.app.inject({ method: 'GET', url });

  it("GET /ops/stats counts today's alerts after a webhook", async () => {
    const before = (await get('/ops/stats')).json();
    expect(before.since).toMatch(/T00:00:00\.000Z$/);
    expect(before.alerts_received).toBe(0);
    const posted = await service.app.inject({ method: 'POST', url: '/ops/webhook', payload: FIRING.body as object });
    expect(posted.statusCode).toBe(202);
    const after = (await get('/ops/stats')).json();
    expect(after.alerts_received).toBe(2);
    expect(after.active_alerts).toBe(2);
    for (const k of ['decisions', 'actions_approved', 'applied', 'rolled_back', 'effective', 'pending_approvals']) {
      expect(typeof after[k], k).toBe('number');
    }
  });

  it('GET /ops/stats rejects a bad since with ERR_VALIDATION naming the field', async () => {
    const res = await get('/ops/stats?since=yesterday');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('ERR_VALIDATION');
    expect(res.json().error.message).toMatch(/since/);
  });

  it('GET /ops/ledger filters by incident and validates limit', async () => {
    const alerts = (await get('/ops/alerts/active')).json();
    const incidentId = alerts.items[0].incident_id as string;
    const res = await get(`/ops/ledger?incident_id=${incidentId}&limit=50`);
    expect(res.statusCode).toBe(200);
    expect(res.json().items.length).toBeGreaterThan(0);
    expect(res.json().items.every((r: { incident_id: string }) => r.incident_id === incidentId)).toBe(true);
    const bad = await get('/ops/ledger?limit=0');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('ERR_VALIDATION');
    expect(bad.json().error.message).toMatch(/limit/);
  });

  it('GET /ops/ui-config says whether approving needs the token', async () => {
    expect((await get('/ops/ui-config')).json()).toMatchObject({ auth_required: false });
  });

  it('every /ops GET answers 200 JSON; bad limits 400; unknown ids 404 with a code', async () => {
    const routes = opsGetRoutes(service.app);
    expect(routes.length).toBeGreaterThanOrEqual(8);
    let limited = 0;
    for (const url of routes.filter((r) => !r.includes(':') && r !== '/ops/events')) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type'], url).toMatch(/application\/json/);
      const bad = await get(`${url}?limit=-1`);
      // Lists take limit; the rest ignore unknown query keys.
      if (bad.statusCode !== 200) {
        limited += 1;
        expect(bad.statusCode, url).toBe(400);
        expect(bad.json().error.code, url).toBe('ERR_VALIDATION');
        expect(bad.json().error.message, url).toMatch(/limit/);
      }
    }
    expect(limited).toBeGreaterThanOrEqual(5);
    for (const url of [
      '/ops/actions?status=bogus',
      '/ops/decisions?status=bogus',
      '/ops/incidents?status=bogus',
      '/ops/resources?run_id=../etc',
      '/ops/actions?run_id=../etc',
      '/ops/alerts/active?offset=-3',
    ]) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error.code, url).toBe('ERR_VALIDATION');
    }
    for (const url of routes.filter((r) => r.includes(':'))) {
      const res = await get(url.replace(/:[A-Za-z_]+/, 'does-not-exist'));
      expect(res.statusCode, url).toBe(404);
      expect(res.json().error.code, url).toMatch(/^ERR_[A-Z_]*NOT_FOUND$/);
    }
  });

  it('GET /metrics is valid exposition and counters move after a webhook', async () => {
    const first = await get('/metrics');
    expect(first.statusCode).toBe(200);
    expect(first.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const m1 = parseExposition(first.body);
    const resolved = structuredClone(FIRING.body) as {
      status: string;
      groupKey: string;
      alerts: Array<{ status: string; endsAt: string }>;
    };
    resolved.status = 'resolved';
    resolved.groupKey = `${resolved.groupKey}-r`;
    for (const a of resolved.alerts) {
      a.status = 'resolved';
      a.endsAt = '2026-11-23T10:00:00Z';
    }
    expect((await service.app.inject({ method: 'POST', url: '/ops/webhook', payload: resolved })).statusCode).toBe(202);
    const m2 = parseExposition((await get('/metrics')).body);
    expect(sampleValue(m2, 'infraai_alerts_received_total', { status: 'resolved' })).toBe(
      (sampleValue(m1, 'infraai_alerts_received_total', { status: 'resolved' }) ?? 0) + 2,
    );
    expect(sampleValue(m2, 'infraai_alerts_received_total', { status: 'firing' })).toBe(2);
    expect(
      sampleValue(m2, 'infraai_http_requests_total', { method: 'POST', route: '/ops/webhook', code: '202' }),
    ).toBeGreaterThanOrEqual(2);
    expect(sampleValue(m2, 'infraai_pending_approvals', {})).toBe(0);
    expect(sampleValue(m2, 'infraai_firing_alerts', { severity: 'critical' }) ?? 0).toBe(0);
    // Terraform ran at start (version, init, apply/show of the demo): the histogram has samples.
    expect(m2.types.get('infraai_terraform_command_duration_seconds')).toBe('histogram');
    expect(
      sampleValue(m2, 'infraai_terraform_command_duration_seconds_count', { subcommand: 'version' }),
    ).toBeGreaterThanOrEqual(1);
    for (const family of [
      'infraai_decisions_total',
      'infraai_approvals_total',
      'infraai_actions_total',
      'infraai_llm_requests_total',
    ]) {
      expect(m2.types.get(family), family).toBe('counter');
    }
  });

  it('GET /docs/json documents every /ops route with its schemas', async () => {
    const res = await get('/docs/json');
    expect(res.statusCode).toBe(200);
    const spec = res.json() as {
      openapi: string;
      paths: Record<string, Record<string, { parameters?: unknown[]; requestBody?: unknown }>>;
    };
    expect(spec.openapi).toMatch(/^3\./);
    const documented = Object.keys(spec.paths);
    const opsPaths = registeredRoutes(service.app)
      .filter((r) => r.path.startsWith('/ops/'))
      .map((r) => r.path);
    expect(opsPaths.length).toBeGreaterThanOrEqual(10);
    for (const p of opsPaths) {
      expect(documented, p).toContain(p.replace(/:([A-Za-z_]+)/g, '{$1}'));
    }
    expect(spec.paths['/ops/ledger']?.get?.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'limit', in: 'query' })]),
    );
    expect(spec.paths['/ops/webhook']?.post).toBeDefined();
    expect(documented).not.toContain('/');
  });

  it('GET /docs serves the UI from the service itself', async () => {
    const res = await get('/docs/');
    expect([200, 302]).toContain(res.statusCode);
  });
  // Runs last: it adds an alert, which the counting tests above do not expect.
  it('GET /ops/decisions and /ops/actions filter by creation time (since/until) and validate it', async () => {
    const posted = await service.app.inject({
      method: 'POST',
      url: '/ops/webhook',
      payload: { resource_id: 'vm-1', metric: 'cpu_usage', value: 91, threshold: 80 },
    });
    expect(posted.statusCode).toBe(202);
    await service.decisions.idle();
    const all = (await get('/ops/decisions')).json();
    expect(all.total).toBeGreaterThan(0);
    const newest = all.items[0].created_at as string;
    const past = new Date(Date.parse(newest) - 3_600_000).toISOString();
    const future = new Date(Date.parse(newest) + 3_600_000).toISOString();
    expect((await get(`/ops/decisions?since=${past}`)).json().total).toBe(all.total);
    expect((await get(`/ops/decisions?since=${future}`)).json()).toMatchObject({ total: 0, items: [] });
    expect((await get(`/ops/decisions?until=${past}`)).json().total).toBe(0);
    // An offset in the query is normalised to UTC before comparing.
    expect((await get(`/ops/decisions?since=${encodeURIComponent(past.replace('Z', '+00:00'))}`)).json().total).toBe(
      all.total,
    );
    const actions = (await get('/ops/actions')).json();
    expect((await get(`/ops/actions?since=${future}`)).json().total).toBe(0);
    expect((await get(`/ops/actions?since=${past}`)).json().total).toBe(actions.total);
    for (const url of ['/ops/decisions?since=yesterday', '/ops/actions?until=2026-13-01T00:00:00Z']) {
      const bad = await get(url);
      expect(bad.statusCode, url).toBe(400);
      expect(bad.json().error.code).toBe('ERR_VALIDATION');
    }
  });
});
