/**
 * Browser-facing request checks that run before any route: the Host name (DNS rebinding) on every
 * request, and on mutating requests the page that sent it (cross-site request forgery) and the
 * content type. Clients that are not browsers (curl, Alertmanager, Telegram) send no Origin and no
 * Sec-Fetch-Site, so they pass the origin check; all of them send `Content-Type: application/json`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../shared/errors.js';
import { hostProblem, originAllowed, type HostRules } from './host-rules.js';

export const MUTATING_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Fetch metadata values that show the request came from this service's own page or from the user
 * directly. `same-site` is refused too: for a loopback service every other local port is the
 * same site, and for a public one so is every sibling subdomain.
 */
const SAFE_FETCH_SITES = new Set(['same-origin', 'none']);

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v;
}

/** Why a mutating request looks cross-site, or undefined when it does not. */
export function crossSiteProblem(req: Pick<FastifyRequest, 'headers'>, rules: HostRules): string | undefined {
  const site = single(req.headers['sec-fetch-site']);
  if (site !== undefined && !SAFE_FETCH_SITES.has(site.trim().toLowerCase())) {
    return `refused a request from another site (Sec-Fetch-Site: ${JSON.stringify(site.slice(0, 40))}); use this service's own page or a non-browser client`;
  }
  const origin = single(req.headers.origin);
  if (origin !== undefined && !originAllowed(origin, single(req.headers.host), rules)) {
    return `refused a request from another origin (Origin: ${JSON.stringify(origin.slice(0, 120))}); only this service's own page (or PUBLIC_URL) may send it`;
  }
  return undefined;
}

/** Why a mutating request's content type is refused, or undefined for application/json (UTF-8). */
export function contentTypeProblem(method: string, url: string, header: string | undefined): string | undefined {
  const needs = `${method} ${url} needs "Content-Type: application/json" (also without a body)`;
  if (header === undefined || header.trim() === '') return `${needs}; the request has none`;
  const [type, ...params] = header.split(';').map((s) => s.trim().toLowerCase());
  if (type !== 'application/json') return `${needs}, got ${JSON.stringify(header.slice(0, 100))}`;
  const charset = params
    .find((p) => p.startsWith('charset='))
    ?.slice('charset='.length)
    .replace(/^"|"$/g, '');
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')
    return `${needs}; JSON is UTF-8, got charset ${JSON.stringify(charset)}`;
  return undefined;
}

/** Throws the coded error for a refused Host or cross-site mutating request. */
function checkSite(req: FastifyRequest, rules: HostRules): void {
  const host = hostProblem(single(req.headers.host), rules);
  if (host !== undefined) throw new AppError('ERR_HOST_NOT_ALLOWED', host);
  if (!MUTATING_METHODS.has(req.method)) return;
  const cross = crossSiteProblem(req, rules);
  if (cross !== undefined) throw new AppError('ERR_CROSS_SITE', cross);
}

/**
 * The first onRequest hook of the app: it runs for every request, matched or not (404s too), so no
 * route can be reached under a foreign Host name or posted to from a foreign page.
 */
export function installSiteGuard(app: FastifyInstance, rules: HostRules): void {
  app.addHook('onRequest', async (req) => checkSite(req, rules));
}
