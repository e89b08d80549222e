/**
 * POST /infra, first half: a new deployment from submitted files. The allow-list guard
 * (config-guard.ts) and then Terraform's own reading (terraform-check.ts) must accept the files
 * before anything is recorded; refusals change nothing. An accepted request is recorded as a
 * human decision + a `create_deployment` action, validated and planned in
 * <dataDir>/staging/<actionId>, then waits for approval like any action, with a plan summary
 * that shows only what the files state literally (plan-disclosure.ts). RUNS_DIR is not touched
 * before the approved apply (apply-deployment.ts).
 */
import { existsSync, lstatSync, readdirSync, renameSync } from 'node:fs';
import path from 'node:path';
import { isoAt } from '../shared/clock.js';
import { AppError, errorMessage } from '../shared/errors.js';
import { resolveRunDir } from '../registry/run-id.js';
import type { TerraformResult } from '../terraform/terraform-runner.js';
import { PENDING_STATUSES } from '../actions/status.js';
import type { ActionPatch, ActionRecord } from '../actions/action-store.js';
import { configSecrets, scrubStored } from '../hcl/config-secrets.js';
import { planSecrets, redactPlanJson } from '../plan/redact.js';
import { summarisePlan, type PlanSummaryItem } from '../plan/summary.js';
import { keepOutput } from '../terraform/output.js';
import { unifiedDiff } from '../plan/unified-diff.js';
import { removeDir, sha256File } from '../terraform/workspace-fs.js';
import { planFileOf } from '../terraform/workspace-fs.js';
import { ConfigGuard, type ConfigView } from './config-guard.js';
import type { InfraRequest } from './infra-request.js';
import { discloseConstantsOnly, unquoteHidden } from './plan-disclosure.js';
import type { InfraDeps } from './ports.js';
import { errorSummary, readWithTerraform, type CheckedDir } from './terraform-check.js';
import { checkPlanConfiguration } from './terraform-reading.js';
import { refuse, type Refusal } from '../shared/result.js';

export const CREATE_DEPLOYMENT = 'create_deployment';

export interface CreateResult {
  actionId: string;
  status: string;
  statusReason: string | null;
  planSummary: PlanSummaryItem[] | null;
  planSha256: string | null;
}

type PrepareCode = 'PREPARE_ERROR' | 'VALIDATE_FAILED' | 'PLAN_FAILED' | 'PLAN_UNREADABLE' | 'PLAN_REFUSED';
type Prepared = { ok: true; patch: ActionPatch } | (Refusal<PrepareCode> & { patch: ActionPatch });

/** Plan output lists every planned value: kept out of the action until a human approved the plan. */
const WITHHELD_PLAN_OUTPUT =
  '(plan output withheld before approval: it shows values that are not literal in the submitted files; see plan_summary)';

const SCRATCH_PREFIX = '.check-';

export class DeploymentCreator {
  private readonly guard: ConfigGuard;
  /** Scratch dirs of checks running now; any other `.check-*` dir is left from a stopped process. */
  private readonly scratch = new Set<string>();

  constructor(private readonly d: InfraDeps) {
    this.guard = d.guard ?? new ConfigGuard();
  }

  /**
   * Checks (allow-list, then Terraform's own reading), records and plans the new deployment;
   * resolves once the plan is ready (or failed).
   * @throws AppError ERR_VALIDATION (refused file or construct, named), ERR_CONFLICT (run_id taken) or
   *   ERR_TERRAFORM_TIMEOUT; nothing is written then.
   */
  async create(req: InfraRequest, actor: string): Promise<CreateResult> {
    const guard = await this.guard.check(req.files, { requireTfvars: true });
    if (!guard.ok) {
      throw new AppError('ERR_VALIDATION', `files.${guard.file}: ${guard.message}`, {
        details: { file: guard.file, refusals: guard.findings.map((f) => f.message) },
      });
    }
    return this.d.locks.withDeploymentLock(req.run_id, async () => {
      this.assertFree(req.run_id);
      const name = `${SCRATCH_PREFIX}${this.d.newId('chk')}`;
      this.scratch.add(name);
      try {
        const checked = await this.readWithTerraform(name, req.files, guard.view);
        let action: ActionRecord;
        try {
          action = this.record(req, actor);
        } catch (err) {
          removeDir(checked.dir);
          throw err;
        }
        if (action.status !== 'proposed') {
          removeDir(checked.dir);
          throw new AppError('ERR_CONFLICT', action.statusReason ?? `deployment "${req.run_id}" is busy`);
        }
        return await this.prepare(action, checked, req.files);
      } finally {
        this.scratch.delete(name);
      }
    });
  }

  /** Terraform's reading in scratch dir `name`; first removes scratch dirs a stopped process left. */
  private readWithTerraform(name: string, files: Record<string, string>, view: ConfigView): Promise<CheckedDir> {
    const root = path.join(this.d.settings.dataDir, 'staging');
    const leftovers = existsSync(root) ? readdirSync(root).filter((n) => n.startsWith(SCRATCH_PREFIX)) : [];
    for (const n of leftovers) if (!this.scratch.has(n)) removeDir(path.join(root, n));
    return readWithTerraform(this.d.steps, path.join(root, name), files, view, this.d.settings.initTimeoutMs);
  }

  private assertFree(runId: string): void {
    const dir = resolveRunDir(this.d.settings.runsDir, runId, false);
    if (pathTaken(dir) || this.d.deploymentKnown(runId)) {
      throw new AppError('ERR_CONFLICT', `deployment "${runId}" already exists`);
    }
    const pending = this.d.store
      .list({ runId, limit: 500, offset: 0 })
      .items.find((a) => PENDING_STATUSES.includes(a.status));
    if (pending)
      throw new AppError(
        'ERR_CONFLICT',
        `deployment "${runId}" already has pending action ${pending.id} (${pending.status})`,
      );
  }

