import type { FileSet } from '../shared/file-set.js';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';

/**
 * File-system side of the executor: staging copies, backups, revision snapshots, atomic writes.
 * Config files are the top-level Terraform sources (and those of local module sub-directories);
 * `.terraform/` and state files are handled separately.
 */
const CONFIG_FILE = /(\.tf|\.tf\.json|\.tfvars|\.tfvars\.json)$|^\.terraform\.lock\.hcl$/;

export function isConfigFile(name: string): boolean {
  return CONFIG_FILE.test(path.basename(name));
}

/** Relative paths of the config files under `dir` (skipping hidden dirs), sorted. */
export function listConfigFiles(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const name = rel === '' ? entry.name : `${rel}/${entry.name}`;
    if (entry.isDirectory()) {
      if (!entry.name.startsWith('.')) out.push(...listConfigFiles(dir, name));
    } else if (entry.isFile() && isConfigFile(entry.name)) out.push(name);
  }
  return out.sort();
}

/** Text of the config files, keyed by relative path (what the HCL editor works on). */
export function readConfigFiles(dir: string): FileSet {
  const files: FileSet = {};
  for (const name of listConfigFiles(dir)) files[name] = readFileSync(path.join(dir, name), 'utf8');
  return files;
}

/** Copies config files of `from` into `to` (created), byte for byte. */
export function copyConfigFiles(from: string, to: string): string[] {
  const names = listConfigFiles(from);
  for (const name of names) {
    mkdirSync(path.dirname(path.join(to, name)), { recursive: true });
    cpSync(path.join(from, name), path.join(to, name));
  }
  return names;
}

/**
 * A staging copy for planning: config files, `.terraform/` (backend settings, providers, modules)
 * and, for the local backend, the current state so the plan's prior state matches the run dir's.
 */
export function createStaging(runDir: string, stagingDir: string): void {
  rmSync(stagingDir, { recursive: true, force: true });
  mkdirSync(stagingDir, { recursive: true });
  copyConfigFiles(runDir, stagingDir);
  const dotTerraform = path.join(runDir, '.terraform');
  if (existsSync(dotTerraform))
    cpSync(dotTerraform, path.join(stagingDir, '.terraform'), { recursive: true, verbatimSymlinks: true });
  const state = path.join(runDir, 'terraform.tfstate');
  if (existsSync(state)) cpSync(state, path.join(stagingDir, 'terraform.tfstate'));
}

export function removeDir(dir: string | null | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

export function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Writes each file through a temp file + rename (never a half-written .tf), deletes `deleted`. */
export function writeFilesAtomic(
  dir: string,
  files: Record<string, string | Buffer>,
  deleted: readonly string[] = [],
): void {
  for (const [name, content] of Object.entries(files)) {
    const target = path.join(dir, name);
    mkdirSync(path.dirname(target), { recursive: true });
    const tmp = `${target}.infraai-tmp-${process.pid}`;
    writeFileSync(tmp, content);
    renameSync(tmp, target);
  }
  for (const name of deleted) rmSync(path.join(dir, name), { force: true });
}

/**
 * Makes the config files of `dir` byte-identical to those saved in `backup`: rewrites differing
 * ones, removes extra ones. Returns the names it had to touch.
 */
export function restoreConfigFiles(backup: string, dir: string): string[] {
  const saved = new Set(listConfigFiles(backup));
  const touched: string[] = [];
  const rewrite: Record<string, Buffer> = {};
  for (const name of saved) {
    const want = readFileSync(path.join(backup, name));
    const target = path.join(dir, name);
    if (!existsSync(target) || !readFileSync(target).equals(want)) {
      rewrite[name] = want;
      touched.push(name);
    }
  }
  const extra = listConfigFiles(dir).filter((n) => !saved.has(n));
  writeFilesAtomic(dir, rewrite, extra);
  return [...touched, ...extra];
}

/** Names whose bytes differ between two file sets on disk (added, removed or changed). */
export function differingFiles(a: string, b: string): { changed: string[]; deleted: string[] } {
  const inA = listConfigFiles(a);
  const inB = new Set(listConfigFiles(b));
  const changed = inA.filter(
    (n) => !inB.has(n) || !readFileSync(path.join(a, n)).equals(readFileSync(path.join(b, n))),
  );
  const deleted = [...inB].filter((n) => !inA.includes(n));
  return { changed, deleted };
}

export function fileExists(file: string): boolean {
  return existsSync(file) && statSync(file).isFile();
}

export function removeFile(file: string): void {
  if (existsSync(file)) unlinkSync(file);
}

/** Where an action's saved plan lives in its staging dir. */
export function planFileOf(stagingDir: string, actionId: string): string {
  return path.join(stagingDir, `${actionId}.tfplan`);
}
