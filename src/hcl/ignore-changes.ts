/**
 * `lifecycle { ignore_changes = [...] }` of every resource block in a module's own files (`*.tf` and
 * `*.tf.json` at the top of the file set; sub-directories are other modules). Read by the registry at
 * sync so the agent and the executor know which attributes Terraform will not change.
 *
 * Paths are dotted, the way the shapes table writes them: `spec[0].replicas` → `spec.replicas`
 * (list indexes dropped: providers nest blocks as one-element lists), `tags["Name"]` → `tags.Name`;
 * `ignore_changes = all` → `["all"]`. A block without the argument gets `[]`. Override files
 * (`override.tf`, `*_override.tf`) are read last and replace the argument, as Terraform merges them.
 * Pure apart from the parser; never throws for a file's content (problems are returned).
 * All blocks in one pass (the registry's sync); `lifecycle.ts` reads one block's rule with its file
 * and line (the executor's refusal).
 */
import { kids, type HclNode, type HclParser } from './parser.js';

export interface IgnoreChangesRead {
  /** `type.name` of each managed resource block → its ignored paths (`[]` when none). */
  blocks: Record<string, string[]>;
  /** Files that could not be read, with why; their blocks are absent from `blocks` (unknown). */
  problems: string[];
}

const isOverride = (name: string): boolean => /(^|_)override\.tf(\.json)?$/.test(name);

/** Reads every top-level `.tf` / `.tf.json` file of `files` (name → text). */
export function readAllIgnoreChanges(files: Readonly<Record<string, string>>, parser: HclParser): IgnoreChangesRead {
  const blocks: Record<string, string[]> = {};
  const problems: string[] = [];
  const names = Object.keys(files)
    .filter((n) => !n.includes('/') && (n.endsWith('.tf') || n.endsWith('.tf.json')))
    .sort((a, b) => Number(isOverride(a)) - Number(isOverride(b)) || (a < b ? -1 : a > b ? 1 : 0));
  for (const name of names) {
    const text = files[name] ?? '';
    const found = name.endsWith('.json') ? fromJson(text) : fromHcl(text, parser);
    if (typeof found === 'string') {
      problems.push(`${name}: ${found}`);
      continue;
    }
    for (const [address, paths] of found) {
      // In an override file only a block that sets the argument changes it.
      if (isOverride(name) && paths === undefined && Object.hasOwn(blocks, address)) continue;
      blocks[address] = paths ?? [];
    }
  }
  return { blocks, problems };
}

/** `address → paths`, `undefined` paths when the block has no ignore_changes; a string is a problem. */
type Found = Map<string, string[] | undefined> | string;

function fromHcl(text: string, parser: HclParser): Found {
  return parser.withTree(text, (root): Found => {
    if (root.hasError) return 'syntax error';
    const out = new Map<string, string[] | undefined>();
    const body = kids(root).find((n) => n.type === 'body');
    for (const block of body === undefined ? [] : kids(body)) {
      if (block.type !== 'block') continue;
      const { kind, labels } = blockHead(block);
      if (kind !== 'resource' || labels.length !== 2) continue;
      // Most blocks have no lifecycle rule: skip the walk when the argument's name is not in the text.
      out.set(`${labels[0]}.${labels[1]}`, block.text.includes('ignore_changes') ? hclIgnoreChanges(block) : undefined);
    }
    return out;
  });
}

function blockHead(block: HclNode): { kind: string; labels: string[] } {
  const [id, ...rest] = kids(block);
  const labels = rest
    .filter((n) => n.type === 'string_lit' || n.type === 'identifier')
    .map((n) => (n.type === 'string_lit' ? n.text.slice(1, -1) : n.text));
  return { kind: id?.text ?? '', labels };
}

function hclIgnoreChanges(resource: HclNode): string[] | undefined {
  let result: string[] | undefined;
  for (const lifecycle of childBlocks(resource, 'lifecycle')) {
    const body = kids(lifecycle).find((n) => n.type === 'body');
    for (const attr of body === undefined ? [] : kids(body)) {
      if (attr.type !== 'attribute' || kids(attr)[0]?.text !== 'ignore_changes') continue;
      const expr = kids(attr)[1];
      if (expr !== undefined) result = hclPaths(expr);
    }
  }
  return result;
}

function childBlocks(block: HclNode, kind: string): HclNode[] {
  const body = kids(block).find((n) => n.type === 'body');
  return (body === undefined ? [] : kids(body)).filter((n) => n.type === 'block' && kids(n)[0]?.text === kind);
}

function hclPaths(expr: HclNode): string[] {
  const text = expr.text.trim();
  if (text === 'all' || text === '"all"') return ['all'];
  const tuple = expr.descendantsOfType('tuple')[0];
  if (tuple === undefined || tuple === null) return [normalisePath(unquote(text))];
  // Only the tuple's own elements: `tags["a"]`'s index expression is part of its element.
  return kids(tuple)
    .filter((n) => n.type === 'expression')
    .map((n) => normalisePath(unquote(n.text.trim())));
}

function unquote(s: string): string {
  if (!(s.startsWith('"') && s.endsWith('"') && s.length >= 2)) return s;
  try {
    return JSON.parse(s) as string;
  } catch {
    return s.slice(1, -1);
  }
}

function fromJson(text: string): Found {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return 'not valid JSON';
  }
  const out = new Map<string, string[] | undefined>();
  for (const byType of asObjects(isRecord(doc) ? doc['resource'] : undefined)) {
    for (const [type, byName] of Object.entries(byType)) {
      for (const named of asObjects(byName)) {
        for (const [name, bodies] of Object.entries(named)) {
          let paths: string[] | undefined;
          for (const body of asObjects(bodies)) {
            for (const lifecycle of asObjects(body['lifecycle'])) {
              if (Object.hasOwn(lifecycle, 'ignore_changes')) paths = jsonPaths(lifecycle['ignore_changes']);
            }
          }
          out.set(`${type}.${name}`, paths);
        }
      }
    }
  }
  return out;
}

function jsonPaths(v: unknown): string[] {
  if (v === 'all') return ['all'];
  if (typeof v === 'string') return [normalisePath(v)];
  if (!Array.isArray(v)) return [];
  return v.filter((x): x is string => typeof x === 'string').map(normalisePath);
}

/** JSON syntax allows an object or a list of objects wherever a block or a label map goes. */
function asObjects(v: unknown): Array<Record<string, unknown>> {
  if (isRecord(v)) return [v];
  return Array.isArray(v) ? v.filter(isRecord) : [];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * A traversal as written (`spec[0].replicas`, `tags["Name"]`, `metadata.0.name`) → dotted path
 * without list indexes. Reading stops at anything else (`tags[var.k]` → `tags`), so the path read
 * covers more, never less; text that does not start with a name is returned trimmed, as written.
 */
export function normalisePath(text: string): string {
  const s = text.replace(/\s+/g, '');
  const segments: string[] = [];
  const head = /^[A-Za-z_][\w-]*/.exec(s);
  if (head === null) return text.trim();
  segments.push(head[0]);
  let i = head[0].length;
  const step = /\.([A-Za-z_][\w-]*)|\.(\d+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]|\[\*\]|\.\*/y;
  while (i < s.length) {
    step.lastIndex = i;
    const m = step.exec(s);
    if (m === null) break;
    if (m[1] !== undefined) segments.push(m[1]);
    else if (m[4] !== undefined) segments.push(unquote(`"${m[4]}"`));
    i = step.lastIndex;
  }
  return segments.join('.');
}
