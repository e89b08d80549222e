import { cpSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../src/main.js';
import { startTestService, tempWorkspace, testConfig } from '../helpers/service.js';

const DEMO = new URL('../../terraform-runs/demo/', import.meta.url).pathname;
const API_TOKEN = 'routes-token-456';
/** With API_TOKEN set every read needs it too; every POST says it is JSON, also without a body. */
const auth = { authorization: `Bearer ${API_TOKEN}` };
const json = { 'content-type': 'application/json' };

describe('registry routes', () => {
  let service: Service;

  beforeAll(async () => {
    const ws = tempWorkspace('infraai-registry-routes-');
    cpSync(DEMO, path.join(ws.runsDir, 'demo'), { recursive: true });
    service = await startTestService(testConfig({ API_TOKEN }, ws));
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
  });

  it('POST /ops/registry/sync requires the API token', async () => {
    const none = await service.app.inject({ method: 'POST', url: '/ops/registry/sync', headers: json });
    expect(none.statusCode).toBe(401);
    expect(none.json().error.code).toBe('ERR_UNAUTHORIZED');
    const wrong = await service.app.inject({
      method: 'POST',
      url: '/ops/registry/sync',
      headers: { authorization: 'Bearer nope', ...json },
    });
    expect(wrong.statusCode).toBe(401);
    const ok = await service.app.inject({ method: 'POST', url: '/ops/registry/sync', headers: { ...auth, ...json } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().reports).toEqual([
      expect.objectContaining({ run_id: 'demo', outcome: 'unchanged', status: 'active' }),
    ]);
  });

  it('POST /ops/registry/sync rejects an invalid run_id naming the field', async () => {
    const res = await service.app.inject({
      method: 'POST',
      url: '/ops/registry/sync',
      headers: { authorization: `Bearer ${API_TOKEN}` },
      payload: { run_id: '../etc' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'ERR_VALIDATION' });
    expect(res.json().error.message).toMatch(/run_id/);
  });

  it('GET /ops/deployments and /ops/deployments/:run_id', async () => {
    const list = await service.app.inject({ method: 'GET', url: '/ops/deployments', headers: auth });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toMatchObject({ total: 1, limit: 100, offset: 0 });
    expect(list.json().items).toEqual([
      expect.objectContaining({ run_id: 'demo', status: 'active', resource_count: 4 }),
    ]);
    const one = await service.app.inject({ method: 'GET', url: '/ops/deployments/demo', headers: auth });
    expect(one.statusCode).toBe(200);
    expect(one.json().resources).toHaveLength(4);
    const missing = await service.app.inject({ method: 'GET', url: '/ops/deployments/nope', headers: auth });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('ERR_DEPLOYMENT_NOT_FOUND');
  });

  it('GET /ops/resources filters by q and paginates', async () => {
    const byKey = await service.app.inject({ method: 'GET', url: '/ops/resources?q=web-pool', headers: auth });
    expect(byKey.json().resources).toBeUndefined();
    expect(byKey.json().items.map((r: { address: string }) => r.address)).toEqual([
      'terraform_data.pool[0]',
      'terraform_data.pool[1]',
    ]);
    const bySubstring = await service.app.inject({
      method: 'GET',
      url: '/ops/resources?q=terraform_data.w',
      headers: auth,
    });
    expect(bySubstring.json().total).toBe(1);
    const page = await service.app.inject({ method: 'GET', url: '/ops/resources?limit=2&offset=1', headers: auth });
    expect(page.json()).toMatchObject({ total: 4, limit: 2, offset: 1 });
    expect(page.json().items).toHaveLength(2);
    const tooMany = await service.app.inject({ method: 'GET', url: '/ops/resources?limit=501', headers: auth });
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().error.message).toMatch(/limit/);
  });
});
