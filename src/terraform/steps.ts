import { describeFailure, type TerraformResult, type TerraformRunner } from './terraform-runner.js';
import { parsePlanJson, type PlanJson } from '../plan/plan-json.js';
import { z } from 'zod';
import { refuse, type Refusal } from '../shared/result.js';

/** Per-call limits, for callers with timeouts of their own (registry sync) or a cancel signal. */
export interface StepLimits {
  timeoutMs: number;
  signal?: AbortSignal;
}

/** The Terraform commands the service runs, each with its timeout; results, not exceptions. */
export class TerraformSteps {
  constructor(
    private readonly tf: TerraformRunner,
    private readonly timeouts: { planMs: number; applyMs: number },
  ) {}

  /** Formats files in place (`terraform fmt <file>`); a syntax error comes back as exit 2. */
  fmt(cwd: string, files: string[]): Promise<TerraformResult> {
    return this.tf.run(['fmt', '-list=false', ...files], { cwd, timeoutMs: this.timeouts.planMs });
  }

  /** `terraform fmt -`: the formatted text of `text`, or undefined when Terraform cannot parse it. */
  async fmtText(cwd: string, text: string): Promise<{ formatted: string | undefined; result: TerraformResult }> {
    const result = await this.tf.run(['fmt', '-'], { cwd, timeoutMs: this.timeouts.planMs, input: text });
    return { formatted: result.exitCode === 0 ? result.stdout : undefined, result };
  }

  /**
   * `init -backend=false`: installs local modules (and providers) without touching any backend;
   * a configuration with only the default local backend plans and applies after it.
   */
  initLocal(cwd: string, timeoutMs: number): Promise<TerraformResult> {
    return this.tf.run(['init', '-backend=false'], { cwd, timeoutMs });
  }

  /**
   * `graph -type=plan`: the configuration as Terraform loaded it (every resource, data source,
   * module and provider node) without evaluating any expression.
   */
  graph(cwd: string): Promise<TerraformResult> {
    return this.tf.run(['graph', '-type=plan'], { cwd, timeoutMs: this.timeouts.planMs });
  }

  /** `validate -json`; a refusal's message and diagnostics are the error diagnostics, one a line. */
  async validate(
    cwd: string,
  ): Promise<
    | { ok: true; diagnostics: ''; result: TerraformResult }
    | (Refusal<'VALIDATE_FAILED'> & { diagnostics: string; result: TerraformResult })
  > {
    const result = await this.tf.run(['validate', '-json'], { cwd, timeoutMs: this.timeouts.planMs });
    const parsed = ValidateSchema.safeParse(safeJson(result.stdout));
    if (parsed.success && parsed.data.valid) return { ok: true, diagnostics: '', result };
    const diagnostics = parsed.success
      ? formatDiagnostics(parsed.data.diagnostics)
      : describeFailure('validate', result);
    return { ...refuse('VALIDATE_FAILED', diagnostics), diagnostics, result };
  }

  /**
   * `plan -out -detailed-exitcode`: exit 0 no changes, 2 changes, anything else an error.
   * `varFiles` (the deployment's infraai.yaml `var_files`, relative to `cwd`) go in as `-var-file`, in order.
   */
  plan(
    cwd: string,
    planFile: string,
    replace: readonly string[],
    varFiles: readonly string[] = [],
  ): Promise<TerraformResult> {
    const args = [
      'plan',
      `-out=${planFile}`,
      '-detailed-exitcode',
      ...varFiles.map((f) => `-var-file=${f}`),
      ...replace.map((a) => `-replace=${a}`),
    ];
    return this.tf.run(args, { cwd, timeoutMs: this.timeouts.planMs });
  }

