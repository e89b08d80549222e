/**
 * The real-world fixture set (test/fixtures/real-world/<case>/ + expected.json): loading a case as
 * a deployment, a git copy of a run dir, the word diff of an edit and the attributes a real
 * `terraform plan` changes.
 */
import { execa } from 'execa';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { tf } from './executor-harness.js';

export const FIXTURES = path.resolve('test/fixtures/real-world');

export interface Expected {
  /** Policy keys over the test policy (`shared_values`); cases with the same policy share one service. */
  policy?: Record<string, unknown>;
  address: string;
  parameters: Record<string, number>;
  /** Local modules outside the run dir, keyed relative to it (`../modules/x/main.tf`). */
  modules?: string[];
  var_files?: string[];
  /** A directory under FIXTURES published as a git repository at `__REMOTE_REPO__`, tag v1.0.0. */
  remote_module?: string;
  edits?: Array<{ file: string; line: number; old: string; new: string }>;
  planned?: { update?: Record<string, string[]>; create?: string[] };
  /** Blocks the edited literal is shared with (`shared_values: allow`), shown in the chain. */
  shared_with?: string[];
  /** An editor code (`AMBIGUOUS`, shown as `(AMBIGUOUS)`) or `PLAN_GATE` (the plan gate refused). */
  refusal?: string;
  reason_includes?: string;
}

export function caseNames(): string[] {
  return readdirSync(FIXTURES)
    .filter((n) => existsSync(path.join(FIXTURES, n, 'expected.json')))
    .sort();
}

export function expectedOf(name: string): Expected {
  return JSON.parse(readFileSync(path.join(FIXTURES, name, 'expected.json'), 'utf8')) as Expected;
}

function filesUnder(dir: string, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of readdirSync(dir).sort()) {
    const full = path.join(dir, n);
    if (statSync(full).isDirectory()) Object.assign(out, filesUnder(full, `${prefix}${n}/`));
    else if (n !== 'expected.json') out[`${prefix}${n}`] = readFileSync(full, 'utf8');
  }
  return out;
}

/** A git repository (tag v1.0.0) holding a fixture directory: a remote module source on disk. */
export async function publishGitModule(dirUnderFixtures: string): Promise<string> {
  const repo = mkdtempSync(path.join(tmpdir(), 'infraai-remote-module-'));
  cpSync(path.join(FIXTURES, dirUnderFixtures), repo, { recursive: true });
  const git = (args: string[]) => execa('git', args, { cwd: repo });
  await git(['init', '-q']);
  await git(['add', '.']);
  await git(['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit', '-qm', 'module']);
  await git(['tag', 'v1.0.0']);
  return repo;
}

/** The case's files as a deployment for startWithDeployments (modules keyed `../modules/…`). */
export async function deploymentOf(name: string): Promise<Record<string, string>> {
  const e = expectedOf(name);
  const files = filesUnder(path.join(FIXTURES, name));
  for (const m of e.modules ?? []) files[m] = readFileSync(path.join(FIXTURES, m.slice(3)), 'utf8');
  if (e.remote_module !== undefined) {
    const repo = await publishGitModule(e.remote_module);
    for (const [n, t] of Object.entries(files)) files[n] = t.replaceAll('__REMOTE_REPO__', repo);
  }
  return files;
}

const git = (cwd: string, args: string[]) =>
  execa('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], { cwd });

/** A copy of the whole runs dir (files, state, .terraform) with a git repo committed in `runId`. */
export async function gitCopy(runsDir: string, runId: string): Promise<string> {
  const copy = mkdtempSync(path.join(tmpdir(), 'infraai-rw-copy-'));
  cpSync(runsDir, copy, { recursive: true });
  const dir = path.join(copy, runId);
  await git(dir, ['init', '-q']);
  await git(dir, ['add', '-A', '.']);
  await git(dir, ['commit', '-qm', 'before']);
  return dir;
}

/** What `git diff --word-diff=porcelain` says changed, one entry per changed word run. */
export async function wordDiff(dir: string): Promise<Array<{ file: string; line: number; old: string; new: string }>> {
  const r = await git(dir, ['diff', '--word-diff=porcelain', '--word-diff-regex=[A-Za-z0-9_.]+|[^[:space:]]', '-U0']);
  const out: Array<{ file: string; line: number; old: string; new: string }> = [];
  let file = '';
  let line = 0;
  for (const l of String(r.stdout).split('\n')) {
    if (l.startsWith('+++ ')) file = l.slice(6);
    else if (l.startsWith('--- ') || l.startsWith('diff ') || l.startsWith('index ')) continue;
    else if (l.startsWith('@@')) line = Number(/^@@ -(\d+)/.exec(l)?.[1] ?? 0);
    else if (l === '~') line += 1;
    else if (l.startsWith('-')) out.push({ file, line, old: l.slice(1), new: '' });
    else if (l.startsWith('+')) {
      const last = out.at(-1);
      if (last !== undefined && last.line === line && last.file === file && last.new === '') last.new = l.slice(1);
      else out.push({ file, line, old: '', new: l.slice(1) });
    }
  }
  return out;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function leaves(v: Json | undefined, at: string, out: Map<string, string>): void {
  if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) leaves(x, at === '' ? k : `${at}.${k}`, out);
  } else out.set(at, JSON.stringify(v));
}

/** A real `terraform plan` of `dir`: instances created, and per updated instance the changed leaves (known after apply ignored). */
export async function plannedChanges(
  dir: string,
  varFiles: string[] = [],
): Promise<{ update: Record<string, string[]>; create: string[]; other: string[] }> {
  const args = ['plan', '-input=false', '-no-color', '-out=rw.tfplan', ...varFiles.map((f) => `-var-file=${f}`)];
  const p = await tf(dir, args);
  if (p.exitCode !== 0) throw new Error(`plan in ${dir}: ${p.stderr}`);
  const plan = JSON.parse((await tf(dir, ['show', '-json', 'rw.tfplan'])).stdout) as {
    resource_changes?: Array<{
      address: string;
      change: { actions: string[]; before: Json; after: Json; after_unknown: Json };
    }>;
  };
  const out = { update: {} as Record<string, string[]>, create: [] as string[], other: [] as string[] };
  for (const rc of plan.resource_changes ?? []) {
    const a = rc.change.actions.join();
    if (a === 'no-op') continue;
    if (a === 'create') out.create.push(rc.address);
    else if (a !== 'update') out.other.push(`${rc.address} ${a}`);
    else {
      const [before, after, unknown] = [
        new Map<string, string>(),
        new Map<string, string>(),
        new Map<string, string>(),
      ];
      leaves(rc.change.before, '', before);
      leaves(rc.change.after, '', after);
      leaves(rc.change.after_unknown, '', unknown);
      const keys = new Set([...before.keys(), ...after.keys()]);
      out.update[rc.address] = [...keys]
        .filter((k) => unknown.get(k) !== 'true' && before.get(k) !== after.get(k))
        .filter((k) => ![...unknown].some(([u, t]) => t === 'true' && k.startsWith(`${u}.`)))
        .sort();
    }
  }
  return out;
}
