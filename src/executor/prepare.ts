/**
 * Prepare: from a decided action to a saved, gated plan waiting for approval. All work happens in
 * a staging copy; the run dir is only read.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../shared/errors.js';
import { resolveRunDir } from '../registry/run-id.js';
import { readDeploymentSettings } from '../registry/deployment-settings.js';
import type { RegistryResource } from '../registry/registry-port.js';
import type { PlanJson } from '../plan/plan-json.js';
import type { TerraformResult } from '../terraform/terraform-runner.js';
import { describeFailure } from '../terraform/terraform-runner.js';
import type { ActionPatch, ActionRecord } from '../actions/action-store.js';
import { configSecrets, scrubStored } from '../hcl/config-secrets.js';
import { blockOf, planEdit, type EditPlan } from './edit-plan.js';
import { stagingDirOf, type ExecutorDeps } from './executor-deps.js';
import { planFileOf } from '../terraform/workspace-fs.js';
import { fixRound, type FixAttempt } from './fix-rounds.js';
import { gatePlan } from '../plan/gate.js';
import { planSecrets, redactPlanJson } from '../plan/redact.js';
import { keepOutput } from '../terraform/output.js';
import { unifiedDiff } from '../plan/unified-diff.js';
import {
  createStaging,
  readConfigFiles,
  removeStaging,
  sha256File,
  writeFilesAtomic,
} from '../terraform/workspace-fs.js';
import { stageChange } from './stage-change.js';
import {
  describeSourceDiff,
  editedFiles,
  fingerprint,
  readEditableFiles,
  sourcesChangedSince,
  type SourceChange,
  type SourceFingerprint,
} from './source-files.js';
import { isoAt } from '../shared/clock.js';
import { chainRecord, type ValueChain } from '../hcl/edit.js';
import { refuse, type Refusal } from '../shared/result.js';

/** What one prepare produced; `raw` outputs are redacted once the plan's secrets are known. */
export interface Work {
  action: ActionRecord;
  runDir: string;
  staging: string;
  planFile: string;
  raw: Array<{ step: string; result: TerraformResult }>;
  fixAttempts: FixAttempt[];
  edited: string[];
  /** Secret values seen so far (config text, then the plan): scrubbed from all that is stored. */
  secrets: Set<string>;
  /** The deployment's files the plan is made from (hashes of the staging copy before the edit). */
  sources: SourceFingerprint | undefined;
  /** The value chain of each staged edit, in the edits' order (undefined where the editor gave none). */
  chains?: Array<ValueChain | undefined>;
  /** infraai.yaml `var_files` (relative to the run dir), passed to plan as `-var-file` in order. */
  varFiles?: readonly string[];
}

/** A prepare whose deployment kept changing under it this many times in a row gives up. */
const MAX_SOURCE_ROUNDS = 3;

type Outcome = 'done' | 'skipped' | { sourcesMoved: string };
type PlanCode = 'VALIDATE_FAILED' | 'PLAN_FAILED' | 'TERRAFORM_FAILED' | 'PLAN_JSON_INVALID' | 'FMT_FAILED';
/** A prepared action's patch, or why it cannot be prepared (with what is known so far). */
type Built =
  | { ok: true; patch: ActionPatch }
  | (Refusal<PlanCode | 'PREPARE_ERROR' | 'EDIT_REFUSED' | 'ROLLBACK_REFUSED' | 'PLAN_GATE'> & { patch: ActionPatch });

export class PlanPreparer {
  constructor(private readonly d: ExecutorDeps) {}

  /**
   * Prepares one action under its deployment's lock. Never throws; failures end in prepare_failed.
   * When the deployment's files change while the plan is made, the action goes `stale` and is
   * prepared again from the current files (at most MAX_SOURCE_ROUNDS times in a row).
   */
  async run(actionId: string): Promise<void> {
    const action = this.d.store.get(actionId);
    if (!action) return;
    await this.d.locks.withDeploymentLock(action.runId, async () => {
      for (let round = 1; ; round++) {
        const outcome = await this.locked(actionId);
        if (typeof outcome === 'string') return;
        if (round >= MAX_SOURCE_ROUNDS) {
          const reason = `the deployment's files kept changing while the plan was made (${round} attempts, last: ${outcome.sourcesMoved}); nothing was planned for approval`;
          this.d.store.transition(actionId, ['stale'], 'prepare_failed', reason);
          this.d.logger.warn({ actionId, runId: action.runId }, reason);
          return;
        }
      }
    });
  }

