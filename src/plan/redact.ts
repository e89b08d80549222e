/**
 * Redaction of `terraform show -json` plans. Terraform writes sensitive values in clear and marks
 * them only in separate masks (`before_sensitive`, `after_sensitive`, `sensitive_values`,
 * `configuration.root_module.variables.*.sensitive`), and copies of a sensitive value can appear
 * unmarked elsewhere (terraform_data's `output` mirrors `input` with an empty mask — seen in the
 * real fixtures). So redaction is two passes: collect every sensitive string from every masked
 * place, then redact masked values and scrub all collected strings from the whole document.
 */
import { REDACTED, redactValue, scrubKnownSecrets, type SensitiveMask } from '../shared/redact.js';
import { sensitiveVariableNames, type PlanJson } from './plan-json.js';

type Json = Record<string, unknown>;

function isObj(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function asMask(v: unknown): SensitiveMask | undefined {
  return typeof v === 'boolean' || (v !== null && typeof v === 'object') ? (v as SensitiveMask) : undefined;
}

/** Redacts a change object's `before`/`after` with their masks (resource or output change). */
function redactChange(change: unknown, found: Set<string>): unknown {
  if (!isObj(change)) return change;
  const out: Json = { ...change };
  if ('before' in change) out['before'] = redactValue(change['before'], asMask(change['before_sensitive']), found);
  if ('after' in change) out['after'] = redactValue(change['after'], asMask(change['after_sensitive']), found);
  return out;
}

/** Redacts `values` of state-like resources (planned_values / prior_state) recursively. */
function redactModule(mod: unknown, found: Set<string>): unknown {
  if (!isObj(mod)) return mod;
  const out: Json = { ...mod };
  if (Array.isArray(mod['resources'])) {
    out['resources'] = mod['resources'].map((r: unknown) =>
      isObj(r) ? { ...r, values: redactValue(r['values'], asMask(r['sensitive_values']), found) } : r,
    );
  }
  if (Array.isArray(mod['child_modules'])) {
    out['child_modules'] = mod['child_modules'].map((m: unknown) => redactModule(m, found));
  }
  return out;
}

/** Redacts a `{outputs, root_module}` values document (planned_values, prior_state.values). */
function redactValues(values: unknown, found: Set<string>): unknown {
  if (!isObj(values)) return values;
  const out: Json = { ...values, root_module: redactModule(values['root_module'], found) };
  if (isObj(values['outputs'])) {
    out['outputs'] = Object.fromEntries(
      Object.entries(values['outputs']).map(([k, o]) => [
        k,
        isObj(o) ? { ...o, value: redactValue(o['value'], o['sensitive'] === true ? true : undefined, found, k) } : o,
      ]),
    );
  }
  return out;
}

function redactVariables(plan: PlanJson, found: Set<string>): unknown {
  if (plan.variables === undefined) return undefined;
  const sensitive = new Set(sensitiveVariableNames(plan));
  return Object.fromEntries(
    Object.entries(plan.variables).map(([name, v]) => [
      name,
      { ...v, value: redactValue(v.value, sensitive.has(name) ? true : undefined, found, name) },
    ]),
  );
}

/**
 * Collects the set of secret strings in a plan and returns the plan with those secrets redacted
 * in the value-bearing fields. Masks are left untouched so the stored plan keeps its meaning.
 */
function redactFields(plan: PlanJson, found: Set<string>): Json {
  const out: Json = { ...plan };
  if (plan.variables !== undefined) out['variables'] = redactVariables(plan, found);
  out['resource_changes'] = plan.resource_changes?.map((rc) => ({ ...rc, change: redactChange(rc.change, found) }));
  if (plan.resource_drift !== undefined) {
    out['resource_drift'] = plan.resource_drift.map((rc) => ({ ...rc, change: redactChange(rc.change, found) }));
  }
  if (plan.output_changes !== undefined) {
    out['output_changes'] = Object.fromEntries(
      Object.entries(plan.output_changes).map(([k, c]) => [k, redactChange(c, found)]),
    );
  }
  out['planned_values'] = redactValues(plan.planned_values, found);
  const prior = plan.prior_state;
  if (isObj(prior)) out['prior_state'] = { ...prior, values: redactValues(prior['values'], found) };
  // Configuration holds expressions and constant values; only key/pattern redaction applies.
  out['configuration'] = redactValue(plan.configuration, undefined, found);
  return out;
}

/** The set of sensitive strings anywhere in the plan (for scrubbing summaries, logs, diffs). */
export function planSecrets(plan: PlanJson): Set<string> {
  const found = new Set<string>();
  redactFields(plan, found);
  return found;
}

/**
 * A copy of the plan safe to store in the database: masked values replaced by `[REDACTED]` and
 * every copy of a sensitive string scrubbed from the whole document. Pure; never throws.
 */
export function redactPlanJson(plan: PlanJson): unknown {
  const found = new Set<string>();
  const redacted = redactFields(plan, found);
  const scrubbed = scrubKnownSecrets(redacted, found);
  // `undefined` fields were introduced by the spread of absent keys; JSON drops them anyway.
  return JSON.parse(JSON.stringify(scrubbed)) as unknown;
}

export { REDACTED };
