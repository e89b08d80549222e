/**
 * Finds the text range of a value inside a JSON document (for `*.tfvars.json`), so the editor
 * can splice just that value and keep the file's formatting. Only the structure needed to walk
 * object keys is scanned; the document must also pass JSON.parse (checked by the caller).
 */

export type JsonLocate =
  | { ok: true; start: number; end: number }
  | { ok: false; message: string; code: 'NOT_FOUND' | 'AMBIGUOUS' | 'PARSE_ERROR' };

class JsonScanError extends Error {}

function skipWs(s: string, i: number): number {
  while (i < s.length && (s[i] === ' ' || s[i] === '\n' || s[i] === '\r' || s[i] === '\t')) i++;
  return i;
}

function scanString(s: string, i: number): number {
  if (s[i] !== '"') throw new JsonScanError(`expected a string at offset ${i}`);
  for (let k = i + 1; k < s.length; k++) {
    if (s[k] === '\\') k++;
    else if (s[k] === '"') return k + 1;
  }
  throw new JsonScanError('unterminated string');
}

function scanContainer(s: string, i: number, close: '}' | ']', onEntry?: (key: string, start: number) => void): number {
  let k = skipWs(s, i + 1);
  if (s[k] === close) return k + 1;
  for (;;) {
    let key = '';
    if (close === '}') {
      const keyEnd = scanString(s, k);
      key = JSON.parse(s.slice(k, keyEnd)) as string;
      k = skipWs(s, keyEnd);
      if (s[k] !== ':') throw new JsonScanError(`expected ':' at offset ${k}`);
      k = skipWs(s, k + 1);
    }
    onEntry?.(key, k);
    k = skipWs(s, scanValue(s, k));
    if (s[k] === close) return k + 1;
    if (s[k] !== ',') throw new JsonScanError(`expected ',' or '${close}' at offset ${k}`);
    k = skipWs(s, k + 1);
  }
}

/** Returns the offset just after the value starting at `i`. */
function scanValue(s: string, i: number): number {
  const c = s[i];
  if (c === '"') return scanString(s, i);
  if (c === '{') return scanContainer(s, i, '}');
  if (c === '[') return scanContainer(s, i, ']');
  const m = /^(-?\d+(\.\d+)?([eE][-+]?\d+)?|true|false|null)/.exec(s.slice(i, i + 64));
  if (m === null) throw new JsonScanError(`unexpected character at offset ${i}`);
  return i + m[0].length;
}

/** The [start, end) range of the value at `path` (object keys only). */
export function locateJsonValue(text: string, path: string[]): JsonLocate {
  try {
    let at = skipWs(text, 0);
    for (const [depth, key] of path.entries()) {
      if (text[at] !== '{') {
        return {
          ok: false,
          code: 'NOT_FOUND',
          message: `${path.slice(0, depth).join('.') || 'the document'} is not an object`,
        };
      }
      const hits: number[] = [];
      scanContainer(text, at, '}', (k, start) => {
        if (k === key) hits.push(start);
      });
      if (hits.length > 1)
        return { ok: false, code: 'AMBIGUOUS', message: `key "${key}" appears ${hits.length} times` };
      const hit = hits[0];
      if (hit === undefined)
        return { ok: false, code: 'NOT_FOUND', message: `key "${path.slice(0, depth + 1).join('.')}" not found` };
      at = hit;
    }
    return { ok: true, start: at, end: scanValue(text, at) };
  } catch (err) {
    if (err instanceof JsonScanError || err instanceof SyntaxError)
      return { ok: false, code: 'PARSE_ERROR', message: err.message };
    throw err;
  }
}

/** A JSON value with its text range, for walking `.tf.json` files and splicing into them. */
export type JsonNode =
  | { kind: 'object'; start: number; end: number; entries: JsonEntry[] }
  | { kind: 'array'; start: number; end: number; items: JsonNode[] }
  | { kind: 'scalar'; start: number; end: number; value: unknown };

export interface JsonEntry {
  key: string;
  keyStart: number;
  value: JsonNode;
}

function treeAt(s: string, i: number): JsonNode {
  const c = s[i];
  if (c === '{' || c === '[') {
    const close = c === '{' ? '}' : ']';
    const entries: JsonEntry[] = [];
    const items: JsonNode[] = [];
    let k = skipWs(s, i + 1);
    if (s[k] !== close) {
      for (;;) {
        if (close === '}') {
          const keyEnd = scanString(s, k);
          const key = JSON.parse(s.slice(k, keyEnd)) as string;
          const keyStart = k;
          k = skipWs(s, keyEnd);
          if (s[k] !== ':') throw new JsonScanError(`expected ':' at offset ${k}`);
          const value = treeAt(s, skipWs(s, k + 1));
          entries.push({ key, keyStart, value });
          k = skipWs(s, value.end);
        } else {
          const item = treeAt(s, k);
          items.push(item);
          k = skipWs(s, item.end);
        }
        if (s[k] === close) break;
        if (s[k] !== ',') throw new JsonScanError(`expected ',' or '${close}' at offset ${k}`);
        k = skipWs(s, k + 1);
      }
    }
    return close === '}'
      ? { kind: 'object', start: i, end: k + 1, entries }
      : { kind: 'array', start: i, end: k + 1, items };
  }
  const end = scanValue(s, i);
  return { kind: 'scalar', start: i, end, value: JSON.parse(s.slice(i, end)) as unknown };
}

/** The document as a tree of ranges; undefined when it is not valid JSON. */
export function parseJsonTree(text: string): JsonNode | undefined {
  try {
    JSON.parse(text);
    return treeAt(text, skipWs(text, 0));
  } catch (err) {
    if (err instanceof JsonScanError || err instanceof SyntaxError) return undefined;
    throw err;
  }
}
