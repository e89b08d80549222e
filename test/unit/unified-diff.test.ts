import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../src/plan/unified-diff.js';

/** Applies a unified diff produced by unifiedDiff (test-only, strict about context lines). */
function applyPatch(before: string, patch: string): string {
  if (patch === '') return before;
  const src = before === '' ? [] : before.replace(/\n$/, '').split('\n');
  const out: string[] = [];
  let pos = 0;
  const lines = patch.replace(/\n$/, '').split('\n').slice(2);
  let noEol = false;
  for (const line of lines) {
    const h = /^@@ -(\d+),(\d+) \+\d+,\d+ @@$/.exec(line);
    if (h !== null) {
      const start = Number(h[2]) === 0 ? Number(h[1]) : Number(h[1]) - 1;
      while (pos < start) out.push(src[pos++] ?? '');
      continue;
    }
    if (line === '\\ No newline at end of file') {
      noEol = out.length > 0 && lines[lines.indexOf(line) - 1]?.startsWith('-') !== true;
      continue;
    }
    const text = line.slice(1);
    if (line[0] === ' ' || line[0] === '-') {
      if (src[pos] !== text)
        throw new Error(`context mismatch at ${pos}: ${JSON.stringify(src[pos])} vs ${JSON.stringify(text)}`);
      pos++;
      if (line[0] === ' ') out.push(text);
    } else out.push(text);
  }
  while (pos < src.length) out.push(src[pos++] ?? '');
  const joined = out.join('\n');
  return out.length === 0 ? '' : noEol ? joined : `${joined}\n`;
}

const dir = mkdtempSync(join(tmpdir(), 'udiff-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** GNU diff -u body (without its timestamped headers). */
function gnuDiff(before: string, after: string): string {
  writeFileSync(join(dir, 'a'), before);
  writeFileSync(join(dir, 'b'), after);
  try {
    execFileSync('diff', ['-u', join(dir, 'a'), join(dir, 'b')], { encoding: 'utf8' });
    return '';
  } catch (err) {
    return String((err as { stdout: string }).stdout)
      .split('\n')
      .slice(2)
      .join('\n');
  }
}

const lines = (n: number, f = (i: number) => `line ${i}`): string =>
  Array.from({ length: n }, (_, i) => `${f(i + 1)}\n`).join('');

describe('unifiedDiff', () => {
  it('is empty for equal texts', () => {
    expect(unifiedDiff('x.tf', 'a\n', 'a\n')).toBe('');
  });

  it('prints headers, one hunk and 3 lines of context', () => {
    const before = lines(10);
    const after = before.replace('line 5\n', 'line five\n');
    expect(unifiedDiff('main.tf', before, after)).toBe(
      '--- a/main.tf\n+++ b/main.tf\n@@ -2,7 +2,7 @@\n line 2\n line 3\n line 4\n-line 5\n+line five\n line 6\n line 7\n line 8\n',
    );
  });

  const cases: Array<[string, string, string]> = [
    ['two distant changes make two hunks', lines(30), lines(30).replace('line 3\n', 'x\n').replace('line 27\n', 'y\n')],
    ['near changes merge into one hunk', lines(20), lines(20).replace('line 5\n', 'x\n').replace('line 10\n', 'y\n')],
    [
      'insertions and deletions',
      lines(12),
      lines(12).replace('line 4\n', '').replace('line 9\n', 'line 9\nnew a\nnew b\n'),
    ],
    ['a change on the first line', lines(5), lines(5).replace('line 1\n', 'first\n')],
    ['a change on the last line', lines(5), lines(5).replace('line 5\n', 'last\n')],
    ['from empty', '', lines(3)],
    ['to empty', lines(3), ''],
    ['no newline at end (both)', 'a\nb\nc', 'a\nB\nc'],
    ['newline added at end', 'a\nb', 'a\nb\n'],
    ['unicode lines', 'größe ✓\n🚀 = 1\n', 'größe ✓\n🚀 = 2\n'],
  ];
  for (const [what, before, after] of cases) {
    it(`matches GNU diff -u and round-trips: ${what}`, () => {
      const d = unifiedDiff('f', before, after);
      expect(d.split('\n').slice(2).join('\n')).toBe(gnuDiff(before, after));
      expect(applyPatch(before, d)).toBe(after);
    });
  }

  it('round-trips random edits', () => {
    let seed = 42;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 200; round++) {
      const a = Array.from({ length: rnd(25) }, () => `l${rnd(6)}`);
      const b = [...a];
      for (let k = rnd(5); k > 0; k--) {
        const op = rnd(3);
        if (op === 0) b.splice(rnd(b.length + 1), 0, `n${rnd(6)}`);
        else if (op === 1 && b.length > 0) b.splice(rnd(b.length), 1);
        else if (b.length > 0) b[rnd(b.length)] = `c${rnd(6)}`;
      }
      const before = a.map((l) => `${l}\n`).join('');
      const after = b.map((l) => `${l}\n`).join('');
      expect(applyPatch(before, unifiedDiff('f', before, after))).toBe(after);
    }
  });
});
