/**
 * The plan of a submitted configuration is secret until a human approves it: a value may come
 * from outside the submitted files (a provider default, a computed attribute, a value InfraAI's
 * own environment could feed), and a plan summary shown to the requester before approval would
 * then be a way to read it. So before approval only what the files state literally is shown:
 * an attribute whose expression in Terraform's `configuration` is a `constant_value` keeps its
 * planned value; everything else becomes `(hidden until approved)`. Addresses and actions stay.
 *
 * Pure: returns copies.
 */
import type { PlanJson, PlanMask } from '../plan/plan-json.js';
import type { PlanSummaryItem } from '../plan/summary.js';

export const HIDDEN = '(hidden until approved)';

type Expressions = Record<string, unknown>;

interface ConfigModule {
  resources?: Array<{ address?: string; expressions?: Expressions }>;
  outputs?: Record<string, { expression?: unknown }>;
  module_calls?: Record<string, { module?: ConfigModule }>;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function isConstant(expr: unknown): boolean {
  return isObj(expr) && Object.hasOwn(expr, 'constant_value');
}

/** Resource expressions by config address without instance keys (`module.a.terraform_data.b`). */
function expressionsByAddress(
  m: ConfigModule | undefined,
  prefix: string,
  out: Map<string, Expressions>,
  depth = 0,
): Map<string, Expressions> {
  if (m === undefined || depth > 16) return out;
  for (const r of m.resources ?? []) if (r.address !== undefined) out.set(prefix + r.address, r.expressions ?? {});
  for (const [name, call] of Object.entries(m.module_calls ?? {}))
    expressionsByAddress(call.module, `${prefix}module.${name}.`, out, depth + 1);
  return out;
}

/** `module.a["x"].module.b[0]` → `module.a.module.b.` */
function moduleKey(moduleAddress: string | undefined): string {
  if (moduleAddress === undefined || moduleAddress === '') return '';
  return `${moduleAddress.replace(/\[[^\]]*\]/g, '')}.`;
}

/** Expression objects are `{constant_value}`, `{references}` or `{}`; anything else is a nested block's attribute map. */
function isBlockMap(expr: unknown): expr is Expressions {
  return isObj(expr) && Object.keys(expr).some((k) => k !== 'constant_value' && k !== 'references');
}

/** A resource's (or nested block's) attributes: constants kept, the rest hidden; null and unknown stay. */
function hideAttributes(value: unknown, exprs: Expressions | undefined): unknown {
  if (value === null || value === undefined) return value;
  if (!isObj(value)) return HIDDEN;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, hideAttribute(v, exprs?.[k])]));
}

function hideAttribute(value: unknown, expr: unknown): unknown {
  if (value === null || value === undefined) return value;
  if (isConstant(expr)) return value;
  // Nested blocks: one attribute map per block (a list), or one map (a single block).
  if (Array.isArray(expr))
    return Array.isArray(value) ? value.map((v, i) => hideAttributes(v, expr[i] as Expressions | undefined)) : HIDDEN;
  if (isBlockMap(expr)) return hideAttributes(value, expr);
  return HIDDEN;
}

/**
 * Where a value was hidden, its sensitivity mask goes: the marker is no secret, and a mask over
 * it would make the redaction scrub the marker text everywhere. Elsewhere the mask stays.
 */
function pruneMask(mask: PlanMask | undefined, value: unknown): PlanMask | undefined {
  if (value === HIDDEN) return false;
  if (mask === undefined || typeof mask === 'boolean') return mask;
  if (Array.isArray(mask))
    return mask.map((m, i) => pruneMask(m, Array.isArray(value) ? value[i] : undefined) ?? false);
  return Object.fromEntries(
    Object.entries(mask).map(([k, m]) => [k, pruneMask(m, isObj(value) ? value[k] : undefined) ?? false]),
  );
}

/** A copy of the plan with every non-constant value hidden, and no raw state or planned values. */
export function discloseConstantsOnly(plan: PlanJson): PlanJson {
  const root = (plan.configuration as { root_module?: ConfigModule } | undefined)?.root_module;
  const byAddress = expressionsByAddress(root, '', new Map());
  const resource_changes = (plan.resource_changes ?? []).map((rc) => {
    const key = `${moduleKey(rc.module_address)}${rc.mode === 'data' ? 'data.' : ''}${rc.type}.${rc.name}`;
    const exprs = byAddress.get(key) ?? {};
    const before = hideAttributes(rc.change.before, exprs);
    const after = hideAttributes(rc.change.after, exprs);
    const masks = {
      before_sensitive: pruneMask(rc.change.before_sensitive, before),
      after_sensitive: pruneMask(rc.change.after_sensitive, after),
    };
    return { ...rc, change: { ...rc.change, before, after, ...masks } };
  });
  const outputs = root?.outputs ?? {};
  const output_changes = Object.fromEntries(
    Object.entries(plan.output_changes ?? {}).map(([name, oc]) => {
      const constant = isConstant(outputs[name]?.expression);
      if (constant) return [name, oc];
      const before = hideAttribute(oc.before, undefined);
      const after = hideAttribute(oc.after, undefined);
      return [
        name,
        {
          ...oc,
          before,
          after,
          before_sensitive: pruneMask(oc.before_sensitive, before),
          after_sensitive: pruneMask(oc.after_sensitive, after),
        },
      ];
    }),
  );
  // Variable values become null, not the marker: redaction would take a marker under a secret-looking name for a secret.
  const variables = Object.fromEntries(Object.entries(plan.variables ?? {}).map(([k]) => [k, { value: null }]));
  const copy: PlanJson = { ...plan, resource_changes, output_changes, variables };
  delete copy.planned_values;
  delete copy.prior_state;
  delete copy.resource_drift;
  return copy;
}

/** The summary renders strings as JSON; the marker reads better bare. */
export function unquoteHidden(items: PlanSummaryItem[]): PlanSummaryItem[] {
  const quoted = JSON.stringify(HIDDEN);
  return items.map((i) => ({
    ...i,
    changes: i.changes.map((c) => ({
      ...c,
      before: c.before === quoted ? HIDDEN : c.before,
      after: c.after === quoted ? HIDDEN : c.after,
    })),
  }));
}
