/**
 * Apply: the exact saved plan the approver saw, in the run dir, with a backup first; on failure
 * restore the files byte-for-byte and re-apply the original configuration to converge back.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../shared/errors.js';
import { resolveRunDir } from '../registry/run-id.js';
import { describeFailure, type TerraformResult } from '../terraform/terraform-runner.js';
import type { ActionRecord } from '../actions/action-store.js';
import type { ExecutorDeps } from './executor-deps.js';
import { planFileOf } from '../terraform/workspace-fs.js';
import { isStalePlan } from '../terraform/steps.js';
import { planSecrets } from '../plan/redact.js';
import { keepOutput, type StepOutput } from '../terraform/output.js';
import { readDeploymentSettings } from '../registry/deployment-settings.js';
import { copyConfigFiles, fileExists, removeDir, removeStaging, sha256File } from '../terraform/workspace-fs.js';
import { describeSourceDiff, sourcesChangedSince, type SourceChange } from './source-files.js';
import { writeEditedFiles } from './write-edit.js';
import { isoAt } from '../shared/clock.js';

export type ApplyEnd = 'applied' | 'rolled_back' | 'rollback_failed' | 'stale' | 'interrupted' | 'skipped';

export class Applier {
  constructor(
    private readonly d: ExecutorDeps,
    /** True once the service is stopping: a failure then is an interruption, not a reason to roll back. */
    private readonly stopping: () => boolean,
  ) {}

  /**
   * Applies one approved action under its deployment's lock. Never throws. When the deployment's
   * files changed since the plan was made, nothing is applied: the action goes `stale` (the
   * approval was for a plan of other files) and the caller prepares it again.
   */
  async run(actionId: string): Promise<ApplyEnd> {
    const action = this.d.store.get(actionId);
    if (!action) return 'skipped';
    return this.d.locks.withDeploymentLock(action.runId, async () => {
      const approved = this.d.store.get(actionId);
      if (approved?.status !== 'approved') return 'skipped';
      if (this.staleSources(approved)) return 'stale';
      if (!this.d.store.transition(actionId, ['approved'], 'applying', null)) return 'skipped';
      const a = this.d.store.get(actionId) as ActionRecord;
      try {
        return await this.locked(a);
      } catch (err) {
        this.d.logger.error(
          { actionId, runId: a.runId, err: { message: errorMessage(err) } },
          'apply crashed; action marked interrupted',
        );
        this.d.store.transition(actionId, ['applying'], 'interrupted', `apply crashed: ${errorMessage(err)}`);
        return 'interrupted';
      }
    });
  }

  /** A person changed the deployment since the plan: record which files, go stale, drop the old plan. */
  private staleSources(a: ActionRecord): boolean {
    if (a.sources === null) return false;
    const diff = sourcesChangedSince(resolveRunDir(this.d.settings.runsDir, a.runId), a.sources);
    if (diff === undefined) return false;
    const what = describeSourceDiff(diff);
    const change: SourceChange = { phase: 'apply', ...diff, at: isoAt(this.d.clock) };
    const reason = `the deployment's files changed after the plan was made (${what}); not applied, the approval of that plan is void: preparing again from the current files`;
    if (
      !this.d.store.transition(a.id, ['approved'], 'stale', reason, {
        sourceChanges: [...a.sourceChanges, change],
        stagingDir: null,
        planSha256: null,
      })
    )
      return false;
    removeStaging(a.stagingDir);
    this.d.planSecrets.delete(a.id);
    this.d.logger.warn(
      { actionId: a.id, runId: a.runId, ...diff },
      'deployment files changed since the plan; re-preparing instead of applying',
    );
    return true;
  }

  private async locked(a: ActionRecord): Promise<ApplyEnd> {
    const runDir = resolveRunDir(this.d.settings.runsDir, a.runId);
    const staging = a.stagingDir as string;
    const planFile = planFileOf(staging, a.id);
    if (!fileExists(planFile) || sha256File(planFile) !== a.planSha256) {
      this.d.logger.error(
        { actionId: a.id },
        'saved plan missing or its hash differs from the approved one; not applied',
      );
      this.d.store.transition(
        a.id,
        ['applying'],
        'stale',
        'the saved plan file is missing or differs from the approved plan; re-planning',
      );
      return 'stale';
    }
    const backupDir = path.join(staging, 'backup');
    const outputs: StepOutput[] = [...(a.tfOutput as StepOutput[])];
    const secrets = await this.secretsOf(a, staging, planFile);
    this.backup(runDir, backupDir);
    const r = await this.d.steps.applyPlan(runDir, planFile);
    outputs.push(keepOutput('apply', r, secrets));
    if (r.exitCode === 0) return this.succeed(a, runDir, staging, outputs);
    if (isStalePlan(r)) {
      this.d.store.transition(
        a.id,
        ['applying'],
        'stale',
        'the saved plan is stale (state changed since it was made); re-planning',
        { tfOutput: outputs },
      );
      return 'stale';
    }
    if (this.stopping()) {
      this.d.logger.error(
        { actionId: a.id, runId: a.runId },
        'apply interrupted by shutdown; not rolled back automatically',
      );
      this.d.store.transition(a.id, ['applying'], 'interrupted', 'apply interrupted by shutdown', {
        tfOutput: outputs,
      });
      return 'interrupted';
    }
    return this.rollback(a, runDir, backupDir, r, outputs, secrets);
  }

  /**
   * Backs up the run's config files next to the state saved at prepare time (the state a
   * non-stale plan applies to).
   */
  private backup(runDir: string, backupDir: string): void {
    removeDir(path.join(backupDir, 'files'));
    mkdirSync(backupDir, { recursive: true });
    copyConfigFiles(runDir, path.join(backupDir, 'files'));
  }

  /** The plan's sensitive values, to scrub from apply output (from memory, else re-read from the plan). */
  private async secretsOf(a: ActionRecord, staging: string, planFile: string): Promise<Set<string>> {
    const known = this.d.planSecrets.get(a.id);
    if (known) return known;
    const shown = await this.d.steps.show(staging, planFile);
    return shown.ok ? planSecrets(shown.plan) : new Set();
  }

  private async succeed(a: ActionRecord, runDir: string, staging: string, outputs: StepOutput[]): Promise<ApplyEnd> {
    const files = a.files ?? { changed: [], deleted: [] };
    const written = await writeEditedFiles(a, runDir, staging, this.d.hcl);
    if (written.conflicts.length > 0) {
      this.d.logger.error(
        { actionId: a.id, runId: a.runId, conflicts: written.conflicts },
        'files changed by someone during the apply were left as they are; the configuration may not match the state',
      );
    }
    await this.resync(a.runId);
    const latest = this.d.store.latestRevision(a.runId);
    const revision = this.d.revisions.record(a.runId, runDir, {
      parentId: latest?.id ?? a.baseRevisionId,
      actionId: a.id,
      planSha256: a.planSha256,
      stateSerial: this.d.registrySync?.serialOf?.(a.runId) ?? (await this.stateSerial(runDir)),
    });
    const result = {
      success: true,
      new_run_id: revision.id,
      changes_applied: changesApplied(a, files),
      files_written: written,
    };
    const note =
      written.conflicts.length === 0
        ? null
        : `applied, but ${written.conflicts.join(', ')} changed during the apply and could not take the change: left as written by whoever changed it; the configuration no longer matches the state, reconcile by hand`;
    this.d.store.transition(a.id, ['applying'], 'applied', note, {
      revisionId: revision.id,
      result,
      tfOutput: outputs,
      stagingDir: null,
    });
    removeStaging(staging);
    this.d.planSecrets.delete(a.id);
    return 'applied';
  }

  private async stateSerial(runDir: string): Promise<number | null> {
    const r = await this.d.steps.statePull(runDir);
    try {
      const serial = (JSON.parse(r.stdout) as { serial?: unknown }).serial;
      return typeof serial === 'number' ? serial : null;
    } catch {
      return null;
    }
  }

  private async resync(runId: string): Promise<void> {
    if (!this.d.registrySync) return;
    try {
      await this.d.registrySync.syncOne(runId);
    } catch (err) {
      this.d.logger.warn({ runId, err: { message: errorMessage(err) } }, 'registry re-sync after apply failed');
    }
  }

  private async rollback(
    a: ActionRecord,
    runDir: string,
    backupDir: string,
    failed: TerraformResult,
    outputs: StepOutput[],
    secrets: Set<string>,
  ): Promise<ApplyEnd> {
    const reason = describeFailure(`applying action ${a.id} to "${a.runId}"`, failed);
    const failure = { success: false, new_run_id: null, changes_applied: {} };
    this.d.store.transition(a.id, ['applying'], 'failed', reason, { tfOutput: outputs, result: failure });
    // Nothing was written to the run dir before a successful apply, so its files are the ones the
    // plan was made from — unless a person changed them meanwhile: never re-apply a change nobody planned.
    const moved = a.sources === null ? undefined : sourcesChangedSince(runDir, a.sources);
    if (moved !== undefined) {
      const why = `not re-applying the configuration: the deployment's files changed during the apply (${describeSourceDiff(moved)}); check the deployment`;
      this.d.logger.error(
        { actionId: a.id, runId: a.runId, reason: why, backupDir },
        'ROLLBACK FAILED: deployment needs a human now',
      );
      this.d.store.transition(a.id, ['failed'], 'rollback_failed', why, {
        rollback: { reason, restoredFiles: [], backupDir, applyOutput: outputs.at(-1) },
        tfOutput: outputs,
      });
      return 'rollback_failed';
    }
    const restoredFiles: string[] = [];
    const settings = readDeploymentSettings(runDir);
    const re = await this.d.steps.applyConfig(runDir, undefined, settings.ok ? settings.settings.var_files : []);
    const reapply = keepOutput('rollback apply', re, secrets);
    const details = { reason, restoredFiles, backupDir, applyOutput: outputs.at(-1), reapplyOutput: reapply };
    outputs.push(reapply);
    if (re.exitCode === 0) {
      this.d.store.transition(
        a.id,
        ['failed'],
        'rolled_back',
        "the original configuration re-applied (the deployment's files were never changed)",
        { rollback: details, tfOutput: outputs, stagingDir: null },
      );
      removeStaging(path.dirname(backupDir));
      await this.resync(a.runId);
      return 'rolled_back';
    }
    const why = describeFailure('re-applying the original configuration', re);
    this.d.logger.error(
      { actionId: a.id, runId: a.runId, reason: why, backupDir },
      'ROLLBACK FAILED: deployment needs a human now',
    );
    this.d.store.transition(a.id, ['failed'], 'rollback_failed', why, { rollback: details, tfOutput: outputs });
    return 'rollback_failed';
  }
}

function changesApplied(a: ActionRecord, files: { changed: string[]; deleted: string[] }): Record<string, unknown> {
  const changes = (a.changes ?? {}) as { edit?: unknown; edits?: unknown; replace?: unknown; kind?: unknown };
  return {
    action_type: a.actionType,
    target: a.targetAddress,
    edit: changes.edit ?? null,
    edits: Array.isArray(changes.edits) ? changes.edits : changes.edit ? [changes.edit] : [],
    replace: changes.replace ?? [],
    files_changed: files.changed,
    files_deleted: files.deleted,
    plan: a.planSummary,
  };
}
