/** Talks to the service's /ops API. The token never leaves sessionStorage except in the header. */

export type Json = Record<string, unknown>;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const TOKEN_KEY = 'infraai.apiToken';

export function getToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(token: string | null): void {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // Storage disabled: the token lasts only as long as this page.
  }
}

/** The Authorization header for the token of this tab, when there is one. */
export function authHeaders(): Record<string, string> {
  const token = getToken();
  return token ? { authorization: `Bearer ${token}` } : {};
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  return { accept: 'application/json', ...authHeaders(), ...extra };
}

/** Told when the server refused the token this tab sent (401 with a token), or is rate-limiting us. */
export type AuthProblem = { kind: 'rejected' } | { kind: 'limited'; message: string };
let authProblem: ((p: AuthProblem) => void) | undefined;

export function onAuthProblem(listener: (p: AuthProblem) => void): void {
  authProblem = listener;
}

async function parse(res: Response, sentToken: boolean): Promise<Json> {
  const body = (await res.json().catch(() => ({}))) as unknown;
  const obj = body && typeof body === 'object' ? (body as Json) : {};
  if (!res.ok) {
    const err = obj.error as Json | undefined;
    const apiErr = new ApiError(
      res.status,
      str(err, 'code') ?? `HTTP_${res.status}`,
      str(err, 'message') ?? res.statusText,
    );
    if (res.status === 401 && sentToken) authProblem?.({ kind: 'rejected' });
    if (res.status === 429) authProblem?.({ kind: 'limited', message: apiErr.message });
    throw apiErr;
  }
  return obj;
}

export async function getJson(path: string): Promise<Json> {
  const sentToken = getToken() !== null;
  return parse(await fetch(path, { headers: headers(), cache: 'no-store' }), sentToken);
}

/** Every POST says application/json, also with an empty body: the server refuses anything else. */
export async function postJson(path: string, body: Json): Promise<Json> {
  const sentToken = getToken() !== null;
  const res = await fetch(path, {
    method: 'POST',
    headers: headers({ 'content-type': 'application/json', 'x-infraai-channel': 'dashboard' }),
    body: JSON.stringify(body),
  });
  return parse(res, sentToken);
}

/** True when the route itself does not exist on this server (a feature not built or disabled). */
export function isMissingRoute(err: unknown): boolean {
  return err instanceof ApiError && err.status === 404 && err.code === 'ERR_NOT_FOUND' && /^no route/.test(err.message);
}

// Accessors that tolerate absent fields: the page must keep working while the API grows.

export function str(o: unknown, ...keys: string[]): string | null {
  if (!o || typeof o !== 'object') return null;
  for (const k of keys) {
    const v = (o as Json)[k];
    if (typeof v === 'string') return v;
    if (typeof v === 'number') return String(v);
  }
  return null;
}

export function num(o: unknown, ...keys: string[]): number | null {
  if (!o || typeof o !== 'object') return null;
  for (const k of keys) {
    const v = (o as Json)[k];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return null;
}

export function obj(o: unknown, ...keys: string[]): Json | null {
  if (!o || typeof o !== 'object') return null;
  for (const k of keys) {
    const v = (o as Json)[k];
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Json;
  }
  return null;
}

export function list(o: unknown, ...keys: string[]): Json[] {
  if (Array.isArray(o)) return o.filter((x): x is Json => !!x && typeof x === 'object');
  if (!o || typeof o !== 'object') return [];
  for (const k of keys) {
    const v = (o as Json)[k];
    if (Array.isArray(v)) return v.filter((x): x is Json => !!x && typeof x === 'object');
  }
  return [];
}

export function enc(id: string): string {
  return encodeURIComponent(id);
}
