import { afterEach, describe, expect, it } from 'vitest';
import type { Service } from '../../src/main.js';
import { startTestService, testConfig } from '../helpers/service.js';

describe('GET /health', () => {
  let service: Service | undefined;
  afterEach(async () => {
    await service?.stop();
    service = undefined;
  });

  it('reports database, real terraform and the runs dir as ready', async () => {
    service = await startTestService(testConfig());
    const res = await service.app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.status).toBe('ok');
    expect(body.checks.database.ok).toBe(true);
    expect(body.checks.terraform.ok).toBe(true);
    expect(body.checks.terraform.detail).toMatch(/terraform \d+\.\d+\.\d+/);
    expect(body.checks.runs_dir.ok).toBe(true);
  });

  it('refuses to start with a missing terraform binary, naming TERRAFORM_BIN', async () => {
    await expect(startTestService(testConfig({ TERRAFORM_BIN: '/nonexistent/terraform' }))).rejects.toThrow(
      /TERRAFORM_BIN="\/nonexistent\/terraform"/,
    );
  });

  it('answers unknown routes with a coded JSON 404', async () => {
    service = await startTestService(testConfig());
    const res = await service.app.inject({ method: 'GET', url: '/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: { code: 'ERR_NOT_FOUND', message: 'no route GET /nope' } });
  });
});
