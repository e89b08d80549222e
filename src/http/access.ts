/**
 * One access rule for every route, applied from the route table (Fastify's onRoute), so a route
 * added later is protected without remembering to be:
 *
 * - the few routes in PUBLIC_ROUTES are open to anyone (the page shell, health, metrics, API docs);
 * - every other GET/HEAD is a read: it needs API_TOKEN or READ_TOKEN when API_TOKEN is set;
 * - every other method is a write: it needs API_TOKEN when set (READ_TOKEN gets 403);
 * - routes that declare `config.access` use their own credential instead: the Alertmanager
 *   webhook (WEBHOOK_TOKEN) and the Telegram webhook (its secret header).
 *
 * Failed attempts are counted per client address (@fastify/rate-limit's store); past the limit the
 * answer is 429 with Retry-After. Requests that authenticate are never counted or throttled, so
 * a guessing client cannot lock Alertmanager or an operator out.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { AppError, type ErrorCode } from '../shared/errors.js';
import { authorizationMatches, safeEqual } from './auth.js';
import { contentTypeProblem, MUTATING_METHODS } from './site-guard.js';

/** A route's own credential, declared in its `config.access`. */
export type DeclaredAccess = 'webhook' | { secretHeader: string; secret: string };

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: DeclaredAccess;
  }
}

export type Access = 'public' | 'read' | 'write' | DeclaredAccess;

/** Routes anyone may call whatever tokens are set; `/docs` and everything under it too. */
export const PUBLIC_ROUTES: readonly string[] = ['/', '/assets/:file', '/health', '/metrics', '/ops/ui-config'];

export function isPublicRoute(method: string, url: string): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  return PUBLIC_ROUTES.includes(url) || url === '/docs' || url.startsWith('/docs/');
}

/** What a request to this route needs. Pure. */
export function routeAccess(method: string, url: string, declared: DeclaredAccess | undefined): Access {
  if (declared !== undefined) return declared;
  if (isPublicRoute(method, url)) return 'public';
  return method === 'GET' || method === 'HEAD' ? 'read' : 'write';
}

export interface Tokens {
  apiToken?: string | undefined;
  readToken?: string | undefined;
  webhookToken?: string | undefined;
}

export type AccessCheck = { ok: true } | { ok: false; code: ErrorCode; message: string };

const OK: AccessCheck = { ok: true };

function bearer(h: string | undefined, token: string | undefined): boolean {
  return token !== undefined && authorizationMatches(h, token, false);
}

/** Whether a request's credentials satisfy the access a route needs. Pure apart from hashing. */
export function verify(access: Access, what: string, headers: FastifyRequest['headers'], t: Tokens): AccessCheck {
  const auth = headers.authorization;
  if (access === 'public') return OK;
  if (access === 'read' || access === 'write') {
    if (t.apiToken === undefined || bearer(auth, t.apiToken)) return OK;
    if (access === 'read' && bearer(auth, t.readToken)) return OK;
    if (access === 'write' && bearer(auth, t.readToken)) {
      return {
        ok: false,
        code: 'ERR_FORBIDDEN',
        message: `${what}: READ_TOKEN grants reads only; this needs API_TOKEN`,
      };
    }
    const which = access === 'read' && t.readToken !== undefined ? 'API_TOKEN or READ_TOKEN' : 'API_TOKEN';
    return {
      ok: false,
      code: 'ERR_UNAUTHORIZED',
      message: `${what}: missing or wrong Authorization header (expected "Bearer <${which}>")`,
    };
  }
  if (access === 'webhook') {
    if (t.webhookToken === undefined || authorizationMatches(auth, t.webhookToken, true)) return OK;
    return {
      ok: false,
      code: 'ERR_WEBHOOK_UNAUTHORIZED',
      message: `${what}: missing or wrong Authorization header (expected "Bearer <WEBHOOK_TOKEN>" or basic auth)`,
    };
  }
  const given = headers[access.secretHeader];
  if (typeof given !== 'string' || given.length === 0) {
    return { ok: false, code: 'ERR_WEBHOOK_UNAUTHORIZED', message: `${what}: missing ${access.secretHeader} header` };
  }
  if (!safeEqual(given, access.secret))
    return { ok: false, code: 'ERR_FORBIDDEN', message: `${what}: wrong ${access.secretHeader}` };
  return OK;
}

export interface AccessOptions {
  tokens: Tokens;
  /** Failed attempts per client address within the window before 429. */
  maxFailures: number;
  windowMs: number;
}

type Limiter = ReturnType<FastifyInstance['createRateLimit']>;
const GUARD = Symbol('infraai.accessGuard');

/** The per-route onRequest hook: credentials (counting failures), then the content type of writes. */
function guardFor(url: string, declared: DeclaredAccess | undefined, o: AccessOptions, limiter: Limiter) {
  const guard = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const what = `${req.method} ${url}`;
    const verdict = verify(routeAccess(req.method, url, declared), what, req.headers, o.tokens);
    if (!verdict.ok) {
      const rl = await limiter(req);
      if (!rl.isAllowed && rl.isExceeded) {
        reply.header('retry-after', String(Math.max(1, rl.ttlInSeconds)));
        throw new AppError(
          'ERR_RATE_LIMITED',
          `too many failed authentication attempts from this address; retry in ${Math.max(1, rl.ttlInSeconds)} s`,
        );
      }
      throw new AppError(verdict.code, verdict.message);
    }
    if (MUTATING_METHODS.has(req.method)) {
      const problem = contentTypeProblem(req.method, url, req.headers['content-type']);
      if (problem !== undefined) throw new AppError('ERR_UNSUPPORTED_MEDIA_TYPE', problem);
    }
  };
  return Object.assign(guard, { [GUARD]: true });
}

/** Attaches the guard as the first onRequest hook of every route registered after this call. */
export function installAccessControl(app: FastifyInstance, o: AccessOptions): void {
  const limiter = app.createRateLimit({ max: o.maxFailures, timeWindow: o.windowMs });
  app.addHook('onRoute', (route: RouteOptions) => {
    const existing =
      route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
    if (existing.some((h) => (h as unknown as Record<symbol, unknown>)[GUARD] === true)) return;
    // A new array: Fastify copies GET options for the automatic HEAD route, which gets its own guard.
    route.onRequest = [guardFor(route.url, route.config?.access, o, limiter), ...existing];
  });
}
