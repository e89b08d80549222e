import { describe, expect, it } from 'vitest';
import { isRfc3339 } from '../../src/alerts/alert-schemas.js';
import { inspectJson } from '../../src/http/json-guard.js';

describe('inspectJson (the JSON guard every route shares)', () => {
  it('refuses 100,000 levels without overflowing the stack, naming the depth', () => {
    const deep = JSON.parse('['.repeat(100_000) + ']'.repeat(100_000)) as unknown;
    expect(inspectJson(deep)?.message).toMatch(/deeper than 32/);
  });
  it('refuses forbidden keys anywhere, lone surrogates and NUL; accepts legal odd unicode', () => {
    expect(inspectJson(JSON.parse('{"a":[{"constructor":1}]}'))).toEqual({
      field: 'body.a.0.constructor',
      message: '0 key "constructor" is not allowed',
    });
    expect(inspectJson({ prototype: 'x' })?.field).toBe('body.prototype');
    expect(inspectJson({ a: 'x\ud800' })?.message).toMatch(/surrogate/);
    expect(inspectJson({ ['k\udc00']: 'x' })?.message).toMatch(/key contains a lone/);
    expect(inspectJson({ a: 'x\u0000' })?.message).toMatch(/NUL/);
    expect(inspectJson({ a: 'pool\u202Eloop 🔥 \u200D \u001b[31m', b: [1, true, null] })).toBeUndefined();
  });
});

describe('isRfc3339 (alert timestamps)', () => {
  it.each([
    '2026-11-23T09:14:28.263399883Z',
    '2026-11-23T09:14:28+05:30',
    '2024-02-29T00:00:00Z',
    '9999-12-31T23:59:59Z',
  ])('accepts %s', (s) => {
    expect(isRfc3339(s)).toBe(true);
  });
  it.each([
    '1',
    'March 7',
    '2026-11-23',
    '2026-02-30T00:00:00Z',
    '2025-02-29T00:00:00Z',
    '2026-11-23T24:00:00Z',
    '1969-12-31T23:59:59Z',
    '+275760-09-13T00:00:00Z',
    '2026-11-23T09:14:28',
    '2026-11-23T09:14:28+25:00',
  ])('refuses %s', (s) => {
    expect(isRfc3339(s)).toBe(false);
  });
});
