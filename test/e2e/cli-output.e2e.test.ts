/**
 * One-shot CLI commands (the built dist/src/cli.js): stdout carries only the command's output,
 * logs go to stderr, so `infraai resources | grep …` and scripts parsing stdout are not fed JSON
 * log lines. Needs `npm run build` first (npm test does it).
 */
import { execa } from 'execa';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tf } from '../helpers/executor-harness.js';
import { tempWorkspace } from '../helpers/service.js';

const CLI = path.join(new URL('../../', import.meta.url).pathname, 'dist', 'src', 'cli.js');

describe('CLI one-shot commands keep logs off stdout', () => {
  it('sync, resources and doctor: info logs on stderr, only command output on stdout', async () => {
    const ws = tempWorkspace('infraai-cli-');
    const dir = path.join(ws.runsDir, 'web');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'main.tf'), 'resource "terraform_data" "a" {\n  input = "x"\n}\n');
    expect((await tf(dir, ['apply', '-auto-approve', '-input=false', '-no-color'])).exitCode).toBe(0);
    const env = { DATABASE_PATH: ws.dbPath, RUNS_DIR: ws.runsDir, LOG_LEVEL: 'info' };
    const run = (...args: string[]) => execa('node', [CLI, ...args], { env, reject: false, timeout: 60_000 });

    const sync = await run('sync');
    expect(sync.exitCode, String(sync.stderr)).toBe(0);
    expect(String(sync.stdout).split('\n').filter(Boolean)).toEqual([expect.stringMatching(/^\S+\s+web\b/)]);
    // The info-level log is there (not silenced), on stderr.
    expect(String(sync.stderr)).toContain('"msg":"registry synced"');

    for (const args of [['resources'], ['doctor']]) {
      const r = await run(...args);
      expect(r.exitCode, `${args.join(' ')}: ${String(r.stderr)}`).toBe(0);
      const lines = String(r.stdout).split('\n').filter(Boolean);
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.filter((l) => l.startsWith('{'))).toEqual([]);
    }
  });
});
