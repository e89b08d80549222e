/**
 * A resource block's `lifecycle { ignore_changes = [...] }`, as written, with the file and line
 * of the rule: Terraform leaves an attribute covered by it alone, so an edit there plans nothing.
 * Read from `.tf` (tree-sitter) and `.tf.json` files.
 */
import { blockLabels, bodyOf, inBlock, parseAddress, type ConfigFiles, type Fail } from './locate.js';
import { kids } from './parser.js';
import { findJsonResources, lineOf, tfJsonFiles } from './tf-json.js';
import type { JsonNode } from './json-locate.js';

export interface IgnoreChangesRule {
  file: string;
  /** 1-based line of `ignore_changes`. */
  line: number;
  /** `ignore_changes = all`. */
  all: boolean;
  /** Each listed attribute as name segments: `spec[0].replicas` → ['spec','replicas'], `tags["a.b"]` → ['tags','a.b']. */
  paths: string[][];
  /** The expression as written, e.g. `[desired_capacity]`. */
  text: string;
}

/**
 * `desired_capacity`, `spec[0].replicas`, `tags["Name"]`, legacy `"desired_capacity"` → segments.
 * List indices and splats are dropped (they select within an attribute); reading stops at anything
 * else, so the prefix read covers more, never less.
 */
export function traversalSegments(text: string): string[] {
  let rest = text.trim();
  if (/^"[^"]*"$/.test(rest)) rest = rest.slice(1, -1);
  const head = /^[A-Za-z_][\w-]*/.exec(rest);
  if (head === null) return [];
  const out = [head[0]];
  rest = rest.slice(head[0].length);
  for (;;) {
    let m: RegExpExecArray | null;
    if ((m = /^\s*\.\s*([A-Za-z_][\w-]*)/.exec(rest)) !== null) out.push(m[1] ?? '');
    else if ((m = /^\s*\.\s*\d+/.exec(rest)) !== null || (m = /^\s*\[\s*(\d+|\*)\s*\]/.exec(rest)) !== null) {
      /* an index */
    } else if ((m = /^\s*\[\s*("(?:[^"\\]|\\.)*")\s*\]/.exec(rest)) !== null)
      out.push(JSON.parse(m[1] ?? '""') as string);
    else break;
    rest = rest.slice(m[0].length);
  }
  return out;
}

/** True when the rule covers `path` (the path itself, a parent of it, or `all`). */
export function ignoreCovers(rule: IgnoreChangesRule, path: readonly string[]): boolean {
  return (
    rule.all || rule.paths.some((p) => p.length > 0 && p.length <= path.length && p.every((s, i) => s === path[i]))
  );
}

function fromHcl(cfg: ConfigFiles, type: string, name: string): { rule: IgnoreChangesRule | undefined } | Fail {
  const found = inBlock(cfg, 'resource', [type, name], (body, file) => {
    const lifecycle = (body === undefined ? [] : kids(body)).find(
      (n) => n.type === 'block' && blockLabels(n).kind === 'lifecycle',
    );
    const inner = lifecycle === undefined ? undefined : bodyOf(lifecycle);
    const attr = (inner === undefined ? [] : kids(inner)).find(
      (n) => n.type === 'attribute' && kids(n)[0]?.text === 'ignore_changes',
    );
    const expr = attr === undefined ? undefined : kids(attr)[1];
    if (attr === undefined || expr === undefined) return undefined;
    const text = expr.text;
    const parts = kids(expr).filter((n) => n.type !== 'comment');
    const all = parts.length === 1 && parts[0]?.type === 'variable_expr' && parts[0].text === 'all';
    const tuple = parts.length === 1 && parts[0]?.type === 'collection_value' ? kids(parts[0])[0] : undefined;
    const elements = tuple?.type === 'tuple' ? kids(tuple).filter((n) => n.type === 'expression') : [];
    const rule: IgnoreChangesRule = {
      file,
      line: attr.startPosition.row + 1,
      all,
      // Not a list and not `all` (Terraform rejects that): read what it names, to err on the covering side.
      paths: tuple === undefined && !all ? [traversalSegments(text)] : elements.map((e) => traversalSegments(e.text)),
      text,
    };
    return rule;
  });
  if ('walk' in found) return { rule: found.walk };
  return found.code === 'NOT_FOUND' ? { rule: undefined } : found;
}

function jsonLifecycle(node: JsonNode): Array<{ key: number; value: JsonNode }> {
  if (node.kind !== 'object') return [];
  const out: Array<{ key: number; value: JsonNode }> = [];
  for (const e of node.entries.filter((x) => x.key === 'lifecycle')) {
    const bodies = e.value.kind === 'array' ? e.value.items : [e.value];
    for (const b of bodies)
      if (b.kind === 'object')
        for (const ic of b.entries.filter((x) => x.key === 'ignore_changes'))
          out.push({ key: ic.keyStart, value: ic.value });
  }
  return out;
}

/**
 * The target block's ignore_changes rule, undefined when it has none (or the block is not in
 * these files). Module addresses: undefined (their blocks are not edited here either).
 */
export function readIgnoreChanges(
  cfg: ConfigFiles,
  address: string,
): { ok: true; rule: IgnoreChangesRule | undefined } | Fail {
  const addr = parseAddress(address);
  if (!addr.ok) return addr.code === 'MODULE_INTERNAL' ? { ok: true, rule: undefined } : addr;
  const hcl = fromHcl(cfg, addr.type, addr.name);
  if ('ok' in hcl) return hcl;
  if (hcl.rule !== undefined) return { ok: true, rule: hcl.rule };
  if (tfJsonFiles(cfg.files).length === 0) return { ok: true, rule: undefined };
  const json = findJsonResources(cfg.files, addr.type, addr.name);
  if (!Array.isArray(json)) return json;
  for (const res of json) {
    const src = cfg.files[res.file] ?? '';
    for (const ic of jsonLifecycle(res.node)) {
      const v = ic.value;
      const text = src.slice(v.start, v.end);
      const strings =
        v.kind === 'array'
          ? v.items.map((i) => (i.kind === 'scalar' && typeof i.value === 'string' ? i.value : ''))
          : [];
      const all = (v.kind === 'scalar' && v.value === 'all') || strings.includes('all');
      return {
        ok: true,
        rule: { file: res.file, line: lineOf(src, ic.key), all, paths: strings.map(traversalSegments), text },
      };
    }
  }
  return { ok: true, rule: undefined };
}
