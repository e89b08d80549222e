/**
 * POST /infra, second half: after the single-use approval, check the staged files and the saved
 * plan against the allow-list once more (a plan approved after a restart or an upgrade of the
 * guard must still pass today's rules), apply the saved plan in the staging dir, then move the
 * whole dir (config, lock file, state) to RUNS_DIR/<run_id> with one rename, so the deployment
 * appears complete or not at all. Record the first revision, sync the registry. A failed apply
 * destroys what was partly created and leaves RUNS_DIR untouched.
 */
import { cpSync, existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../shared/errors.js';
import { describeFailure } from '../terraform/terraform-runner.js';
import type { ActionRecord } from '../actions/action-store.js';
import { keepOutput, type StepOutput } from '../terraform/output.js';
import { readConfigFiles, removeDir, sha256File } from '../terraform/workspace-fs.js';
import { planFileOf } from '../terraform/workspace-fs.js';
import { ConfigGuard } from './config-guard.js';
import { pathTaken, runDirFor } from './create-deployment.js';
import type { InfraDeps } from './ports.js';
import { checkPlanConfiguration } from './terraform-reading.js';

export class DeploymentApplier {
  private readonly guard: ConfigGuard;

  constructor(private readonly d: InfraDeps) {
    this.guard = d.guard ?? new ConfigGuard();
  }

  /** Runs one approved create_deployment action. Never throws. */
  async run(actionId: string): Promise<void> {
    const action = this.d.store.get(actionId);
    if (!action) return;
    await this.d.locks.withDeploymentLock(action.runId, async () => {
      if (!this.d.store.transition(actionId, ['approved'], 'applying', null)) return;
      try {
        await this.locked(this.d.store.get(actionId) as ActionRecord);
      } catch (err) {
        this.d.logger.error({ actionId, err: { message: errorMessage(err) } }, 'creating deployment crashed');
        this.d.store.transition(
          actionId,
          ['applying'],
          'interrupted',
          `creating the deployment crashed: ${errorMessage(err)}`,
        );
      }
    });
  }

  private async locked(a: ActionRecord): Promise<void> {
    const staging = a.stagingDir ?? '';
    const planFile = planFileOf(staging, a.id);
    const runDir = runDirFor(this.d.settings.runsDir, a.runId);
    const outputs = [...(a.tfOutput as StepOutput[])];
    if (!existsSync(planFile) || sha256File(planFile) !== a.planSha256 || pathTaken(runDir)) {
      const why = pathTaken(runDir)
        ? `${runDir} appeared since the plan was made`
        : 'the saved plan is missing or differs from the approved one';
      this.d.store.transition(a.id, ['applying'], 'interrupted', `${why}; nothing applied`);
      return;
    }
    const refusal = await this.recheck(staging, planFile);
    if (refusal !== undefined) {
      this.d.store.transition(a.id, ['applying'], 'interrupted', `refused before apply: ${refusal}; nothing applied`, {
        stagingDir: null,
      });
      removeDir(staging);
      return;
    }
    const r = await this.d.steps.applyPlan(staging, planFile);
    outputs.push(keepOutput('apply', r, []));
    if (r.exitCode !== 0) return this.undo(a, staging, describeFailure(`creating deployment "${a.runId}"`, r), outputs);
    rmSync(planFile, { force: true });
    moveDir(staging, runDir, this.d.settings.runsDir, a.id);
    const revision = this.d.revisions.record(a.runId, runDir, {
      parentId: null,
      actionId: a.id,
      planSha256: a.planSha256,
      stateSerial: serialOf(runDir),
    });
    await this.resync(a.runId);
    const result = {
      success: true,
      new_run_id: revision.id,
      changes_applied: {
        action_type: a.actionType,
        run_dir: runDir,
        files: a.files?.changed ?? [],
        plan: a.planSummary,
      },
    };
    this.d.store.transition(a.id, ['applying'], 'applied', null, {
      revisionId: revision.id,
      result,
      tfOutput: outputs,
      stagingDir: null,
    });
  }

  /** Why the staged files or the saved plan are refused now, or undefined. */
  private async recheck(staging: string, planFile: string): Promise<string | undefined> {
    const guard = await this.guard.check(readConfigFiles(staging), { requireTfvars: true });
    if (!guard.ok) return guard.message;
    const shown = await this.d.steps.show(staging, planFile);
    if (!shown.ok) return 'the saved plan cannot be read';
    const refused = checkPlanConfiguration(shown.plan.configuration, this.guard.allowList);
    return refused.length > 0 ? `Terraform's reading of the plan is refused: ${refused.join('; ')}` : undefined;
  }

  /** The apply failed part-way: destroy what it created (state is in the staging dir). */
  private async undo(a: ActionRecord, staging: string, reason: string, outputs: StepOutput[]): Promise<void> {
    this.d.store.transition(a.id, ['applying'], 'failed', reason, {
      tfOutput: outputs,
      result: { success: false, new_run_id: null, changes_applied: {} },
    });
    const destroy = await this.d.steps.destroy(staging);
    outputs.push(keepOutput('rollback destroy', destroy, []));
    if (destroy.exitCode === 0) {
      this.d.store.transition(
        a.id,
        ['failed'],
        'rolled_back',
        'partly created resources destroyed; RUNS_DIR untouched',
        { tfOutput: outputs, stagingDir: null, rollback: { reason } },
      );
      removeDir(staging);
      return;
    }
    const why = `${describeFailure('destroying the partly created resources', destroy)}; state kept in ${staging}`;
    this.d.logger.error({ actionId: a.id, staging }, `ROLLBACK FAILED: ${why}`);
    this.d.store.transition(a.id, ['failed'], 'rollback_failed', why, {
      tfOutput: outputs,
      rollback: { reason, staging },
    });
  }

  private async resync(runId: string): Promise<void> {
    try {
      await this.d.registrySync?.syncOne(runId);
    } catch (err) {
      this.d.logger.warn({ runId, err: { message: errorMessage(err) } }, 'registry sync of the new deployment failed');
    }
  }
}

/**
 * One rename makes the deployment appear whole. Across filesystems (staging under the data dir,
 * RUNS_DIR elsewhere) it is copied to a hidden dir inside RUNS_DIR first (discovery skips
 * dot-dirs), then renamed.
 */
function moveDir(from: string, to: string, runsDir: string, actionId: string): void {
  try {
    renameSync(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    const tmp = path.join(path.resolve(runsDir), `.infraai-create-${actionId}`);
    cpSync(from, tmp, { recursive: true });
    renameSync(tmp, to);
    rmSync(from, { recursive: true, force: true });
  }
}

function serialOf(runDir: string): number | null {
  try {
    const s = (JSON.parse(readFileSync(path.join(runDir, 'terraform.tfstate'), 'utf8')) as { serial?: unknown }).serial;
    return typeof s === 'number' ? s : null;
  } catch {
    return null;
  }
}
