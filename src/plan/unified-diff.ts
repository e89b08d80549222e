/**
 * A small line-based unified diff (as `diff -u` / `git diff` print it) for showing approvers and
 * the ledger exactly what an edit changed. Common prefix and suffix are trimmed first, so the
 * usual one-value edit costs nothing; the middle uses an LCS table, and falls back to "replace
 * the whole middle" when that table would be too large (correct, just less minimal).
 */

type Op = { kind: ' ' | '-' | '+'; text: string; oldNo: number; newNo: number };

const CONTEXT = 3;
const MAX_LCS_CELLS = 4_000_000;
const NO_EOL = '\u0000';

function splitLines(text: string): { lines: string[]; finalNewline: boolean } {
  if (text === '') return { lines: [], finalNewline: true };
  const finalNewline = text.endsWith('\n');
  const lines = (finalNewline ? text.slice(0, -1) : text).split('\n');
  // A last line without its newline must not compare equal to the same text with one.
  if (!finalNewline) lines[lines.length - 1] += NO_EOL;
  return { lines, finalNewline };
}

/** Edit script for the middle section using an LCS table (rows: old, columns: new). */
function lcsOps(a: string[], b: string[]): Array<{ kind: ' ' | '-' | '+'; i: number; j: number }> {
  const n = a.length;
  const m = b.length;
  if (n * m > MAX_LCS_CELLS) {
    return [
      ...a.map((_, i) => ({ kind: '-' as const, i, j: 0 })),
      ...b.map((_, j) => ({ kind: '+' as const, i: n, j })),
    ];
  }
  const w = m + 1;
  const table = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      table[i * w + j] =
        a[i] === b[j]
          ? (table[(i + 1) * w + j + 1] ?? 0) + 1
          : Math.max(table[(i + 1) * w + j] ?? 0, table[i * w + j + 1] ?? 0);
    }
  }
  const ops: Array<{ kind: ' ' | '-' | '+'; i: number; j: number }> = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) ops.push({ kind: ' ', i: i++, j: j++ });
    // Deletions before insertions on a tie, as diff -u prints a changed line.
    else if (i < n && (j === m || (table[(i + 1) * w + j] ?? 0) >= (table[i * w + j + 1] ?? 0)))
      ops.push({ kind: '-', i: i++, j });
    else ops.push({ kind: '+', i, j: j++ });
  }
  return ops;
}

function editScript(a: string[], b: string[]): Op[] {
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const ops: Op[] = [];
  for (let k = 0; k < pre; k++) ops.push({ kind: ' ', text: a[k] ?? '', oldNo: k + 1, newNo: k + 1 });
  for (const op of lcsOps(a.slice(pre, a.length - suf), b.slice(pre, b.length - suf))) {
    const text = op.kind === '+' ? b[pre + op.j] : a[pre + op.i];
    ops.push({ kind: op.kind, text: text ?? '', oldNo: pre + op.i + 1, newNo: pre + op.j + 1 });
  }
  for (let k = suf; k > 0; k--) {
    ops.push({ kind: ' ', text: a[a.length - k] ?? '', oldNo: a.length - k + 1, newNo: b.length - k + 1 });
  }
  return ops;
}

/** Index ranges [start, end) of ops to print: each change plus CONTEXT lines, merged. */
function hunkRanges(ops: Op[]): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  ops.forEach((op, idx) => {
    if (op.kind === ' ') return;
    const start = Math.max(0, idx - CONTEXT);
    const end = Math.min(ops.length, idx + CONTEXT + 1);
    const last = ranges[ranges.length - 1];
    if (last !== undefined && start <= last[1]) last[1] = Math.max(last[1], end);
    else ranges.push([start, end]);
  });
  return ranges;
}

function hunkHeader(slice: Op[]): string {
  const oldLines = slice.filter((o) => o.kind !== '+');
  const newLines = slice.filter((o) => o.kind !== '-');
  const first = slice[0];
  // An empty side starts at the line before the hunk (diff -u convention).
  const oldStart = oldLines[0]?.oldNo ?? (first === undefined ? 0 : first.oldNo - 1);
  const newStart = newLines[0]?.newNo ?? (first === undefined ? 0 : first.newNo - 1);
  return `@@ -${oldStart},${oldLines.length} +${newStart},${newLines.length} @@`;
}

/**
 * Unified diff of one file, with `--- a/<file>` / `+++ b/<file>` headers and 3 lines of context.
 * Returns '' when the texts are equal. Pure.
 */
export function unifiedDiff(file: string, before: string, after: string): string {
  if (before === after) return '';
  const a = splitLines(before);
  const b = splitLines(after);
  const ops = editScript(a.lines, b.lines);
  const out = [`--- a/${file}`, `+++ b/${file}`];
  for (const [start, end] of hunkRanges(ops)) {
    const slice = ops.slice(start, end);
    out.push(hunkHeader(slice));
    for (const op of slice) {
      out.push(`${op.kind}${op.text.replace(NO_EOL, '')}`);
      const lastOld = op.kind !== '+' && op.oldNo === a.lines.length && !a.finalNewline;
      const lastNew = op.kind !== '-' && op.newNo === b.lines.length && !b.finalNewline;
      if (lastOld || lastNew) out.push('\\ No newline at end of file');
    }
  }
  return `${out.join('\n')}\n`;
}