  private async locked(actionId: string): Promise<Outcome> {
    const staging = stagingDirOf(this.d.settings, actionId);
    if (!this.d.store.transition(actionId, ['proposed', 'stale'], 'preparing', null, { stagingDir: staging }))
      return 'skipped';
    const action = this.d.store.get(actionId) as ActionRecord;
    const work: Work = {
      action,
      runDir: '',
      staging,
      planFile: planFileOf(staging, actionId),
      raw: [],
      fixAttempts: [],
      edited: [],
      secrets: new Set(),
      sources: undefined,
    };
    let result: Built;
    try {
      result = await this.build(work);
    } catch (err) {
      result = { ...refuse('PREPARE_ERROR', `preparing: ${errorMessage(err)}`), patch: {} };
    }
    const moved = this.sourcesMoved(work);
    if (moved !== undefined) return moved;
    if (result.ok) {
      const expiresAt = new Date(this.d.clock.now() + this.d.settings.approvalTtlSeconds * 1000).toISOString();
      this.d.store.transition(
        actionId,
        ['preparing'],
        'awaiting_approval',
        null,
        redactPatch({ ...result.patch, expiresAt }, work.secrets),
      );
      return 'done';
    }
    const outputs = work.raw.map((r) => keepOutput(r.step, r.result, work.secrets));
    const reason = scrubStored(result.message, work.secrets);
    this.d.store.transition(
      actionId,
      ['preparing'],
      'prepare_failed',
      reason,
      redactPatch(
        {
          ...result.patch,
          tfOutput: result.patch.tfOutput ?? outputs,
          fixAttempts: work.fixAttempts,
          stagingDir: null,
        },
        work.secrets,
      ),
    );
    removeStaging(work.staging);
    this.d.logger.warn({ actionId, runId: action.runId, reason }, 'action prepare failed');
    return 'done';
  }

  /**
   * Compares the run dir's files with those the plan started from: when someone changed them
   * meanwhile the plan (and a failure too) describes files that are gone, so the action goes
   * `stale`, recording which files, and is prepared again.
   */
  private sourcesMoved(w: Work): { sourcesMoved: string } | undefined {
    if (w.sources === undefined) return undefined;
    const diff = sourcesChangedSince(w.runDir, w.sources);
    if (diff === undefined) return undefined;
    const what = describeSourceDiff(diff);
    const change: SourceChange = { phase: 'prepare', ...diff, at: isoAt(this.d.clock) };
    this.d.store.transition(
      w.action.id,
      ['preparing'],
      'stale',
      `the deployment's files changed while the plan was made (${what}); preparing again from the current files`,
      {
        sourceChanges: [...w.action.sourceChanges, change],
        stagingDir: null,
        planSha256: null,
      },
    );
    removeStaging(w.staging);
    this.d.planSecrets.delete(w.action.id);
    this.d.logger.info(
      { actionId: w.action.id, runId: w.action.runId, ...diff },
      'deployment files changed during prepare; preparing again',
    );
    return { sourcesMoved: what };
  }

  private async build(w: Work): Promise<Built> {
    const a = w.action;
    w.runDir = resolveRunDir(this.d.settings.runsDir, a.runId);
    const settings = readDeploymentSettings(w.runDir);
    if (!settings.ok) return { ...refuse('PREPARE_ERROR', `deployment settings: ${settings.error}`), patch: {} };
    w.varFiles = settings.settings.var_files;
    const base = this.d.revisions.ensureBase(a.runId, w.runDir);
    // Local modules outside the run dir make the copy a mirror: Terraform runs in its work dir.
    w.staging = createStaging(w.runDir, w.staging);
    w.planFile = planFileOf(w.staging, a.id);
    this.d.store.patch(a.id, { stagingDir: w.staging });
    // What the plan is made from: the copy's bytes, so an edit racing the copy is caught at the end.
    w.sources = fingerprint(w.staging);
    w.secrets = configSecrets(readConfigFiles(w.staging));
    const present = this.present(a);
    const attributes = (present.find((r) => r.address === a.targetAddress) ?? present[0])?.attributes;
    const plan = await planEdit(
      {
        actionType: a.actionType,
        targetAddress: a.targetAddress,
        parameters: a.parameters,
        instances: present.map((r) => r.address),
        files: readEditableFiles(w.staging),
        now: isoAt(this.d.clock),
        ...(attributes !== undefined && { attributes }),
      },
      { read: this.d.hcl.read.bind(this.d.hcl), ignoreChanges: this.d.hcl.ignoreChanges.bind(this.d.hcl) },
      this.d.policy,
    );
    const first: ActionPatch = { baseRevisionId: base.id, sources: w.sources };
    if (plan.kind === 'refused') return { ...refuse('EDIT_REFUSED', plan.reason), patch: first };
    const changed = await stageChange(this.d, w, plan);
    if (!changed.ok) return { ...changed, patch: first };
    const shared = this.sharedModuleEdit(w);
    if (shared !== undefined) return { ...refuse('EDIT_REFUSED', shared), patch: first };
    // Each edit carries the chain from the instance's attribute back to the literal edited.
    const edits =
      plan.kind === 'edit'
        ? plan.edits.map((e, i) => {
            const chain = w.chains?.[i];
            return chain !== undefined ? { ...e, chain: chainRecord(chain) } : e;
          })
        : [];
    const changes = {
      // `edit` (the first) stays for readers of actions stored before several edits existed.
      edit: edits[0] ?? null,
      edits,
      replace: plan.kind === 'replace' ? plan.replace : [],
      kind: plan.kind,
    };
    const common: ActionPatch = { ...first, ...this.filesAndDiff(w), changes };
    const [planned] = await Promise.all([this.validateAndPlan(w, plan), this.backupState(w)]);
    if (!planned.ok) return { ...refuse(planned.code, planned.message), patch: common };
    // fmt and fix rounds may have touched more files since: the files written at apply are these.
    return this.gate(w, plan, planned.plan, { ...common, ...this.filesAndDiff(w) });
  }

