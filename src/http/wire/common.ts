/**
 * Shared pieces of the wire format: every response object is a strict zod object (an unknown key
 * fails serialisation with a 500 instead of slipping out undocumented), lists share one page shape,
 * and errors one body.
 */
import { z } from 'zod';
import { ERROR_STATUS } from '../../shared/errors.js';

/** A JSON object whose keys are data (labels, parameters, Terraform attributes), not field names. */
export const DataMap = z.record(z.string(), z.unknown());

/** The one list shape: `{ total, limit, offset, items }`. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.strictObject({
    total: z.number().int(),
    limit: z.number().int(),
    offset: z.number().int(),
    items: z.array(item),
  });
}

export const ErrorSchema = z
  .strictObject({
    error: z.strictObject({
      code: z.string().describe('stable ERR_* code'),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .describe('every error, whatever the route');

/** Every status the error registry maps to: any route may answer any of them with the error body. */
const ERROR_STATUSES = [...new Set(Object.values(ERROR_STATUS))].sort();

/** `schema.response` for a route: its success bodies plus the shared error body for every error status. */
export function responses<R extends Record<number, z.ZodType>>(ok: R): R & Record<number, z.ZodType> {
  const out: Record<number, z.ZodType> = {};
  for (const s of ERROR_STATUSES) out[s] = ErrorSchema;
  return Object.assign(out, ok);
}

/** Keys whose values are data written by people or Terraform: passed through untouched. */
const DATA_KEYS = new Set([
  'parameters',
  'labels',
  'annotations',
  'attributes',
  'value',
  'from',
  'before',
  'after',
  'input',
  'output',
  'values',
  'plan_json',
  'sources',
  'source_files',
  'files_sha256',
  'expected_value',
  'expectedValue',
]);

function snake(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/**
 * Deep snake_case of the executor's stored JSON blobs (changes, result, rollback, fix attempts,
 * Terraform output, ledger data). Values under DATA_KEYS keep their keys: they are data.
 */
export function snakeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const key = snake(k);
    out[key] = DATA_KEYS.has(k) || DATA_KEYS.has(key) ? v : snakeKeys(v);
  }
  return out;
}
