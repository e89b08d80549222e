/**
 * What a plan was made from: content hashes of the deployment's configuration files (the files
 * the staging copy takes: `*.tf`, `*.tf.json`, `*.tfvars`, `*.tfvars.json`, `.terraform.lock.hcl`,
 * also inside local module directories; never the state or `.terraform/`). Comparing two
 * fingerprints tells whether someone changed the deployment since, and which files.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { listConfigFiles, readConfigFiles } from '../terraform/workspace-fs.js';

/** Relative path → sha256 of its bytes. */
export type SourceFingerprint = Record<string, string>;

/** The files that differ between two fingerprints. */
export interface SourceDiff {
  changed: string[];
  added: string[];
  deleted: string[];
}

/** One recorded change of the deployment's files under an action, and when it was noticed. */
export interface SourceChange extends SourceDiff {
  /** `prepare`: while the plan was being made; `apply`: between the plan and the apply. */
  phase: 'prepare' | 'apply';
  at: string;
}

/** Hashes the configuration files of `dir`. A file that vanishes while being read counts as absent. */
export function fingerprint(dir: string): SourceFingerprint {
  const out: SourceFingerprint = {};
  for (const name of listConfigFiles(dir)) {
    try {
      out[name] = createHash('sha256')
        .update(readFileSync(path.join(dir, name)))
        .digest('hex');
    } catch {
      // deleted between listing and reading: absent
    }
  }
  return out;
}

/** What changed from `before` to `after`; undefined when nothing did. Pure. */
export function compareSources(before: SourceFingerprint, after: SourceFingerprint): SourceDiff | undefined {
  const changed = Object.keys(before)
    .filter((n) => n in after && after[n] !== before[n])
    .sort();
  const deleted = Object.keys(before)
    .filter((n) => !(n in after))
    .sort();
  const added = Object.keys(after)
    .filter((n) => !(n in before))
    .sort();
  return changed.length + deleted.length + added.length === 0 ? undefined : { changed, added, deleted };
}

/** `main.tf changed, extra.tf added` — for reasons and logs. Pure. */
export function describeSourceDiff(d: SourceDiff): string {
  const parts = [
    ...d.changed.map((n) => `${n} changed`),
    ...d.added.map((n) => `${n} added`),
    ...d.deleted.map((n) => `${n} deleted`),
  ];
  return parts.length > 6 ? `${parts.slice(0, 6).join(', ')} and ${parts.length - 6} more` : parts.join(', ');
}

/** The run dir's current files compared with what the plan was made from. */
export function sourcesChangedSince(runDir: string, made: SourceFingerprint): SourceDiff | undefined {
  return compareSources(made, fingerprint(path.resolve(runDir)));
}

/**
 * The files an edit made: those of `dir` whose bytes differ from `sources` (changed or new) and
 * those of `sources` that `dir` no longer has. These, and only these, are written at apply.
 */
export function editedFiles(dir: string, sources: SourceFingerprint): { changed: string[]; deleted: string[] } {
  const d = compareSources(sources, fingerprint(dir));
  return d === undefined
    ? { changed: [], deleted: [] }
    : { changed: [...d.changed, ...d.added].sort(), deleted: d.deleted };
}

const LOCAL_SOURCE = /^\s*source\s*=\s*"(\.\.?\/[^"]*)"/gm;

/**
 * The files the HCL editor works on: the config files of `dir` (keyed by relative path, local
 * modules inside it included) plus those of local modules outside it (`source = "../modules/pool"`,
 * followed through nested calls), keyed relative to `dir` (`../modules/pool/main.tf`).
 */
export function readEditableFiles(dir: string): Record<string, string> {
  const files: Record<string, string> = readConfigFiles(dir);
  const seen = new Set<string>();
  const queue = Object.keys(files).filter((f) => f.endsWith('.tf'));
  while (queue.length > 0) {
    const file = queue.shift() as string;
    for (const m of (files[file] ?? '').matchAll(LOCAL_SOURCE)) {
      const rel = path.posix.normalize(path.posix.join(path.posix.dirname(file), m[1] ?? ''));
      if (!rel.startsWith('../') || seen.has(rel)) continue;
      seen.add(rel);
      const abs = path.join(dir, rel);
      if (!existsSync(abs)) continue;
      for (const name of listConfigFiles(abs)) {
        const key = `${rel}/${name}`;
        files[key] = readFileSync(path.join(abs, name), 'utf8');
        if (key.endsWith('.tf')) queue.push(key);
      }
    }
  }
  return files;
}
