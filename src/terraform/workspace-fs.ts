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
 * and, for the local backend, the current state (and the workspaces' states) so the plan's prior
 * state matches the run dir's.
 *
 * Local module sources outside the run dir (`source = "../modules/pool"`) must still resolve from
 * the copy: the copy then mirrors the layout around the run dir. `stagingDir` becomes the mirror's
 * root, the run dir's copy sits at the same relative place below it (`<root>/prod`) and each outside
 * module's files at theirs (`<root>/modules/pool`), so `../modules/pool` from the copy reaches the
 * copied module and a FileSet key `../modules/pool/main.tf` written relative to the copy stays inside
 * the mirror. Returns the directory Terraform runs in (`stagingDir` itself when no module is outside).
 */
export function createStaging(runDir: string, stagingDir: string): string {
  rmSync(stagingDir, { recursive: true, force: true });
  mkdirSync(stagingDir, { recursive: true });
  const outside = outsideModuleDirs(runDir);
  const anchor = commonAncestor([runDir, ...outside]);
  const workDir = path.join(stagingDir, path.relative(anchor, runDir));
  if (workDir !== stagingDir)
    writeFileSync(path.join(stagingDir, STAGING_ROOT_MARKER), path.relative(stagingDir, workDir));
  for (const dir of outside) copyConfigFiles(dir, path.join(stagingDir, path.relative(anchor, dir)));
  copyConfigFiles(runDir, workDir);
  const dotTerraform = path.join(runDir, '.terraform');
  if (existsSync(dotTerraform))
    cpSync(dotTerraform, path.join(workDir, '.terraform'), { recursive: true, verbatimSymlinks: true });
  const state = path.join(runDir, 'terraform.tfstate');
  if (existsSync(state)) cpSync(state, path.join(workDir, 'terraform.tfstate'));
  const workspaces = path.join(runDir, 'terraform.tfstate.d');
  if (existsSync(workspaces)) cpSync(workspaces, path.join(workDir, 'terraform.tfstate.d'), { recursive: true });
  return workDir;
}

/** The workspace `terraform workspace select` chose for `dir` (`.terraform/environment`), `default` without one. */
export function selectedWorkspace(dir: string): string {
  const file = path.join(dir, '.terraform', 'environment');
  return fileExists(file) ? readFileSync(file, 'utf8').trim() || 'default' : 'default';
}

/** Written at the root of a mirrored staging copy; holds the work dir's path relative to it. */
const STAGING_ROOT_MARKER = '.infraai-staging-root';

/** Removes a staging copy made by createStaging, given the dir it returned (the whole mirror when there is one). */
export function removeStaging(workDir: string | null | undefined): void {
  if (!workDir) return;
  let dir = path.dirname(workDir);
  for (let i = 0; i < 32 && dir !== path.dirname(dir); i++, dir = path.dirname(dir)) {
    const marker = path.join(dir, STAGING_ROOT_MARKER);
    if (fileExists(marker) && readFileSync(marker, 'utf8') === path.relative(dir, workDir)) {
      rmSync(dir, { recursive: true, force: true });
      return;
    }
  }
  rmSync(workDir, { recursive: true, force: true });
}

const LOCAL_SOURCE = /\bsource\s*=\s*"(\.\.?\/[^"]*)"/g;

/**
 * Directories of local modules (`./x`, `../x`, also called from other local modules) that lie
 * outside `runDir`, absolute and sorted. Read from the configuration text, and from
 * `.terraform/modules/modules.json` when `terraform init` wrote one.
 */
export function outsideModuleDirs(runDir: string): string[] {
  return localModuleDirs(runDir).filter((d) => !isInside(runDir, d));
}

/** Every local module directory `runDir`'s configuration reaches (inside or outside it), absolute, sorted. */
export function localModuleDirs(runDir: string): string[] {
  const root = path.resolve(runDir);
  const found = new Set<string>();
  const queue = [root];
  const visit = (dir: string) => {
    if (dir === root || found.has(dir) || !existsSync(dir)) return;
    found.add(dir);
    queue.push(dir);
  };
  for (const d of manifestDirs(root)) visit(d);
  while (queue.length > 0) {
    const dir = queue.shift() as string;
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => n.endsWith('.tf'));
    } catch {
      continue;
    }
    for (const n of names) {
      const text = readFileSync(path.join(dir, n), 'utf8');
      for (const m of text.matchAll(LOCAL_SOURCE)) visit(path.resolve(dir, (m[1] as string).split('//')[0] as string));
    }
  }
  return [...found].sort();
}

/** Local module dirs recorded by `terraform init` (`Dir` not under `.terraform/modules`). */
function manifestDirs(root: string): string[] {
  const file = path.join(root, '.terraform', 'modules', 'modules.json');
  if (!existsSync(file)) return [];
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { Modules?: Array<{ Key?: unknown; Dir?: unknown }> };
    return (parsed.Modules ?? [])
      .filter((m) => typeof m.Dir === 'string' && m.Key !== '')
      .map((m) => path.resolve(root, m.Dir as string))
      .filter((d) => !isInside(path.join(root, '.terraform'), d));
  } catch {
    return [];
  }
}

function isInside(parent: string, child: string): boolean {
  const rel = path.relative(path.resolve(parent), path.resolve(child));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function commonAncestor(dirs: readonly string[]): string {
  let anchor = path.resolve(dirs[0] as string);
  for (const d of dirs) while (!isInside(anchor, d)) anchor = path.dirname(anchor);
  return anchor;
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
