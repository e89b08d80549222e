import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { RouteModule } from '../app.js';

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

/** Nothing leaves the page: no CDN, no inline script, no framing by other sites. */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** The built dashboard: dist/dashboard under the package root, found from src/ or dist/src/. */
export function defaultDashboardDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(path.join(dir, 'package.json'))) return path.join(dir, 'dist', 'dashboard');
    dir = path.dirname(dir);
  }
  return path.resolve('dist', 'dashboard');
}

/** Reads every servable file once, at start: the page is tiny and never changes while running. */
export function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  if (!existsSync(dir)) return assets;
  for (const name of readdirSync(dir)) {
    const type = TYPES[path.extname(name)];
    if (type === undefined) continue;
    const body = readFileSync(path.join(dir, name));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    assets.set(name, { body, type, etag });
  }
  return assets;
}

const NOT_BUILT = Buffer.from(
  '<!doctype html><meta charset="utf-8"><title>InfraAI</title>' +
    '<p>The dashboard is not built. Run <code>npm run build</code> and restart.</p>',
);

/** GET / and GET /assets/:file: the dashboard, served from memory with ETags. */
export function dashboardRoutes(dir = defaultDashboardDir()): RouteModule {
  const assets = loadAssets(dir);
  return (app) => {
    const serve = (name: string, ifNoneMatch: string | undefined) => {
      const a = assets.get(name);
      if (!a) return undefined;
      const headers = { ...SECURITY_HEADERS, 'content-type': a.type, etag: a.etag, 'cache-control': 'no-cache' };
      return { status: ifNoneMatch === a.etag ? 304 : 200, headers, body: a.body };
    };

    app.get('/', { schema: { hide: true } }, async (req, reply) => {
      const r = serve('index.html', req.headers['if-none-match']);
      if (!r) return reply.code(503).headers(SECURITY_HEADERS).type('text/html; charset=utf-8').send(NOT_BUILT);
      return reply
        .code(r.status)
        .headers(r.headers)
        .send(r.status === 304 ? '' : r.body);
    });

    app.get(
      '/assets/:file',
      { schema: { hide: true, params: z.object({ file: z.string().regex(/^[a-z0-9-]+\.(js|css|svg|ico)$/) }) } },
      async (req, reply) => {
        const r = serve(req.params.file, req.headers['if-none-match']);
        if (!r) {
          return reply.code(404).send({ error: { code: 'ERR_NOT_FOUND', message: `no asset ${req.params.file}` } });
        }
        return reply
          .code(r.status)
          .headers(r.headers)
          .send(r.status === 304 ? '' : r.body);
      },
    );
  };
}