  /**
   * An edited file inside a local module other deployments call too: the edit would change them as
   * well, so it is refused naming them. Undefined when no edited file is in a shared module.
   */
  private sharedModuleEdit(w: Work): string | undefined {
    const runsDir = path.resolve(this.d.settings.runsDir);
    for (const name of w.edited) {
      const file = path.relative(runsDir, path.resolve(w.runDir, name));
      const shared = this.d.registry?.sharedModuleUsers?.(w.action.runId, file);
      if (shared !== undefined)
        return `the edit is in ${name}, inside the local module "${shared.moduleDir}" that deployment(s) ${shared.runIds.join(', ')} also call: changing it would change them too`;
    }
    return undefined;
  }

  /** The staging copy's files that differ from the ones the plan started from, and their diff. */
  private filesAndDiff(w: Work): { files: { changed: string[]; deleted: string[] }; diff: string } {
    const files = editedFiles(w.staging, w.sources ?? {});
    return { files, diff: this.diffOf(w, files) };
  }

  /**
   * The state before the apply, saved now: a saved plan only applies while the state is exactly
   * the one it was made from (otherwise Terraform refuses it as stale), so the state read here is
   * the state the apply starts from. `state pull` so remote backends work.
   */
  private async backupState(w: Work): Promise<void> {
    const r = await this.d.steps.statePull(w.runDir);
    if (r.exitCode !== 0) {
      w.raw.push({ step: 'state pull (backup)', result: r });
      return;
    }
    mkdirSync(path.join(w.staging, 'backup'), { recursive: true });
    writeFileSync(path.join(w.staging, 'backup', 'state.json'), r.stdout, { mode: 0o600 });
  }

  /** Present instances of the target's block, from the registry. */
  private present(a: ActionRecord): RegistryResource[] {
    const block = blockOf(a.targetAddress);
    return (this.d.registry?.listByDeployment(a.runId, 100_000) ?? []).filter(
      (r) => r.blockAddress === block && r.status === 'present' && r.mode === 'managed',
    );
  }

  /**
   * `terraform fmt -` of the edited files; rewrites those it changes. Returns whether any changed
   * (the editor keeps formatting, so usually none did and the plan made alongside stays valid).
   */
  private async fmt(
    w: Work,
    names: readonly string[],
  ): Promise<{ ok: true; changed: boolean } | Refusal<'FMT_FAILED'>> {
    const hcl = names.filter((n) => !n.endsWith('.json'));
    const results = await Promise.all(
      hcl.map(async (n) => {
        const text = readFileSync(path.join(w.staging, n), 'utf8');
        const r = await this.d.steps.fmtText(w.staging, text);
        // fmt's stdout is the whole file (variable defaults, tfvars values): keep only how it ended.
        w.raw.push({ step: `fmt ${n}`, result: { ...r.result, stdout: '' } });
        return { n, text, formatted: r.formatted, result: r.result };
      }),
    );
    const bad = results.find((r) => r.formatted === undefined);
    if (bad) return refuse('FMT_FAILED', describeFailure(`formatting ${bad.n}`, bad.result));
    const changed = results.filter((r) => r.formatted !== r.text);
    writeFilesAtomic(w.staging, Object.fromEntries(changed.map((r) => [r.n, r.formatted as string])));
    return { ok: true, changed: changed.length > 0 };
  }

  private diffOf(w: Work, files: { changed: string[]; deleted: string[] }): string {
    const read = (dir: string, n: string) =>
      existsSync(path.join(dir, n)) ? readFileSync(path.join(dir, n), 'utf8') : '';
    return [...files.changed, ...files.deleted]
      .map((n) => unifiedDiff(n, read(w.runDir, n), read(w.staging, n)))
      .join('');
  }

