/**
 * Resource blocks written in Terraform's JSON syntax (`*.tf.json`): find `resource.TYPE.NAME`,
 * walk an attribute path through objects and one-element arrays (nested blocks may be either),
 * and say where a missing key would go. Offsets are into the file's text, for splicing.
 */
import { parseJsonTree, type JsonNode } from './json-locate.js';
import { refuse, type Refusal } from '../shared/result.js';

type Code = 'NOT_FOUND' | 'NOT_LITERAL' | 'AMBIGUOUS' | 'PARSE_ERROR';

/** The `.tf.json` files of a file set, in the order Terraform reads them. */
export function tfJsonFiles(files: Readonly<Record<string, string>>): string[] {
  return Object.keys(files)
    .filter((f) => f.endsWith('.tf.json'))
    .sort();
}

export interface JsonResource {
  file: string;
  node: JsonNode;
  /** Path of the resource's object in JSON.parse's value (array indices included). */
  path: Array<string | number>;
}

/** Every object a key names, stepping into arrays (JSON syntax allows `[{…}, {…}]` for repeated bodies). */
function objectsUnder(
  nodes: Array<{ node: JsonNode; path: Array<string | number> }>,
  key: string,
): Array<{ node: JsonNode; path: Array<string | number> }> {
  const out: Array<{ node: JsonNode; path: Array<string | number> }> = [];
  for (const { node, path } of nodes) {
    const items =
      node.kind === 'array' ? node.items.map((n, i) => ({ node: n, path: [...path, i] })) : [{ node, path }];
    for (const item of items) {
      if (item.node.kind !== 'object') continue;
      for (const e of item.node.entries) if (e.key === key) out.push({ node: e.value, path: [...item.path, key] });
    }
  }
  return out;
}

/** Every `resource.TYPE.NAME` object across the `.tf.json` files; PARSE_ERROR when one is not JSON. */
export function findJsonResources(
  files: Readonly<Record<string, string>>,
  type: string,
  name: string,
): JsonResource[] | Refusal<'PARSE_ERROR'> {
  const out: JsonResource[] = [];
  for (const file of tfJsonFiles(files)) {
    const root = parseJsonTree(files[file] ?? '');
    if (root === undefined) return refuse('PARSE_ERROR', `${file} is not valid JSON`);
    const named = objectsUnder(objectsUnder(objectsUnder([{ node: root, path: [] }], 'resource'), type), name);
    for (const r of named) {
      const bodies = r.node.kind === 'array' ? r.node.items.map((n, i) => ({ node: n, path: [...r.path, i] })) : [r];
      for (const b of bodies) if (b.node.kind === 'object') out.push({ file, node: b.node, path: b.path });
    }
  }
  return out;
}

export type JsonWalk =
  | { ok: true; node: JsonNode; verifyPath: Array<string | number> }
  /** `path[depth]` is absent from `container` (an object); `missing` = the rest of the path from there. */
  | {
      ok: 'missing';
      container: Extract<JsonNode, { kind: 'object' }>;
      missing: string[];
      verifyPath: Array<string | number>;
    }
  | Refusal<Code>;

/** Walks `path` from a resource's object; nested blocks written as one-element arrays are stepped through. */
export function walkJson(node: JsonNode, path: string[], vp: Array<string | number>, where: string): JsonWalk {
  let cur = node;
  const at = [...vp];
  let shown = where;
  for (const [i, key] of path.entries()) {
    while (cur.kind === 'array') {
      if (cur.items.length !== 1) return refuse('AMBIGUOUS', `${shown} is a list of ${cur.items.length} blocks`);
      cur = cur.items[0] as JsonNode;
      at.push(0);
    }
    if (cur.kind !== 'object') return refuse('NOT_FOUND', `${shown} is not an object, cannot reach ${key}`);
    const hits = cur.entries.filter((e) => e.key === key).map((e) => e.value);
    if (hits.length > 1) return refuse('AMBIGUOUS', `${shown}.${key} is set ${hits.length} times`);
    const next = hits[0];
    if (next === undefined) return { ok: 'missing', container: cur, missing: path.slice(i), verifyPath: at };
    cur = next;
    at.push(key);
    shown = `${shown}.${key}`;
  }
  return { ok: true, node: cur, verifyPath: at };
}

/** A `.tf.json` string is a template: `${…}` / `%{…}` in it is an expression, not literal text. */
export function isJsonTemplate(v: unknown): boolean {
  return typeof v === 'string' && /[$%]\{/.test(v);
}

/** 1-based line of an offset. */
export function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
