/**
 * Sharing per field, not per variable: which parts of `var.NAME` / `local.NAME` a block (or a
 * local) reads. `var.groups.web.desired_size` reads one field; a block with `for_each = var.groups`
 * reads, for every entry, the fields its `each.value.X` names. A reader shares the traced value
 * only when one of its read paths and the value's path agree wherever both are known. Pure.
 */
import { kids, type HclNode } from './parser.js';

/** One segment of a read path; `*` = any (a computed index, every for_each entry, a splat). */
export type ReadSeg = string | number | '*';

/** A path segment of the traced value: a key, an index, or a list element selected by an attribute. */
export type ValueSeg = string | number | { select: string; equals: string };

function keyOf(index: HclNode): ReadSeg {
  const inner = index.text.trim().replace(/^\[/, '').replace(/\]$/, '').trim();
  if (/^\d+$/.test(inner)) return Number(inner);
  try {
    const v = JSON.parse(inner) as unknown;
    return typeof v === 'string' ? v : '*';
  } catch {
    return '*';
  }
}

/** The traversal after the head of a reference (`.a["b"][0]`), as far as it is static. */
function traversal(parts: HclNode[]): ReadSeg[] {
  const out: ReadSeg[] = [];
  for (const p of parts) {
    if (p.type === 'get_attr') out.push(kids(p).find((k) => k.type === 'identifier')?.text ?? '*');
    else if (p.type === 'index') out.push(keyOf(p));
    else if (p.type === 'splat') out.push('*');
    else break;
  }
  return out;
}

/** Every `root.NAME…` (and `each.value…` when `eachOf` is set) inside `node`, as read paths under NAME. */
function collect(node: HclNode, root: 'var' | 'local', name: string, eachOf: boolean, skip?: HclNode): ReadSeg[][] {
  const out: ReadSeg[][] = [];
  const stack = [node];
  while (stack.length > 0) {
    const n = stack.pop() as HclNode;
    if (skip !== undefined && n.startIndex === skip.startIndex && n.endIndex === skip.endIndex) continue;
    if (n.type === 'variable_expr') {
      const siblings: HclNode[] = [];
      for (let s = n.nextNamedSibling; s !== null; s = s.nextNamedSibling) siblings.push(s);
      const path = traversal(siblings);
      if (n.text === root && path[0] === name) out.push(path.slice(1));
      if (eachOf && n.text === 'each' && path[0] === 'value') out.push(['*', ...path.slice(1)]);
    }
    stack.push(...kids(n));
  }
  return out;
}

/**
 * What `reader` (a block or a local's attribute) reads of `root.NAME`. A block whose
 * `for_each` is exactly `root.NAME` reads its entries through `each.value`.
 */
export function readPaths(reader: HclNode, root: 'var' | 'local', name: string): ReadSeg[][] {
  const body = reader.type === 'block' ? kids(reader).find((k) => k.type === 'body') : undefined;
  const forEach = (body === undefined ? [] : kids(body)).find(
    (n) => n.type === 'attribute' && kids(n)[0]?.text === 'for_each',
  );
  const expr = forEach === undefined ? undefined : kids(forEach)[1];
  const exact = expr !== undefined && expr.text.replace(/\s+/g, '') === `${root}.${name}`;
  return collect(reader, root, name, exact, exact ? forEach : undefined);
}

/** Whether some read path reaches the value at `path` (or a part of it, or something containing it). */
export function readsValue(reads: ReadSeg[][], path: readonly ValueSeg[]): boolean {
  return reads.some((r) =>
    r.every((seg, i) => {
      const v = path[i];
      if (v === undefined || seg === '*' || typeof v === 'object') return true;
      return seg === v;
    }),
  );
}
