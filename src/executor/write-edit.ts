/**
 * Writing an applied edit into the run dir: only the files of the edit, and never over a change
 * InfraAI did not plan. The apply checked (under the deployment lock) that the run dir still held
 * the files the plan was made from, but a person can save a file while Terraform runs.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ActionRecord } from '../actions/action-store.js';
import type { HclEditor } from './ports.js';
import { fingerprint } from './source-files.js';
import { readConfigFiles, writeFilesAtomic } from '../terraform/workspace-fs.js';

/** What was written where; `conflicts` are files left exactly as a person wrote them during the apply. */
export interface WrittenFiles {
  written: string[];
  deleted: string[];
  /** Changed during the apply; the same one-value edit was made again on that version. */
  merged: string[];
  conflicts: string[];
}

interface OneValueEdit {
  address: string;
  attributePath: string[];
  value: number | string | boolean;
  /** The value the plan started from (absent for an added attribute). */
  from: unknown;
  create?: number;
}

/**
 * Each file of the edit that still holds the bytes the plan was made from is replaced by the
 * staged one (or deleted). A file changed meanwhile is not overwritten: for a one-value edit whose
 * value that person left as it was, the editor sets the value again in their version (only the
 * value's characters change); otherwise the file is left alone and named in `conflicts`. Actions prepared before fingerprints existed
 * (`sources` null) write as before.
 */
export async function writeEditedFiles(
  a: ActionRecord,
  runDir: string,
  staging: string,
  hcl: HclEditor,
): Promise<WrittenFiles> {
  const files = a.files ?? { changed: [], deleted: [] };
  const now = a.sources === null ? undefined : fingerprint(runDir);
  const untouched = (n: string) => now === undefined || now[n] === a.sources?.[n];
  const write: Record<string, Buffer> = {};
  const deleted: string[] = [];
  const moved: string[] = [];
  for (const n of files.changed) {
    if (untouched(n)) write[n] = readFileSync(path.join(staging, n));
    else moved.push(n);
  }
  for (const n of files.deleted) (untouched(n) ? deleted : moved).push(n);
  writeFilesAtomic(runDir, write, deleted);
  const again = moved.length === 0 ? { merged: [], conflicts: [] } : await editAgain(a, runDir, moved, hcl);
  return { written: Object.keys(write), deleted, ...again };
}

/** The action's value edits (every one of them), stored before several edits existed as one `edit`. */
function storedEdits(a: ActionRecord): OneValueEdit[] {
  const c = a.changes as { edit?: OneValueEdit | null; edits?: OneValueEdit[] } | null;
  if (Array.isArray(c?.edits) && c.edits.length > 0) return c.edits;
  return c?.edit ? [c.edit] : [];
}

/** The action's value edits made on the current run dir files, written for the moved files only. */
async function editAgain(
  a: ActionRecord,
  runDir: string,
  moved: string[],
  hcl: HclEditor,
): Promise<{ merged: string[]; conflicts: string[] }> {
  const edits = storedEdits(a);
  // A fix round may have changed more than the value: re-doing only the value would not be what was planned.
  const fixed = a.fixAttempts.some((f) => (f as { accepted?: unknown }).accepted === true);
  if (edits.length === 0 || fixed) return { merged: [], conflicts: moved };
  let current = readConfigFiles(runDir);
  const changed: Record<string, string> = {};
  for (const edit of edits) {
    // They changed the very value: theirs stands (it is not InfraAI's to overwrite).
    if ((await hcl.read(current, edit.address, edit.attributePath)) !== edit.from)
      return { merged: [], conflicts: moved };
    const r = await hcl.edit(current, edit);
    if (!r.ok || Object.keys(r.files).some((n) => !moved.includes(n))) return { merged: [], conflicts: moved };
    current = { ...current, ...r.files };
    Object.assign(changed, r.files);
  }
  writeFilesAtomic(runDir, changed);
  const merged = Object.keys(changed);
  return { merged, conflicts: moved.filter((n) => !merged.includes(n)) };
}