  async show(
    cwd: string,
    planFile: string,
  ): Promise<
    | { ok: true; plan: PlanJson; result: TerraformResult }
    | (Refusal<'TERRAFORM_FAILED' | 'PLAN_JSON_INVALID'> & { result: TerraformResult })
  > {
    const result = await this.tf.run(['show', '-json', planFile], { cwd, timeoutMs: this.timeouts.planMs });
    if (result.exitCode !== 0)
      return { ...refuse('TERRAFORM_FAILED', describeFailure('reading the plan', result)), result };
    const parsed = parsePlanJson(result.stdout);
    return parsed.ok ? { ok: true, plan: parsed.plan, result } : { ...parsed, result };
  }

  /** Applies a saved plan file (absolute path) in the run dir. */
  applyPlan(cwd: string, planFile: string): Promise<TerraformResult> {
    return this.tf.run(['apply', planFile], { cwd, timeoutMs: this.timeouts.applyMs });
  }

  /** Re-applies the configuration on disk (the rollback's converge step, a bootstrap). */
  applyConfig(
    cwd: string,
    limits: StepLimits = { timeoutMs: this.timeouts.applyMs },
    varFiles: readonly string[] = [],
  ): Promise<TerraformResult> {
    return this.tf.run(['apply', '-auto-approve', ...varFiles.map((f) => `-var-file=${f}`)], { cwd, ...limits });
  }

  /** `terraform workspace select <name>` (the workspace must exist); written to `.terraform/environment`. */
  workspaceSelect(cwd: string, name: string, limits: StepLimits): Promise<TerraformResult> {
    return this.tf.run(['workspace', 'select', name], { cwd, ...limits });
  }

  /** Destroys what the state in `cwd` holds (undoing a create that failed part-way). */
  destroy(cwd: string): Promise<TerraformResult> {
    return this.tf.run(['apply', '-destroy', '-auto-approve'], { cwd, timeoutMs: this.timeouts.applyMs });
  }

  statePull(cwd: string, limits: StepLimits = { timeoutMs: this.timeouts.planMs }): Promise<TerraformResult> {
    return this.tf.run(['state', 'pull'], { cwd, ...limits });
  }

  /** `terraform init` with the backend: a deployment found on disk, before its state is read. */
  init(cwd: string, limits: StepLimits): Promise<TerraformResult> {
    return this.tf.run(['init'], { cwd, ...limits });
  }

  /** `show -json` of the current state (no plan file). */
  showState(cwd: string, limits: StepLimits = { timeoutMs: this.timeouts.planMs }): Promise<TerraformResult> {
    return this.tf.run(['show', '-json'], { cwd, ...limits });
  }

  /** Plain `validate` (human-readable diagnostics), as the doctor shows them. */
  validateText(cwd: string): Promise<TerraformResult> {
    return this.tf.run(['validate'], { cwd, timeoutMs: this.timeouts.planMs });
  }
}

const DiagnosticSchema = z.object({
  severity: z.string(),
  summary: z.string(),
  detail: z.string().optional(),
  range: z.object({ filename: z.string(), start: z.object({ line: z.number() }) }).optional(),
});
const ValidateSchema = z.object({ valid: z.boolean(), diagnostics: z.array(DiagnosticSchema).default([]) });

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function formatDiagnostics(list: Array<z.infer<typeof DiagnosticSchema>>): string {
  return list
    .filter((d) => d.severity === 'error')
    .map(
      (d) =>
        `${d.range ? `${d.range.filename}:${d.range.start.line}: ` : ''}${d.summary}${d.detail ? `: ${d.detail}` : ''}`,
    )
    .join('\n');
}

/** True for Terraform's refusal to apply a plan made against an older state. */
export function isStalePlan(r: TerraformResult): boolean {
  return /Saved plan is stale/i.test(`${r.stderr}\n${r.stdout}`);
}

/** The file a diagnostic names (`main.tf:3: …` or Terraform's `on main.tf line 3`), if any. */
export function fileNamedIn(diagnostics: string, names: readonly string[]): string | undefined {
  const hit = /(?:^|\s|on\s)([\w./-]+\.(?:tf|tfvars)(?:\.json)?)(?::|\s+line)/m.exec(diagnostics);
  return hit?.[1] !== undefined && names.includes(hit[1]) ? hit[1] : undefined;
}
