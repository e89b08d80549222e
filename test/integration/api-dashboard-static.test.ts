import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import { dashboardRoutes } from '../../src/http/routes/dashboard.js';
import { silentLogger } from '../../src/shared/logger.js';
import { tempWorkspace } from '../helpers/service.js';

function assetsDir(): string {
  const dir = path.join(tempWorkspace('infraai-dash-').root, 'dashboard');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(path.join(dir, 'main.js'), 'console.log(1);');
  writeFileSync(path.join(dir, 'style.css'), 'body{}');
  writeFileSync(path.join(dir, 'notes.txt'), 'not served');
  return dir;
}

describe('dashboard static files', () => {
  it('serves index and assets from memory with a strict CSP, ETag and 304', async () => {
    const app = await buildApp({ logger: silentLogger, routes: [dashboardRoutes(assetsDir())] });
    const index = await app.inject({ method: 'GET', url: '/' });
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['content-security-policy']).toMatch(/default-src 'none'; script-src 'self'/);
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    const etag = index.headers.etag as string;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await app.inject({ method: 'GET', url: '/', headers: { 'if-none-match': etag } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    const js = await app.inject({ method: 'GET', url: '/assets/main.js' });
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.body).toBe('console.log(1);');
    expect((await app.inject({ method: 'GET', url: '/assets/style.css' })).headers['content-type']).toBe(
      'text/css; charset=utf-8',
    );
    await app.close();
  });

  it('404s unknown assets and refuses path tricks with a coded error', async () => {
    const app = await buildApp({ logger: silentLogger, routes: [dashboardRoutes(assetsDir())] });
    const missing = await app.inject({ method: 'GET', url: '/assets/nope.js' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('ERR_NOT_FOUND');
    expect((await app.inject({ method: 'GET', url: '/assets/notes.txt' })).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/assets/..%2Fpackage.json' })).statusCode).toBe(400);
    await app.close();
  });

  it('says how to build when dist/dashboard is missing', async () => {
    const app = await buildApp({ logger: silentLogger, routes: [dashboardRoutes('/nonexistent/dashboard')] });
    const res = await app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('npm run build');
    await app.close();
  });
});