  /** validate + plan, with fix-agent rounds between failures (edits only, and only with an LLM). */
  private async validateAndPlan(w: Work, plan: EditPlan): Promise<{ ok: true; plan: PlanJson } | Refusal<PlanCode>> {
    const replace = plan.kind === 'replace' ? plan.replace : [];
    for (let round = 1; ; round++) {
      // fmt runs alongside the plan; only when it actually reformatted something is the plan redone.
      const [formatted, first] = await Promise.all([
        this.fmt(w, round === 1 ? w.edited : []),
        this.tryPlan(w, replace),
      ]);
      if (!formatted.ok) return formatted;
      const attempt = formatted.changed ? await this.tryPlan(w, replace) : first;
      if (attempt.ok) return attempt;
      if (plan.kind !== 'edit' || this.d.fix === undefined || round > this.d.settings.fixMaxAttempts) {
        const rounds = w.fixAttempts.length > 0 ? ` (after ${w.fixAttempts.length} fix round(s))` : '';
        return refuse(attempt.code, `${attempt.message}${rounds}`);
      }
      const fixed = await fixRound({
        round,
        staging: w.staging,
        diagnostics: attempt.diagnostics,
        edits: plan.edits,
        edited: w.edited,
        fix: this.d.fix,
        hcl: this.d.hcl,
        secrets: w.secrets,
      });
      w.fixAttempts.push(fixed);
      this.d.store.patch(w.action.id, redactPatch({ fixAttempts: w.fixAttempts }, w.secrets));
      if (fixed.accepted) {
        const f = await this.fmt(w, [fixed.fileName]);
        if (!f.ok) return f;
      }
    }
  }

  private async tryPlan(
    w: Work,
    replace: readonly string[],
  ): Promise<{ ok: true; plan: PlanJson } | (Refusal<PlanCode> & { diagnostics: string })> {
    // validate and plan read the same files; running them together saves one Terraform start-up,
    // and a plan made next to a failed validate is simply discarded.
    const [v, p] = await Promise.all([
      this.d.steps.validate(w.staging),
      this.d.steps.plan(w.staging, w.planFile, replace, w.varFiles ?? []),
    ]);
    w.raw.push({ step: 'validate', result: v.result });
    if (!v.ok)
      return {
        ...refuse('VALIDATE_FAILED', `validating the edited configuration: ${firstLine(v.diagnostics)}`),
        diagnostics: v.diagnostics,
      };
    w.raw.push({ step: 'plan', result: p });
    if (p.exitCode !== 0 && p.exitCode !== 2) {
      return {
        ...refuse('PLAN_FAILED', describeFailure(`planning deployment "${w.action.runId}"`, p)),
        diagnostics: p.stderr || p.stdout,
      };
    }
    const s = await this.d.steps.show(w.staging, w.planFile);
    if (!s.ok) return { ...refuse(s.code, s.message), diagnostics: '' };
    return { ok: true, plan: s.plan };
  }

  private gate(w: Work, plan: Exclude<EditPlan, { kind: 'refused' }>, planJson: PlanJson, common: ActionPatch): Built {
    const secrets = new Set([...planSecrets(planJson), ...w.secrets]);
    w.secrets = secrets;
    // A literal edited under `shared_values: allow` changes its sharers too: the gate wants exactly them.
    const sharers = [...new Set((w.chains ?? []).flatMap((c) => c?.sharedWith ?? []))];
    const expectation = sharers.length > 0 ? { ...plan.expectation, sharers } : plan.expectation;
    const verdict = gatePlan(planJson, expectation, { maxChangedResources: this.d.policy.maxChangedResources() });
    const patch: ActionPatch = {
      ...common,
      planSummary: verdict.summary,
      planJson: redactPlanJson(planJson),
      gate: verdict.ok ? { ok: true } : { ok: false, reasons: verdict.reasons },
      tfOutput: w.raw.map((r) => keepOutput(r.step, r.result, secrets)),
      fixAttempts: w.fixAttempts,
    };
    if (!verdict.ok) return { ...refuse(verdict.code, `plan gate refused: ${verdict.message}`), patch };
    this.d.planSecrets.set(w.action.id, secrets);
    return { ok: true, patch: { ...patch, planSha256: sha256File(w.planFile) } };
  }
}

/**
 * The one redaction step before anything prepare produced reaches the database: every text the
 * action keeps (diff context lines, terraform output, fix rounds, the edit) loses the known secrets.
 */
function redactPatch(patch: ActionPatch, secrets: ReadonlySet<string>): ActionPatch {
  const out: ActionPatch = { ...patch };
  for (const key of ['diff', 'tfOutput', 'fixAttempts', 'changes', 'planSummary', 'planJson', 'gate'] as const) {
    if (out[key] !== undefined && out[key] !== null)
      (out as Record<string, unknown>)[key] = scrubStored(out[key], secrets);
  }
  return out;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
