import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { AppError, ERROR_STATUS, type ErrorCode } from '../shared/errors.js';

/**
 * Structural limits every JSON body must meet before any route sees it. No legitimate client
 * (Alertmanager, Telegram, the dashboard, scripts) comes near them; hostile bodies do.
 */
export const JSON_GUARD = {
  /** Deepest nesting accepted: Alertmanager needs 4, Telegram updates about 10. */
  maxDepth: 32,
  /** Keys that reach Object.prototype when a body is ever merged naively. */
  forbiddenKeys: new Set(['__proto__', 'constructor', 'prototype']),
} as const;

export interface GuardProblem {
  /** Dotted path of the offending value, from `body`. */
  field: string;
  message: string;
}

/**
 * Text that cannot be stored or forwarded as sent: lone UTF-16 surrogates (SQLite, Telegram and
 * the logs would each turn them into something else) and NUL (truncates C strings downstream).
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function badText(s: string): string | undefined {
  if (LONE_SURROGATE.test(s)) return 'contains a lone UTF-16 surrogate (not valid Unicode)';
  if (s.includes('\u0000')) return 'contains a NUL character';
  return undefined;
}

/**
 * Walks a parsed JSON value iteratively (no recursion, so 100,000 levels cannot overflow the
 * stack) and returns the first problem: too deep, a forbidden key, or unstorable text.
 * Pure; the value is not modified.
 */
export function inspectJson(value: unknown): GuardProblem | undefined {
  const stack: Array<{ v: unknown; path: string; depth: number }> = [{ v: value, path: 'body', depth: 0 }];
  while (stack.length > 0) {
    const { v, path, depth } = stack.pop() as { v: unknown; path: string; depth: number };
    if (typeof v === 'string') {
      const why = badText(v);
      if (why) return { field: path, message: why };
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= JSON_GUARD.maxDepth)
      return { field: path, message: `nested deeper than ${JSON_GUARD.maxDepth} levels` };
    for (const key of Object.keys(v)) {
      const child = `${path}.${key}`;
      if (JSON_GUARD.forbiddenKeys.has(key)) {
        return { field: child, message: `${path.slice(path.lastIndexOf('.') + 1)} key "${key}" is not allowed` };
      }
      const why = badText(key);
      if (why) return { field: `${path}.${JSON.stringify(key)}`, message: `key ${why}` };
      stack.push({ v: (v as Record<string, unknown>)[key], path: child, depth: depth + 1 });
    }
  }
  return undefined;
}

/**
 * Installs the guard for every route: a preValidation hook (after onRequest auth, so an
 * unauthenticated caller learns nothing) refusing hostile JSON with 400 ERR_VALIDATION naming the
 * field, and no text/plain parser (bodies are JSON; anything else is 415).
 *
 * Every mutating request must say `Content-Type: application/json` (access.ts), also without a
 * body, so an empty JSON body means "no body" (null) instead of Fastify's empty-body error;
 * otherwise the parser is Fastify's own (secure-json-parse, poisoned keys are an error).
 */
export function installJsonGuard(app: FastifyInstance): void {
  app.removeContentTypeParser('text/plain');
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (body === '') return done(null, null);
    return parseJson(req, String(body), done);
  });
  app.addHook('preValidation', async (req) => {
    if (req.body === null || typeof req.body !== 'object') return;
    const problem = inspectJson(req.body);
    if (problem) {
      throw new AppError('ERR_VALIDATION', `invalid request: ${problem.field}: ${problem.message}`, {
        details: [problem],
      });
    }
  });
}

/**
 * Node's HTTP parser rejects some requests before Fastify sees them (bad framing, lying
 * Content-Length, oversized headers): answer those in the one error shape too, then close.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const code: ErrorCode =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? 'ERR_HEADERS_TOO_LARGE'
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? 'ERR_REQUEST_TIMEOUT'
        : 'ERR_BAD_REQUEST';
  const status = ERROR_STATUS[code];
  const body = JSON.stringify({ error: { code, message: `malformed HTTP request (${err.code ?? 'parse error'})` } });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${status === 400 ? 'Bad Request' : status === 431 ? 'Request Header Fields Too Large' : 'Request Timeout'}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
