import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { newId } from '../shared/ids.js';
import { isoAt, type Clock } from '../shared/clock.js';
import type { ActionStore, RevisionRow } from './action-store.js';
import { copyConfigFiles, differingFiles } from '../terraform/workspace-fs.js';
import { refuse, type Result } from '../shared/result.js';

/** What undoing one applied change writes into a copy of the run dir, or why it cannot. */
export type UndoFiles = Result<
  { revision: RevisionRow; write: Record<string, Buffer>; remove: string[] },
  'REVISION_NOT_FOUND' | 'CHANGED_SINCE'
>;

/** Revisions form a chain; this bounds a walk over a damaged (cyclic) one. */
const MAX_CHAIN = 100_000;

/**
 * Revisions: snapshots of the config files applied to a deployment, on disk under
 * <dataDir>/revisions/<id>/, linked parent → child. The first prepare of a deployment records
 * its files as they are as the base revision, so a later rollback has something to return to.
 */
export class Revisions {
  constructor(
    private readonly store: ActionStore,
    private readonly dataDir: string,
    private readonly clock: Clock,
  ) {}

  /** The deployment's latest revision, recording the run dir's current files as the base if none. Idempotent. */
  ensureBase(runId: string, runDir: string): RevisionRow {
    const latest = this.store.latestRevision(runId);
    if (latest) return latest;
    return this.record(runId, runDir, { parentId: null, actionId: null, planSha256: null, stateSerial: null });
  }

  /** Snapshots `sourceDir`'s config files as a new revision. */
  record(
    runId: string,
    sourceDir: string,
    meta: { parentId: string | null; actionId: string | null; planSha256: string | null; stateSerial: number | null },
  ): RevisionRow {
    const id = newId('rev', this.clock.now());
    const filesDir = path.join(this.dataDir, 'revisions', id);
    copyConfigFiles(sourceDir, filesDir);
    const row: RevisionRow = { id, runId, filesDir, createdAt: isoAt(this.clock), ...meta };
    this.store.insertRevision(row);
    return row;
  }

  /**
   * Undoes the change applied right after `pinnedId` (the undone action's base revision): the
   * files that change touched are restored from the pinned revision, every other file keeps its
   * current content, so a later, unrelated apply is not undone. Refuses when the pinned revision
   * is not in the deployment's history, nothing followed it, or a later apply changed one of the
   * same files again (restoring it would silently undo that apply too). When nothing followed it,
   * the revision is re-applied as it is (see reapply). Reads only.
   */
  undoAfter(runId: string, pinnedId: string, currentDir: string): UndoFiles {
    const pinned = this.store.getRevision(pinnedId);
    if (!pinned || pinned.runId !== runId)
      return refuse('REVISION_NOT_FOUND', `revision ${pinnedId} is not a revision of deployment "${runId}"`);
    let child: RevisionRow | undefined;
    let r = this.store.latestRevision(runId);
    for (let i = 0; r && r.id !== pinnedId && i < MAX_CHAIN; i++) {
      child = r;
      r = r.parentId ? this.store.getRevision(r.parentId) : undefined;
    }
    if (r?.id !== pinnedId)
      return refuse('REVISION_NOT_FOUND', `revision ${pinnedId} is not in the history of deployment "${runId}"`);
    if (!child) return reapply(pinned, currentDir);
    const touched = differingFiles(child.filesDir, pinned.filesDir);
    const write: Record<string, Buffer> = {};
    const remove: string[] = [];
    for (const name of [...touched.changed, ...touched.deleted]) {
      if (!sameBytes(path.join(child.filesDir, name), path.join(currentDir, name))) {
        return refuse(
          'CHANGED_SINCE',
          `${name} was changed again after revision ${child.id}; rolling back would undo that change too`,
        );
      }
      const original = path.join(pinned.filesDir, name);
      if (existsSync(original)) write[name] = readFileSync(original);
      else remove.push(name);
    }
    return { ok: true, revision: pinned, write, remove };
  }

  /** The revision before the latest one (what an unpinned `rollback` restores), or undefined. */
  previous(runId: string): RevisionRow | undefined {
    const latest = this.store.latestRevision(runId);
    return latest?.parentId ? this.store.getRevision(latest.parentId) : undefined;
  }
}

/**
 * Nothing was applied after `pinned` (the recovery of an apply that was interrupted mid-way): the
 * rollback re-applies it as it is, which needs the files to still be its own — otherwise someone
 * changed them since, and restoring the revision would undo that change.
 */
function reapply(pinned: RevisionRow, currentDir: string): UndoFiles {
  const since = differingFiles(currentDir, pinned.filesDir);
  const names = [...since.changed, ...since.deleted];
  if (names.length > 0)
    return refuse(
      'CHANGED_SINCE',
      `${names.join(', ')} changed since revision ${pinned.id}; re-applying it would undo that change`,
    );
  return { ok: true, revision: pinned, write: {}, remove: [] };
}

/** Both absent, or both present with the same bytes. */
function sameBytes(a: string, b: string): boolean {
  const inA = existsSync(a);
  if (inA !== existsSync(b)) return false;
  return !inA || readFileSync(a).equals(readFileSync(b));
}
