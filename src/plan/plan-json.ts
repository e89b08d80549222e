/**
 * Schema and types for `terraform show -json <planfile>` (format_version 1.x, verified against
 * Terraform 1.11 output in test/fixtures/plans). Only the fields the executor reads are
 * described; every object is `passthrough` so newer Terraform versions with extra fields still
 * parse, and unknown `actions` strings are kept (the plan gate treats them as dangerous).
 */
import { z } from 'zod';
import { refuse, type Result } from '../shared/result.js';

/** Sensitivity / unknown masks mirror the value's shape: `true` marks the whole subtree. */
export type PlanMask = boolean | { [key: string]: PlanMask } | PlanMask[];
const maskSchema: z.ZodType<PlanMask> = z.lazy(() =>
  z.union([z.boolean(), z.array(maskSchema), z.record(z.string(), maskSchema)]),
);

/** Fields a resource change and an output change share (Terraform's "change" object). */
const changeFields = {
  // Strings, not an enum: an action this code does not know must reach the gate, not vanish.
  actions: z.array(z.string()).min(1),
  before: z.unknown().optional(),
  after: z.unknown().optional(),
  after_unknown: maskSchema.optional(),
  before_sensitive: maskSchema.optional(),
  after_sensitive: maskSchema.optional(),
};

export const changeSchema = z
  .object({ ...changeFields, replace_paths: z.array(z.array(z.union([z.string(), z.number()]))).optional() })
  .passthrough();

export const resourceChangeSchema = z
  .object({
    address: z.string().min(1),
    module_address: z.string().optional(),
    mode: z.string(),
    type: z.string(),
    name: z.string(),
    index: z.union([z.number(), z.string()]).optional(),
    provider_name: z.string().optional(),
    action_reason: z.string().optional(),
    previous_address: z.string().optional(),
    change: changeSchema,
  })
  .passthrough();

const outputChangeSchema = z.object(changeFields).passthrough();

export const planJsonSchema = z
  .object({
    format_version: z.string().regex(/^1\./, 'only plan JSON format_version 1.x is understood'),
    terraform_version: z.string().optional(),
    variables: z.record(z.string(), z.object({ value: z.unknown() }).passthrough()).optional(),
    planned_values: z.unknown().optional(),
    resource_changes: z.array(resourceChangeSchema).optional(),
    resource_drift: z.array(resourceChangeSchema).optional(),
    output_changes: z.record(z.string(), outputChangeSchema).optional(),
    prior_state: z.unknown().optional(),
    configuration: z.unknown().optional(),
    relevant_attributes: z.unknown().optional(),
    timestamp: z.string().optional(),
    applyable: z.boolean().optional(),
    complete: z.boolean().optional(),
    errored: z.boolean().optional(),
  })
  .passthrough();

export type PlanJson = z.infer<typeof planJsonSchema>;
export type ResourceChange = z.infer<typeof resourceChangeSchema>;
export type PlanChange = z.infer<typeof changeSchema>;

/**
 * Parses `terraform show -json` output text. Returns a result, never throws: a plan that
 * cannot be read is an expected failure the caller records.
 */
export function parsePlanJson(text: string): Result<{ plan: PlanJson }, 'PLAN_JSON_INVALID'> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return refuse('PLAN_JSON_INVALID', `plan JSON is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = planJsonSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined ? '' : issue.path.join('.');
    return refuse('PLAN_JSON_INVALID', `plan JSON field "${where}": ${issue?.message ?? 'invalid'}`);
  }
  return { ok: true, plan: parsed.data };
}

/**
 * Names of root variables declared `sensitive = true`, read from `configuration`. Their values
 * appear in clear in `variables`, so redaction needs this list.
 */
export function sensitiveVariableNames(plan: PlanJson): string[] {
  const config = plan.configuration as { root_module?: { variables?: Record<string, unknown> } } | undefined;
  const vars = config?.root_module?.variables;
  if (vars === undefined || vars === null || typeof vars !== 'object') return [];
  return Object.entries(vars)
    .filter(([, v]) => typeof v === 'object' && v !== null && (v as { sensitive?: unknown }).sensitive === true)
    .map(([k]) => k);
}
