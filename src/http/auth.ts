import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type ErrorCode } from '../shared/errors.js';

/** Constant-time comparison that does not leak the length of the secret either. */
export function safeEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && given.length === expected.length;
}

/**
 * True when the Authorization header carries the token, as `Bearer <token>` or, when
 * `allowBasic`, as the password of HTTP basic auth (any user name).
 */
export function authorizationMatches(header: string | undefined, token: string, allowBasic: boolean): boolean {
  if (header === undefined) return false;
  const space = header.indexOf(' ');
  if (space < 0) return false;
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (scheme === 'bearer') return safeEqual(value, token);
  if (scheme === 'basic' && allowBasic) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 && safeEqual(decoded.slice(colon + 1), token);
  }
  return false;
}

/** A preHandler that requires the token when one is configured. */
export function requireToken(token: string | undefined, code: ErrorCode, allowBasic = false) {
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    if (token === undefined) return;
    if (!authorizationMatches(req.headers.authorization, token, allowBasic)) {
      throw new AppError(code, 'missing or wrong Authorization header (expected "Bearer <token>")');
    }
  };
}
