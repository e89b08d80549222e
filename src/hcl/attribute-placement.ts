/**
 * Where a new `name = value` attribute goes in a block, the way `terraform fmt` and the Terraform
 * style guide lay a block out: after the last attribute that comes before the block's nested
 * blocks (attributes first, then blocks), indented like it, with its `=` aligned with the run of
 * single-line attributes it joins — fmt aligns the `=` of consecutive single-line attributes, so
 * a longer name re-pads that run's `=` (only spaces change on those lines). `terraform fmt -check`
 * passes on the result when it passed before.
 */
import type { HclNode } from './parser.js';
import { kids } from './parser.js';
import type { Splice } from './insert.js';

function lineStart(src: string, pos: number): number {
  return src.lastIndexOf('\n', pos - 1) + 1;
}

function lineEnd(src: string, pos: number): number {
  const n = src.indexOf('\n', pos);
  return n === -1 ? src.length : n;
}

function lineIndent(src: string, pos: number): string {
  return /^[ \t]*/.exec(src.slice(lineStart(src, pos)))?.[0] ?? '';
}

/** An attribute written on one line of its own: `name = value` (a trailing comment is allowed). */
interface OneLine {
  name: string;
  /** Offsets of the spaces between the name and `=`. */
  padStart: number;
  padEnd: number;
  line: number;
}

function oneLine(src: string, attr: HclNode): OneLine | undefined {
  const start = lineStart(src, attr.startIndex);
  if (src.slice(start, attr.startIndex).trim() !== '') return undefined;
  if (src.slice(attr.startIndex, attr.endIndex).includes('\n')) return undefined;
  const name = kids(attr)[0]?.text ?? '';
  const m = /^([ \t]*)=/.exec(src.slice(attr.startIndex + name.length));
  if (m === null || name === '') return undefined;
  const padStart = attr.startIndex + name.length;
  return { name, padStart, padEnd: padStart + (m[1] ?? '').length, line: lineNumber(src, attr.startIndex) };
}

function lineNumber(src: string, pos: number): number {
  let n = 0;
  for (let i = src.indexOf('\n'); i !== -1 && i < pos; i = src.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * Splices adding `name = value` to a multi-line block body whose items are `items`; undefined
 * when the block is not laid out over several lines (the caller then opens it up itself).
 */
export function placeAttribute(
  src: string,
  block: { start: number; open: number; close: number },
  items: readonly HclNode[],
  name: string,
  value: string,
): Splice[] | undefined {
  if (!src.slice(block.open, block.close).includes('\n')) return undefined;
  const firstBlock = items.findIndex((n) => n.type === 'block');
  const before = (firstBlock === -1 ? items : items.slice(0, firstBlock)).filter((n) => n.type === 'attribute');
  const last = before.at(-1);
  if (last === undefined) {
    // No attribute before the nested blocks: the new one opens the body, above its first item.
    const first = items[0];
    const indent = first === undefined ? `${lineIndent(src, block.start)}  ` : lineIndent(src, first.startIndex);
    const at = first === undefined ? lineStart(src, block.close) : lineStart(src, first.startIndex);
    if (first === undefined && src.slice(at, block.close).trim() !== '') return undefined;
    return [{ start: at, end: at, text: `${indent}${name} = ${value}\n` }];
  }
  const indent = lineIndent(src, last.startIndex);
  // The run of single-line attributes directly above (no blank line, comment or block between).
  const run: OneLine[] = [];
  const attrs = items.filter((n) => n.type === 'attribute');
  for (let i = attrs.indexOf(last), line = -1; i >= 0; i--) {
    const a = attrs[i] as HclNode;
    const one = oneLine(src, a);
    if (one === undefined) break;
    // Consecutive lines only: a blank line, a comment line or a block ends fmt's alignment run.
    if (line !== -1 && one.line !== line - 1) break;
    run.unshift(one);
    line = one.line;
  }
  const lastLine = lineNumber(src, last.startIndex);
  const joins = run.length > 0 && run.at(-1)?.line === lastLine;
  const group = joins ? run : [];
  const width = Math.max(name.length, ...group.map((g) => g.name.length));
  const splices: Splice[] = group
    .map((g) => ({ start: g.padStart, end: g.padEnd, text: ' '.repeat(width - g.name.length + 1) }))
    .filter((s) => src.slice(s.start, s.end) !== s.text);
  const at = lineEnd(src, last.endIndex);
  const pad = ' '.repeat((joins ? width : name.length) - name.length + 1);
  splices.push({ start: at, end: at, text: `\n${indent}${name}${pad}= ${value}` });
  return splices;
}
