/**
 * Where and how to add a value that is not set yet: a new entry in a map (`annotations`,
 * `triggers`), and the map attribute itself when it is missing. Only text is added (at the end of
 * the enclosing block, object or JSON object, indented like its neighbours); nothing existing is
 * rewritten, so comments and layout stay. A plain attribute (`allow_stopping_for_update = true`)
 * goes where `terraform fmt` lays it out (attribute-placement.ts: after the last attribute before
 * the nested blocks, `=` aligned with its run, which may re-pad that run's spaces). Only the last `create` segments of a path may be added:
 * the blocks above them must already exist (which of them are blocks is the schema's business).
 */
import { classifyExpression, escapeHclString, objectElemKey, renderHcl, renderJson, type HclValue } from './literal.js';
import { blockLabels, bodyOf, findBlocks, parseAddress, type ConfigFiles, type Fail } from './locate.js';
import { kids, type HclNode } from './parser.js';
import type { JsonNode } from './json-locate.js';
import { findJsonResources, walkJson } from './tf-json.js';
import { refuse } from '../shared/result.js';
import { placeAttribute } from './attribute-placement.js';

export interface Splice {
  start: number;
  end: number;
  text: string;
}

/** The text to add to one file, and the full path of the new value for verification. */
export interface Insertion {
  file: string;
  format: 'hcl' | 'json';
  splices: Splice[];
  verifyPath: Array<string | number>;
  display: string;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;

function lineStart(src: string, pos: number): number {
  return src.lastIndexOf('\n', pos - 1) + 1;
}

function lineIndent(src: string, pos: number): string {
  return /^[ \t]*/.exec(src.slice(lineStart(src, pos)))?.[0] ?? '';
}

function firstOnLine(src: string, pos: number): boolean {
  return src.slice(lineStart(src, pos), pos).trim() === '';
}

function hclKey(k: string): string {
  return IDENT.test(k) ? k : `"${escapeHclString(k)}"`;
}

function hclNested(keys: string[], value: string, indent: string): string {
  const [head, ...rest] = keys;
  if (head === undefined) return value;
  return `{\n${indent}  ${hclKey(head)} = ${hclNested(rest, value, `${indent}  `)}\n${indent}}`;
}

function hclInline(keys: string[], value: string): string {
  const [head, ...rest] = keys;
  return head === undefined ? value : `{ ${hclKey(head)} = ${hclInline(rest, value)} }`;
}

/**
 * Adds `line` (rendered for an indent) as the last item between `open` (just after `{`) and
 * `close` (the `}`), the way the container is already laid out.
 */
function addLast(
  src: string,
  container: { start: number; open: number; close: number; first?: HclNode | undefined; last?: HclNode | undefined },
  render: (indent: string) => string,
  inline: () => string,
  separator: '' | ',',
): Splice[] {
  const outer = lineIndent(src, container.start);
  const { open, close, first, last } = container;
  const multiline = src.slice(open, close).includes('\n');
  if (first === undefined || last === undefined) {
    const indent = `${outer}  `;
    return [{ start: open, end: close, text: `\n${indent}${render(indent)}\n${outer}` }];
  }
  const indent = firstOnLine(src, first.startIndex) ? lineIndent(src, first.startIndex) : `${outer}  `;
  if (multiline) {
    const ls = lineStart(src, close);
    if (src.slice(ls, close).trim() === '') return [{ start: ls, end: ls, text: `${indent}${render(indent)}\n` }];
    return [{ start: close, end: close, text: `\n${indent}${render(indent)}\n${outer}` }];
  }
  if (separator === ',') {
    const between = src.slice(last.endIndex, close);
    if (between.includes(',')) return [{ start: close, end: close, text: `${inline()} ` }];
    return [{ start: last.endIndex, end: last.endIndex, text: `, ${inline()}` }];
  }
  // A one-line block holds one item only: open it up, keeping the item as it is.
  const inner = `${outer}  `;
  return [
    { start: open, end: first.startIndex, text: `\n${inner}` },
    { start: last.endIndex, end: close, text: `\n${inner}${render(inner)}\n${outer}` },
  ];
}

type HclWalk = { ok: true; splices: Splice[]; verifyPath: Array<string | number> } | Fail;

function insertInObject(
  src: string,
  object: HclNode,
  path: string[],
  vp: Array<string | number>,
  where: string,
  create: number,
  value: string,
): HclWalk {
  const [head, ...rest] = path;
  if (head === undefined) return refuse('INVALID_REQUEST', `${where} is already set`);
  const elems = kids(object).filter((e) => e.type === 'object_elem');
  const hits = elems.filter((e) => objectElemKey(e) === head);
  if (hits.length > 1) return refuse('AMBIGUOUS', `${where}.${head} is set ${hits.length} times`);
  const hit = hits[0];
  if (hit !== undefined) {
    const val = hit.childForFieldName('val');
    const c = val === null ? undefined : classifyExpression(val);
    if (c?.kind !== 'object' || rest.length === 0)
      return refuse('NOT_LITERAL', `${where}.${head} is not an object literal, cannot add ${rest.join('.')}`);
    return insertInObject(src, c.object, rest, [...vp, head], `${where}.${head}`, create, value);
  }
  if (path.length > create) return refuse('NOT_FOUND', `${where}.${head} is not set`);
  const open = kids(object).find((n) => n.type === 'object_start');
  const close = kids(object).find((n) => n.type === 'object_end');
  if (open === undefined || close === undefined) return refuse('PARSE_ERROR', `${where} is not a complete object`);
  const splices = addLast(
    src,
    { start: object.startIndex, open: open.endIndex, close: close.startIndex, first: elems[0], last: elems.at(-1) },
    (indent) => `${hclKey(head)} = ${hclNested(rest, value, indent)}`,
    () => `${hclKey(head)} = ${hclInline(rest, value)}`,
    ',',
  );
  return { ok: true, splices, verifyPath: [...vp, ...path] };
}

function insertInBlock(
  src: string,
  block: HclNode,
  path: string[],
  vp: Array<string | number>,
  where: string,
  create: number,
  value: string,
): HclWalk {
  const [head, ...rest] = path;
  if (head === undefined) return refuse('INVALID_REQUEST', `${where} is already set`);
  const body = bodyOf(block);
  const items = body === undefined ? [] : kids(body);
  const attrs = items.filter((n) => n.type === 'attribute' && kids(n)[0]?.text === head);
  const blocks = items.filter((n) => n.type === 'block' && blockLabels(n).kind === head);
  if (items.some((n) => n.type === 'block' && blockLabels(n).kind === 'dynamic' && blockLabels(n).labels[0] === head))
    return refuse('NOT_LITERAL', `${where}.${head} is generated by a dynamic block`);
  if (attrs.length + blocks.length > 1)
    return refuse('AMBIGUOUS', `${where}.${head} appears ${attrs.length + blocks.length} times`);
  const attr = attrs[0];
  if (attr !== undefined) {
    const expr = kids(attr)[1];
    const c = expr === undefined ? undefined : classifyExpression(expr);
    if (c?.kind !== 'object' || rest.length === 0)
      return refuse(
        'NOT_LITERAL',
        `${where}.${head} is not an object literal (\`${expr?.text ?? ''}\`), cannot add ${rest.join('.')}`,
      );
    return insertInObject(src, c.object, rest, [...vp, head], `${where}.${head}`, create, value);
  }
  const nested = blocks[0];
  if (nested !== undefined) {
    if (rest.length === 0) return refuse('NOT_LITERAL', `${where}.${head} is a block, not a value`);
    if (blockLabels(nested).labels.length > 0) return refuse('NOT_FOUND', `${where}.${head} is a labelled block`);
    return insertInBlock(src, nested, rest, [...vp, head, 0], `${where}.${head}`, create, value);
  }
  if (path.length > create)
    return refuse('NOT_FOUND', `${where}.${head} is not set (only its last ${create} level(s) may be added)`);
  if (!IDENT.test(head)) return refuse('INVALID_REQUEST', `"${head}" is not an attribute name`);
  const open = kids(block).find((n) => n.type === 'block_start');
  const close = kids(block).find((n) => n.type === 'block_end');
  if (open === undefined || close === undefined) return refuse('PARSE_ERROR', `${where} is not a complete block`);
  const real = items.filter((n) => n.type !== 'comment');
  // A plain attribute (not a map entry) goes where `terraform fmt` lays attributes out.
  const placed =
    rest.length === 0
      ? placeAttribute(
          src,
          { start: block.startIndex, open: open.endIndex, close: close.startIndex },
          items,
          head,
          value,
        )
      : undefined;
  if (placed !== undefined) return { ok: true, splices: placed, verifyPath: [...vp, ...path] };
  const splices = addLast(
    src,
    {
      start: block.startIndex,
      open: open.endIndex,
      close: close.startIndex,
      first: real[0] ?? items[0],
      last: items.at(-1),
    },
    (indent) => `${head} = ${hclNested(rest, value, indent)}`,
    () => `${head} = ${hclInline(rest, value)}`,
    '',
  );
  return { ok: true, splices, verifyPath: [...vp, ...path] };
}

function jsonNested(keys: string[], value: string, indent: string): string {
  const [head, ...rest] = keys;
  if (head === undefined) return value;
  return `{\n${indent}  ${JSON.stringify(head)}: ${jsonNested(rest, value, `${indent}  `)}\n${indent}}`;
}

function jsonInline(keys: string[], value: string): string {
  const [head, ...rest] = keys;
  return head === undefined ? value : `{ ${JSON.stringify(head)}: ${jsonInline(rest, value)} }`;
}

function insertJson(
  src: string,
  obj: Extract<JsonNode, { kind: 'object' }>,
  missing: string[],
  value: string,
): Splice[] {
  const [head, ...rest] = missing as [string, ...string[]];
  const outer = lineIndent(src, obj.start);
  const first = obj.entries[0];
  const last = obj.entries.at(-1);
  if (first === undefined || last === undefined) {
    const indent = `${outer}  `;
    return [
      {
        start: obj.start + 1,
        end: obj.end - 1,
        text: `\n${indent}${JSON.stringify(head)}: ${jsonNested(rest, value, indent)}\n${outer}`,
      },
    ];
  }
  if (!src.slice(obj.start, obj.end).includes('\n'))
    return [
      { start: last.value.end, end: last.value.end, text: `, ${JSON.stringify(head)}: ${jsonInline(rest, value)}` },
    ];
  const indent = firstOnLine(src, first.keyStart) ? lineIndent(src, first.keyStart) : `${outer}  `;
  return [
    {
      start: last.value.end,
      end: last.value.end,
      text: `,\n${indent}${JSON.stringify(head)}: ${jsonNested(rest, value, indent)}`,
    },
  ];
}

/**
 * Where `attributePath` of `address` would be added, when at most its last `create` segments are
 * missing. Refuses like the locator (NOT_FOUND, AMBIGUOUS, NOT_LITERAL…) otherwise.
 */
export function locateInsert(
  cfg: ConfigFiles,
  address: string,
  attributePath: string[],
  create: number,
  value: HclValue,
): Insertion | Fail {
  const addr = parseAddress(address);
  if (!addr.ok) return addr;
  const where = `${addr.type}.${addr.name}`;
  const display = `${where}.${attributePath.join('.')}`;
  const hits: Array<Insertion | Fail> = [];
  for (const file of Object.keys(cfg.files)
    .filter((f) => f.endsWith('.tf'))
    .sort()) {
    const src = cfg.files[file] ?? '';
    const rendered = renderHcl(value);
    if (rendered === undefined)
      return refuse('INVALID_REQUEST', `value ${String(value)} cannot be written as a literal`);
    const r = cfg.parser.withTree(src, (root): Array<Insertion | Fail> | 'error' => {
      if (root.hasError) return 'error';
      return findBlocks(root, 'resource', [addr.type, addr.name]).map((block) => {
        const w = insertInBlock(
          src,
          block,
          attributePath,
          ['resource', addr.type, addr.name, 0],
          where,
          create,
          rendered,
        );
        return w.ok ? { file, format: 'hcl' as const, splices: w.splices, verifyPath: w.verifyPath, display } : w;
      });
    });
    if (r === 'error') return refuse('PARSE_ERROR', `${file} has an HCL syntax error`);
    hits.push(...r);
  }
  const json = findJsonResources(cfg.files, addr.type, addr.name);
  if (!Array.isArray(json)) return json;
  for (const res of json) {
    const rendered = renderJson(value);
    if (rendered === undefined) return refuse('INVALID_REQUEST', `value ${String(value)} cannot be written as JSON`);
    const w = walkJson(res.node, attributePath, res.path, where);
    if (w.ok === 'missing') {
      if (w.missing.length > create) {
        hits.push(
          refuse(
            'NOT_FOUND',
            `${where}.${attributePath.slice(0, attributePath.length - w.missing.length + 1).join('.')} is not set`,
          ),
        );
      } else {
        const src = cfg.files[res.file] ?? '';
        hits.push({
          file: res.file,
          format: 'json',
          splices: insertJson(src, w.container, w.missing, rendered),
          verifyPath: [...w.verifyPath, ...w.missing],
          display,
        });
      }
    } else if (w.ok === true) hits.push(refuse('INVALID_REQUEST', `${display} is already set`));
    else hits.push(w);
  }
  if (hits.length === 0) return refuse('NOT_FOUND', `no resource "${addr.type}" "${addr.name}" block`);
  if (hits.length > 1)
    return refuse('AMBIGUOUS', `resource "${addr.type}" "${addr.name}" is declared ${hits.length} times`);
  return hits[0] as Insertion | Fail;
}

/** Applies splices (non-overlapping) to a text. */
export function applySplices(src: string, splices: readonly Splice[]): string {
  let out = src;
  for (const s of [...splices].sort((a, b) => b.start - a.start))
    out = out.slice(0, s.start) + s.text + out.slice(s.end);
  return out;
}
