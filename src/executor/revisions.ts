import path from 'node:path';
import { newId } from '../shared/ids.js';
import { isoAt, type Clock } from '../shared/clock.js';
import type { ActionStore, RevisionRow } from './action-store.js';
import { copyConfigFiles } from './workspace-fs.js';

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

  /** The revision before the latest one (what `rollback` restores), or undefined. */
  previous(runId: string): RevisionRow | undefined {
    const latest = this.store.latestRevision(runId);
    return latest?.parentId ? this.store.getRevision(latest.parentId) : undefined;
  }
}
