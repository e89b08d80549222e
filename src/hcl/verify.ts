/**
 * Independent check of an edit: parse the file before and after with a second parser
 * (hcl2-parser, i.e. HashiCorp's own hcl2 via hcl2json; JSON.parse for .json files), apply the
 * intended change to the "before" object, and require it to equal the "after" object. Any
 * other difference — a swallowed comment that was really code, a broken string, an injected
 * block — fails verification.
 */
import hcl2 from 'hcl2-parser';
import type { HclValue } from './literal.js';
import { refuse, type Refusal } from '../shared/result.js';

type Parsed = { ok: true; value: unknown } | Refusal<'PARSE_ERROR'>;

/** hcl2-parser returns `[object, error]`; the error is opaque, so only success is reported. */
export function parseHclObject(src: string): Parsed {
  const parse = (hcl2 as { parseToObject: (s: string) => unknown }).parseToObject;
  const result = parse(src);
  if (!Array.isArray(result) || result[1] !== null || result[0] === null || typeof result[0] !== 'object')
    return refuse('PARSE_ERROR', 'HashiCorp HCL cannot parse the text');
  return { ok: true, value: result[0] };
}

function parseJson(src: string): Parsed {
  try {
    return { ok: true, value: JSON.parse(src) as unknown };
  } catch {
    return refuse('PARSE_ERROR', 'not valid JSON');
  }
}

/** The value of one literal expression's source text, as hcl2 reads it. */
export function decodeHclLiteral(text: string): unknown {
  const parsed = parseHclObject(`v = ${text}\n`);
  return parsed.ok ? (parsed.value as Record<string, unknown>)['v'] : undefined;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  const bo = b as Record<string, unknown>;
  return ka.length === kb.length && ka.every((k) => k in bo && deepEqual((a as Record<string, unknown>)[k], bo[k]));
}

/**
 * Sets `value` at an existing `path`; false when the path does not exist. With `create`, missing
 * object keys along the path are added as empty objects first (an inserted map entry).
 */
function setExisting(root: unknown, path: Array<string | number>, value: unknown, create = false): boolean {
  let cur = root;
  for (const [i, key] of path.entries()) {
    if (cur === null || typeof cur !== 'object') return false;
    const obj = cur as Record<string | number, unknown>;
    if (create && !(key in obj) && typeof key === 'string' && !Array.isArray(obj))
      obj[key] = i === path.length - 1 ? value : {};
    if (!(key in obj)) return false;
    if (i === path.length - 1) obj[key] = value;
    else cur = obj[key];
  }
  return path.length > 0;
}

/**
 * Undefined when `after` equals `before` with exactly `path` set to `value`; otherwise a reason.
 */
export function verifyEdit(
  format: 'hcl' | 'json',
  before: string,
  after: string,
  path: Array<string | number>,
  value: HclValue,
  create = false,
): string | undefined {
  const parse = format === 'hcl' ? parseHclObject : parseJson;
  const a = parse(before);
  if (!a.ok) return 'the original file does not parse with the verifying parser';
  const b = parse(after);
  if (!b.ok) return 'the edited file does not parse';
  if (!setExisting(a.value, path, value, create)) return `path ${path.join('.')} not found by the verifying parser`;
  if (!deepEqual(a.value, b.value)) return 'the edited file differs from the original in more than the intended value';
  return undefined;
}
