/**
 * POST /infra, first half: a new deployment from submitted files. Refusals (names, HCL that
 * escapes the run dir, duplicates) change nothing; an accepted request is recorded as a human
 * decision + a `create_deployment` action, staged, initialised, validated and planned in
 * <dataDir>/staging/<actionId>, then waits for approval like any action. RUNS_DIR is not touched
 * before the approved apply (apply-deployment.ts).
 */
import { lstatSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { isoAt } from '../shared/clock.js';
import { AppError, errorMessage } from '../shared/errors.js';
import { resolveRunDir } from '../registry/run-id.js';
import { describeFailure, type TerraformResult } from '../terraform/terraform-runner.js';
import { PENDING_STATUSES } from '../executor/action-states.js';
import type { ActionPatch, ActionRecord } from '../executor/action-store.js';
import { planFileOf } from '../executor/executor-deps.js';
import { planSecrets, redactPlanJson } from '../executor/plan-redact.js';
import { summarisePlan, type PlanSummaryItem } from '../executor/plan-summary.js';
import { keepOutput } from '../executor/tf-output.js';
import { unifiedDiff } from '../executor/unified-diff.js';
import { removeDir, sha256File, writeFilesAtomic } from '../executor/workspace-fs.js';
import { guardFiles } from './hcl-guard.js';
import type { InfraRequest } from './infra-request.js';
import type { InfraDeps } from './ports.js';

export const CREATE_DEPLOYMENT = 'create_deployment';

export interface CreateResult {
  actionId: string;
  status: string;
  statusReason: string | null;
  planSummary: PlanSummaryItem[] | null;
  planSha256: string | null;
}

type Prepared = { ok: true; patch: ActionPatch } | { ok: false; reason: string; patch: ActionPatch };

export class DeploymentCreator {
  constructor(private readonly d: InfraDeps) {}

  /**
   * Validates, records and plans the new deployment; resolves once the plan is ready (or failed).
   * @throws AppError ERR_VALIDATION (refused file, named) or ERR_CONFLICT (run_id taken); nothing is written then.
   */
  async create(req: InfraRequest, actor: string): Promise<CreateResult> {
    const guard = guardFiles(req.files);
    if (!guard.ok) throw new AppError('ERR_VALIDATION', `files.${guard.file}: ${guard.reason}`, { details: { file: guard.file } });
    return this.d.locks.withDeploymentLock(req.run_id, async () => {
      this.assertFree(req.run_id);
      const action = this.record(req, actor);
      if (action.status !== 'proposed') throw new AppError('ERR_CONFLICT', action.statusReason ?? `deployment "${req.run_id}" is busy`);
      return this.prepare(action, req.files);
    });
  }

  private assertFree(runId: string): void {
    const dir = resolveRunDir(this.d.settings.runsDir, runId, false);
    if (pathTaken(dir) || this.d.deploymentKnown(runId)) {
      throw new AppError('ERR_CONFLICT', `deployment "${runId}" already exists`);
    }
    const pending = this.d.store.list({ runId, limit: 500, offset: 0 }).items.find((a) => PENDING_STATUSES.includes(a.status));
    if (pending) throw new AppError('ERR_CONFLICT', `deployment "${runId}" already has pending action ${pending.id} (${pending.status})`);
  }

  private record(req: InfraRequest, actor: string): ActionRecord {
    const names = Object.keys(req.files).sort();
    const decisionId = this.d.newId('dec');
    this.d.decisions.insert({
      id: decisionId, runId: req.run_id, actionType: CREATE_DEPLOYMENT, actor, parameters: { files: names },
      reason: `POST /infra by ${actor}: create deployment "${req.run_id}" from ${names.join(', ')}`, createdAt: isoAt(this.d.clock),
    });
    return this.d.store.create({
      decisionId, incidentId: null, runId: req.run_id, actionType: CREATE_DEPLOYMENT, targetAddress: req.run_id, parameters: { files: names },
    });
  }

  private async prepare(action: ActionRecord, files: Record<string, string>): Promise<CreateResult> {
    // The executor's layout, so its recovery and staging clean-up (reject/expire) apply here too.
    const staging = path.join(this.d.settings.dataDir, 'staging', action.id);
    this.d.store.transition(action.id, ['proposed'], 'preparing', null, { stagingDir: staging });
    let result: Prepared;
    try {
      removeDir(staging);
      mkdirSync(staging, { recursive: true });
      writeFilesAtomic(staging, files);
      result = await this.plan(action, staging, files);
    } catch (err) {
      result = { ok: false, reason: `preparing deployment "${action.runId}": ${errorMessage(err)}`, patch: {} };
    }
    if (result.ok) {
      const expiresAt = new Date(this.d.clock.now() + this.d.settings.approvalTtlSeconds * 1000).toISOString();
      this.d.store.transition(action.id, ['preparing'], 'awaiting_approval', null, { ...result.patch, expiresAt });
    } else {
      this.d.store.transition(action.id, ['preparing'], 'prepare_failed', result.reason, { ...result.patch, stagingDir: null });
      removeDir(staging);
    }
    const a = this.d.store.get(action.id) as ActionRecord;
    return {
      actionId: a.id, status: a.status, statusReason: a.statusReason, planSummary: (a.planSummary as PlanSummaryItem[] | null) ?? null,
      planSha256: a.planSha256,
    };
  }

  /** init → validate → plan -out → show; every output kept (redacted with the plan's secrets). */
  private async plan(a: ActionRecord, staging: string, files: Record<string, string>): Promise<Prepared> {
    const raw: Array<{ step: string; result: TerraformResult }> = [];
    const names = Object.keys(files).sort();
    const diff = names.map((n) => unifiedDiff(n, '', files[n] ?? '')).join('');
    const common: ActionPatch = { files: { changed: names, deleted: [] }, diff, changes: { kind: 'create_deployment', files: names } };
    const outputs = (secrets: Iterable<string>) => raw.map((r) => keepOutput(r.step, r.result, secrets));
    const init = await this.d.terraform.run(['init'], { cwd: staging, timeoutMs: this.d.settings.initTimeoutMs });
    raw.push({ step: 'init', result: init });
    if (init.exitCode !== 0) return { ok: false, reason: describeFailure(`initialising deployment "${a.runId}"`, init), patch: { ...common, tfOutput: outputs([]) } };
    const v = await this.d.steps.validate(staging);
    raw.push({ step: 'validate', result: v.result });
    if (!v.ok) return { ok: false, reason: `validating deployment "${a.runId}": ${v.diagnostics.split('\n')[0] ?? ''}`, patch: { ...common, tfOutput: outputs([]) } };
    const planFile = planFileOf(staging, a.id);
    const p = await this.d.steps.plan(staging, planFile, []);
    raw.push({ step: 'plan', result: p });
    if (p.exitCode !== 0 && p.exitCode !== 2) return { ok: false, reason: describeFailure(`planning deployment "${a.runId}"`, p), patch: { ...common, tfOutput: outputs([]) } };
    const shown = await this.d.steps.show(staging, planFile);
    if (!shown.ok) return { ok: false, reason: shown.reason, patch: { ...common, tfOutput: outputs([]) } };
    const secrets = planSecrets(shown.plan);
    return {
      ok: true,
      patch: {
        ...common, planSummary: summarisePlan(shown.plan), planJson: redactPlanJson(shown.plan), gate: { ok: true, kind: 'create_deployment' },
        tfOutput: outputs(secrets), planSha256: sha256File(planFile),
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