  private record(req: InfraRequest, actor: string): ActionRecord {
    const names = Object.keys(req.files).sort();
    const decisionId = this.d.newId('dec');
    this.d.decisions.insert({
      id: decisionId,
      runId: req.run_id,
      actionType: CREATE_DEPLOYMENT,
      actor,
      parameters: { files: names },
      reason: `POST /infra by ${actor}: create deployment "${req.run_id}" from ${names.join(', ')}`,
      createdAt: isoAt(this.d.clock),
    });
    return this.d.store.create({
      decisionId,
      incidentId: null,
      runId: req.run_id,
      actionType: CREATE_DEPLOYMENT,
      targetAddress: req.run_id,
      parameters: { files: names },
    });
  }

  private async prepare(
    action: ActionRecord,
    checked: CheckedDir,
    files: Record<string, string>,
  ): Promise<CreateResult> {
    // The executor's layout, so its recovery and staging clean-up (reject/expire) apply here too.
    const staging = path.join(this.d.settings.dataDir, 'staging', action.id);
    this.d.store.transition(action.id, ['proposed'], 'preparing', null, { stagingDir: staging });
    let result: Prepared;
    try {
      removeDir(staging);
      renameSync(checked.dir, staging);
      result = await this.plan(action, staging, files, checked.results);
    } catch (err) {
      removeDir(checked.dir);
      const why = `preparing deployment "${action.runId}": ${errorMessage(err)}`;
      result = { ...refuse('PREPARE_ERROR', why), patch: {} };
    }
    if (result.ok) {
      const expiresAt = new Date(this.d.clock.now() + this.d.settings.approvalTtlSeconds * 1000).toISOString();
      this.d.store.transition(action.id, ['preparing'], 'awaiting_approval', null, { ...result.patch, expiresAt });
    } else {
      this.d.store.transition(action.id, ['preparing'], 'prepare_failed', result.message, {
        ...result.patch,
        stagingDir: null,
      });
      removeDir(staging);
    }
    const a = this.d.store.get(action.id) as ActionRecord;
    return {
      actionId: a.id,
      status: a.status,
      statusReason: a.statusReason,
      planSummary: (a.planSummary as PlanSummaryItem[] | null) ?? null,
      planSha256: a.planSha256,
    };
  }

  /**
   * validate → plan -out → show → Terraform's reading of the plan's configuration. Outputs are
   * kept redacted; the plan's own output and every value not literal in the files are withheld.
   */
  private async plan(
    a: ActionRecord,
    staging: string,
    files: Record<string, string>,
    checks: CheckedDir['results'],
  ): Promise<Prepared> {
    const raw: Array<{ step: string; result: TerraformResult }> = [...checks];
    const names = Object.keys(files).sort();
    const fileSecrets = configSecrets(files);
    const diff = scrubStored(names.map((n) => unifiedDiff(n, '', files[n] ?? '')).join(''), fileSecrets);
    const common: ActionPatch = {
      files: { changed: names, deleted: [] },
      diff,
      changes: { kind: 'create_deployment', files: names },
    };
    const outputs = (secrets: Iterable<string>) =>
      raw.map((r) => keepOutput(r.step, r.result, [...fileSecrets, ...secrets]));
    const fail = (code: PrepareCode, why: string): Prepared => ({
      ...refuse(code, why),
      patch: { ...common, tfOutput: outputs([]) },
    });
    const v = await this.d.steps.validate(staging);
    raw.push({ step: 'validate', result: v.result });
    if (!v.ok)
      return fail('VALIDATE_FAILED', `validating deployment "${a.runId}": ${v.diagnostics.split('\n')[0] ?? ''}`);
    const planFile = planFileOf(staging, a.id);
    const p = await this.d.steps.plan(staging, planFile, []);
    raw.push({ step: 'plan', result: { ...p, stdout: WITHHELD_PLAN_OUTPUT } });
    if (p.exitCode !== 0 && p.exitCode !== 2)
      return fail('PLAN_FAILED', `planning deployment "${a.runId}": ${errorSummary(p)}`);
    const shown = await this.d.steps.show(staging, planFile);
    if (!shown.ok) return fail('PLAN_UNREADABLE', `reading the plan of "${a.runId}": ${errorSummary(shown.result)}`);
    const refused = checkPlanConfiguration(shown.plan.configuration, this.guard.allowList);
    if (refused.length > 0)
      return fail('PLAN_REFUSED', `Terraform's reading of the plan is refused: ${refused.join('; ')}`);
    const secrets = planSecrets(shown.plan);
    const disclosed = discloseConstantsOnly(shown.plan);
    return {
      ok: true,
      patch: {
        ...common,
        planSummary: unquoteHidden(summarisePlan(disclosed)),
        planJson: redactPlanJson(disclosed),
        gate: { ok: true, kind: 'create_deployment' },
        tfOutput: outputs(secrets),
        planSha256: sha256File(planFile),
      },
    };
  }
}

/**
 * True when anything occupies `p`, including a dangling symlink: existsSync follows links and
 * says false for one, and the final rename would then fail after the apply (or land elsewhere).
 */
export function pathTaken(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Where a created deployment's run dir goes (exported for the applier and tests). */
export function runDirFor(runsDir: string, runId: string): string {
  return path.join(path.resolve(runsDir), runId);
}
