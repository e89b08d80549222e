/**
 * What the registry reads from a deployment's configuration (not its state): each root-module
 * resource block's `lifecycle { ignore_changes }`. Read only when the files changed: a signature
 * of the root module's `*.tf` / `*.tf.json` (name, size, mtime in ns, inode) is compared first,
 * so a re-sync of an unchanged directory costs one `readdir` and a few `stat`s.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { readAllIgnoreChanges } from '../hcl/ignore-changes.js';
import { HclParser } from '../hcl/parser.js';
import type { ParsedInstance, ParsedState } from './state-parser.js';

export interface ConfigFacts {
  /** Changes whenever a root-module configuration file is added, removed or rewritten. */
  signature: string;
  /** `type.name` → ignored paths, for root-module managed blocks; a block absent here is unknown. */
  ignoredChanges: Readonly<Record<string, readonly string[]>>;
  /** Files that could not be read (their blocks stay unknown). */
  problems: readonly string[];
}

function configNames(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile() && (e.name.endsWith('.tf') || e.name.endsWith('.tf.json')))
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

/** Cheap: names and `stat`s only. Two calls give the same string while no file changed. */
export function configSignature(dir: string): string {
  const parts: string[] = [];
  for (const name of configNames(dir)) {
    try {
      const st = statSync(path.join(dir, name), { bigint: true });
      parts.push(`${name}:${st.size}:${st.mtimeNs}:${st.ino}`);
    } catch {
      parts.push(`${name}:?`);
    }
  }
  return fnv1a(parts.join('\n'));
}

/** 64-bit FNV-1a as 16 hex characters (a change detector, not a security hash). */
function fnv1a(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i));
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, '0');
}

/** Reads configuration facts, re-parsing a directory only when its signature moved. */
export class ConfigReader {
  private parser: Promise<HclParser> | undefined;
  private readonly cache = new Map<string, ConfigFacts>();

  /**
   * The directory's facts; `fresh` when the files were (re)read by this call. Never throws: a
   * file or grammar that cannot be read leaves blocks unknown and is named in `problems`.
   */
  async read(dir: string): Promise<{ facts: ConfigFacts; fresh: boolean }> {
    const signature = configSignature(dir);
    const cached = this.cache.get(dir);
    if (cached !== undefined && cached.signature === signature) return { facts: cached, fresh: false };
    const files: Record<string, string> = {};
    const problems: string[] = [];
    for (const name of configNames(dir)) {
      try {
        files[name] = readFileSync(path.join(dir, name), 'utf8');
      } catch (err) {
        problems.push(`${name}: ${(err as Error).message}`);
      }
    }
    let facts: ConfigFacts;
    try {
      this.parser ??= HclParser.create();
      const read = readAllIgnoreChanges(files, await this.parser);
      facts = { signature, ignoredChanges: read.blocks, problems: [...problems, ...read.problems] };
    } catch (err) {
      // Without the grammar nothing is known about ignore_changes; the state is still synced.
      this.parser = undefined;
      facts = { signature, ignoredChanges: {}, problems: [`HCL parser: ${(err as Error).message}`] };
    }
    this.cache.set(dir, facts);
    return { facts, fresh: true };
  }
}

/**
 * The state's instances with `ignoredChanges` of their block set (root-module managed ones);
 * module and data instances, and blocks the configuration did not show, stay without it. Pure.
 */
export function withIgnoredChanges(state: ParsedState, facts: ConfigFacts): ParsedState {
  const managed = state.managed.map((inst): ParsedInstance => {
    if (inst.modulePath !== '') return inst;
    const key = `${inst.type}.${inst.name}`;
    const paths = Object.hasOwn(facts.ignoredChanges, key) ? facts.ignoredChanges[key] : undefined;
    return paths === undefined ? inst : { ...inst, ignoredChanges: paths };
  });
  return { ...state, managed };
}
