/**
 * The planned change made in a staging copy: the value edits (one or several), or a rollback's files. Never
 * touches the run dir.
 */
import type { EditPlan } from './edit-plan.js';
import type { ExecutorDeps } from './executor-deps.js';
import type { Work } from './prepare.js';
import type { ValueChain } from '../hcl/edit.js';
import { refuse, type Refusal } from '../shared/result.js';
import { copyConfigFiles, listConfigFiles, writeFilesAtomic } from '../terraform/workspace-fs.js';
import { readEditableFiles } from './source-files.js';

type Step = { ok: true } | Refusal<'EDIT_REFUSED' | 'ROLLBACK_REFUSED'>;

/** Applies the planned change to the staging copy's files; records the edited names on `w`. */
export async function stageChange(d: ExecutorDeps, w: Work, plan: EditPlan): Promise<Step> {
  if (plan.kind === 'edit') {
    // Every edit is made on the files the previous one left: all of them or none reach the staging copy.
    let files = readEditableFiles(w.staging);
    const changed: Record<string, string> = {};
    const chains: Array<ValueChain | undefined> = [];
    for (const edit of plan.edits) {
      // The deployment's declared var files (infraai.yaml) let the tracer reach values set there.
      const sharedValues = d.policy.sharedValues?.() ?? 'refuse';
      const edited = await d.hcl.edit(files, {
        ...edit,
        ...(w.varFiles !== undefined && { varFiles: w.varFiles }),
        ...(sharedValues === 'allow' && { sharedValues }),
      });
      if (!edited.ok)
        return refuse('EDIT_REFUSED', `editing ${edit.address} ${edit.attributePath.join('.')}: ${edited.message}`);
      files = { ...files, ...edited.files };
      Object.assign(changed, edited.files);
      chains.push(edited.chain);
    }
    writeFilesAtomic(w.staging, changed);
    w.edited = Object.keys(changed);
    w.chains = chains;
    return { ok: true };
  }
  if (plan.kind === 'rollback') return rollbackFiles(d, w);
  return { ok: true };
}

/**
 * A rollback pinned to a revision (verification pins the ineffective action's base) undoes
 * exactly the change that followed it; an unpinned one restores the revision before the latest.
 */
function rollbackFiles(d: ExecutorDeps, w: Work): Step {
  const pinned = d.decisions.get(w.action.decisionId)?.rollbackRevisionId ?? null;
  if (pinned !== null) {
    const undo = d.revisions.undoAfter(w.action.runId, pinned, w.staging);
    if (!undo.ok) return refuse('ROLLBACK_REFUSED', `rolling back to revision ${pinned}: ${undo.message}`);
    writeFilesAtomic(w.staging, undo.write, undo.remove);
    w.edited = Object.keys(undo.write);
    return { ok: true };
  }
  const previous = d.revisions.previous(w.action.runId);
  if (!previous)
    return refuse('ROLLBACK_REFUSED', `deployment "${w.action.runId}" has no previous revision to roll back to`);
  writeFilesAtomic(w.staging, {}, listConfigFiles(w.staging));
  copyConfigFiles(previous.filesDir, w.staging);
  w.edited = listConfigFiles(w.staging);
  return { ok: true };
}
