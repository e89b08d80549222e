/**
 * The plan gate: a plan may change only the target resource(s), and only in the way the action
 * implies. Everything else (drift on another resource, an unexpected destroy, an unknown action
 * kind, `forget`, too many changes) is refused with a reason naming the address. Pure; refusals
 * are return values. `no-op` and `read` entries and `output_changes` are ignored.
 */
import type { PlanJson, ResourceChange } from './plan-json.js';
import type { HclValue } from '../hcl/edit.js';
import { changedLeaves, formatPath, pathUnder, valueAtConfigPath } from './diff.js';
import { changeKindOf, summarisePlan, type PlanSummaryItem } from './summary.js';
import { refuse, type Refusal } from '../shared/result.js';
import { asNumber, isNumericString, shapeOf } from '../shapes/resource-shapes.js';
import { acknowledgedChange, disruptionOf } from './disruption.js';
import { driftItems } from './summary.js';

export { summarisePlan, type PlanSummaryItem } from './summary.js';
export { redactPlanJson } from './redact.js';

export interface PlanExpectation {
  actionType: 'scale_up' | 'scale_down' | 'restart' | 'modify_config' | 'rollback';
  /** Block address (`terraform_data.vm`) or, for restart, possibly one instance (`terraform_data.vm[0]`). */
  targetAddress: string;
  /**
   * Config path of the edited attribute, e.g. ['input','node_count'] or ['autoscaling','max_node_count'].
   * On a restart: the map entry a rolling restart stamps (Deployment annotation, ECS trigger); the
   * plan must then be an in-place update of it, not a replace.
   */
  attributePath?: string[];
  expectedValue?: HclValue;
  /**
   * Several attributes edited by one action (ASG `desired_capacity` + `max_size`, an added
   * `allow_stopping_for_update` + `machine_type`): the plan may change only these paths on the
   * target, and each must end at its expected value. When set, `attributePath`/`expectedValue` are
   * ignored; a single edit may use either form (see `expectedAttributes`).
   */
  attributes?: ExpectedAttribute[];
  /** Set both for scaling through `count`: the plan must create/delete exactly |to - from| instances. */
  countFrom?: number;
  countTo?: number;
  /**
   * The policy opted this address or type in to a replacement (`policy.disruption.replace`, read
   * with `allowsDisruption(policy, 'replace', …)`): an edit may then replace the target when every
   * `replace_paths` entry is the edited attribute. Without it a replace caused by an edit is refused.
   */
  allowReplace?: boolean;
  /**
   * A restart by `-replace` of a group-shaped resource (node pool, ASG, ECS service, Deployment:
   * `shape.group`) recreates every machine in it; accepted only with this flag, set by the executor
   * when the policy names the address or type under `disruption.replace`.
   */
  allowGroupReplace?: boolean;
  /**
   * `stop_start`: the policy lists the target under `disruption.stop_start`, so an edit of an
   * acknowledged attribute (GCE `machine_type` with `allow_stopping_for_update = true`) that stops
   * and starts the resource is accepted. Without it such a plan is refused.
   */
  disruption?: 'stop_start';
  /**
   * Resource blocks that read the edited literal too (policy `shared_values: allow`): each of their
   * instances must change exactly like the target (same paths, same values), and nothing else.
   */
  sharers?: string[];
}

export interface ExpectedAttribute {
  path: string[];
  expectedValue?: HclValue;
}

/** The edited attributes an expectation names: `attributes`, else the one `attributePath`. */
export function expectedAttributes(e: PlanExpectation): ExpectedAttribute[] {
  if (e.attributes !== undefined) return e.attributes;
  if (e.attributePath === undefined || e.attributePath.length === 0) return [];
  return [{ path: e.attributePath, ...(e.expectedValue !== undefined && { expectedValue: e.expectedValue }) }];
}

/** A refused plan keeps each reason apart (the stored gate JSON lists them); `message` joins them. */
export type GateResult =
  { ok: true; summary: PlanSummaryItem[] } | (Refusal<'PLAN_GATE'> & { summary: PlanSummaryItem[]; reasons: string[] });

const IGNORED = new Set(['no-op', 'read']);
const KNOWN = new Set(['create', 'update', 'delete', 'replace']);

/** True when `address` is `target` itself or one instance of it (`target[0]`, `target["a"]`). */
export function isInstanceOf(address: string, target: string): boolean {
  if (address === target) return true;
  return address.startsWith(`${target}[`) && /^\[[^\]]+\]$/.test(address.slice(target.length));
}

/** Refusals every action type shares: unknown kinds, forget, moves, the size limit. */
function commonReasons(changes: ResourceChange[], plan: PlanJson, limits: { maxChangedResources: number }): string[] {
  const reasons: string[] = [];
  if (plan.errored === true) reasons.push('the plan is marked errored');
  for (const rc of changes) {
    const kind = changeKindOf(rc.change.actions);
    if (kind === 'forget') reasons.push(`${rc.address}: "forget" would drop the resource from state`);
    else if (!KNOWN.has(kind))
      reasons.push(`${rc.address}: unknown action "${rc.change.actions.join(',')}" treated as dangerous`);
  }
  if (changes.length > limits.maxChangedResources) {
    reasons.push(`plan changes ${changes.length} resources; the policy allows at most ${limits.maxChangedResources}`);
  }
  return reasons;
}

function outsideTarget(changes: ResourceChange[], target: string): string[] {
  return changes
    .filter((rc) => !isInstanceOf(rc.address, target))
    .map((rc) => `${rc.address}: unexpected ${changeKindOf(rc.change.actions)} outside the target ${target}`);
}

function countReasons(changes: ResourceChange[], e: PlanExpectation, from: number, to: number): string[] {
  const want = to > from ? 'create' : 'delete';
  if ((e.actionType === 'scale_up') !== to > from) {
    return [`${e.actionType} does not match a count change from ${from} to ${to}`];
  }
  const reasons: string[] = [];
  const [lo, hi] = to > from ? [from, to] : [to, from];
  for (const rc of changes.filter((c) => isInstanceOf(c.address, e.targetAddress))) {
    const kind = changeKindOf(rc.change.actions);
    if (kind !== want) reasons.push(`${rc.address}: ${kind}, but scaling ${from} → ${to} may only ${want}`);
    else if (typeof rc.index === 'number' && (rc.index < lo || rc.index >= hi)) {
      reasons.push(`${rc.address}: ${kind} of index ${rc.index}, outside ${lo}..${hi - 1}`);
    }
  }
  const n = changes.filter(
    (c) => isInstanceOf(c.address, e.targetAddress) && changeKindOf(c.change.actions) === want,
  ).length;
  if (n !== hi - lo) reasons.push(`plan would ${want} ${n} instance(s) of ${e.targetAddress}; expected ${hi - lo}`);
  return reasons;
}

/**
 * The planned value equals the expected one. A number and a numeric string are equal when they
 * are the same number (`kubernetes_deployment.spec.replicas` is `"3"` in the plan while the
 * expectation holds 3); on a path the shape holds as a numeric string, two strings are compared
 * as numbers too (`"3"` = `"3.0"`). Anything else must be identical.
 */
export function sameValue(planned: unknown, expected: unknown, numericPath = false): boolean {
  if (planned === expected) return true;
  const mixed = typeof planned !== typeof expected && (typeof planned === 'number' || typeof expected === 'number');
  if (!mixed && !numericPath) return false;
  const a = asNumber(planned);
  const b = asNumber(expected);
  return a !== undefined && b !== undefined && a === b;
}

/** `google_container_node_pool.pool` → "google_container_node_pool.pool or google_container_node_pool". */
function optInNames(rc: ResourceChange): string {
  return `${rc.address.replace(/\[[^\]]*\]$/, '')} or ${rc.type}`;
}

/** A replace of the target caused by an edit: only what the edit forces, and only with the policy's opt-in. */
function replaceReasons(rc: ResourceChange, e: PlanExpectation, edited: readonly ExpectedAttribute[]): string[] {
  const shown = edited.map((a) => a.path.join('.')).join(', ');
  const what = disruptionOf(rc)?.would ?? 'would be replaced';
  const paths = rc.change.replace_paths ?? [];
  const only = paths.length > 0 && paths.every((p) => edited.some((a) => pathUnder(p, a.path)));
  if (!only) return [`${rc.address}: ${what}, expected an in-place update of ${shown}`];
  if (e.allowReplace !== true) {
    return [`${rc.address}: ${what}; allowed only when the policy lists ${optInNames(rc)} under disruption.replace`];
  }
  return [];
}

/** An in-place update of an attribute the provider applies by stopping the resource (or refuses to apply). */
function acknowledgementReasons(rc: ResourceChange, e: PlanExpectation): string[] {
  const found = acknowledgedChange(rc);
  if (found === undefined) return [];
  const { ack, flagSet } = found;
  if (!flagSet) {
    return [
      `${rc.address}: changing ${ack.attribute} needs ${ack.flag} = true in the configuration, else the provider refuses the apply ("${ack.message.split('. ')[0] ?? ack.message}")`,
    ];
  }
  if (e.disruption !== 'stop_start') {
    const what = disruptionOf(rc)?.would ?? 'would stop and start the resource';
    return [`${rc.address}: ${what}; allowed only when the policy lists ${optInNames(rc)} under disruption.stop_start`];
  }
  return [];
}

function attributeReasons(rc: ResourceChange, e: PlanExpectation, edited: readonly ExpectedAttribute[]): string[] {
  const kind = changeKindOf(rc.change.actions);
  const shown = edited.map((a) => a.path.join('.')).join(', ');
  const reasons: string[] = [];
  if (kind === 'replace') {
    reasons.push(...replaceReasons(rc, e, edited));
  } else if (kind !== 'update') {
    return [`${rc.address}: ${kind}, expected an in-place update of ${shown}`];
  } else {
    reasons.push(...acknowledgementReasons(rc, e));
  }
  reasons.push(
    ...changedLeaves(rc.change)
      // Computed attributes become unknown on any update (terraform_data's `output`); they are
      // consequences, not configuration changes, so only known changes are held to the path.
      .filter((leaf) => !leaf.afterUnknown && !edited.some((a) => pathUnder(leaf.path, a.path)))
      .map((leaf) => `${rc.address}: changes ${formatPath(leaf.path)}, expected only ${shown}`),
  );
  // Every edited attribute must end at its value: one left out of the plan is refused as well.
  for (const a of edited) {
    if (a.expectedValue === undefined) continue;
    const one = a.path.join('.');
    const after = valueAtConfigPath(rc.change.after, a.path);
    if (!sameValue(after, a.expectedValue, isNumericString(shapeOf(rc.type), one))) {
      reasons.push(
        `${rc.address}: ${one} would become ${JSON.stringify(after)}, expected ${JSON.stringify(a.expectedValue)}`,
      );
    }
  }
  return reasons;
}

/** A restart by `-replace`: only replaces by request, and a group only with the policy's opt-in by name. */
function restartReasons(changes: ResourceChange[], e: PlanExpectation): string[] {
  const reasons: string[] = [];
  for (const rc of changes.filter((c) => isInstanceOf(c.address, e.targetAddress))) {
    const kind = changeKindOf(rc.change.actions);
    if (kind !== 'replace' || rc.action_reason !== 'replace_by_request') {
      reasons.push(`${rc.address}: ${kind} (${rc.action_reason ?? 'no reason'}), expected a replace by request`);
    } else if (shapeOf(rc.type).group && e.allowGroupReplace !== true) {
      const what = disruptionOf(rc)?.would ?? 'would recreate the whole group';
      reasons.push(
        `${rc.address}: restart ${what}; a group is replaced only when the policy lists ${optInNames(rc)} under disruption.replace`,
      );
    }
  }
  return reasons;
}

/** `autoscaling[0].max_node_count` → `autoscaling.max_node_count` (config path form, for matching). */
function configForm(path: string): string {
  return path.replace(/\[\d+\]/g, '');
}

/**
 * Terraform's refresh found the target changed outside Terraform (`resource_drift`): acting now
 * would be decided on stale numbers and would silently revert the outside change. Refused with
 * what state holds and what the cloud holds (redacted), the edited attribute first.
 */
function driftReasons(plan: PlanJson, e: PlanExpectation): string[] {
  const edited = expectedAttributes(e).map((a) => a.path.join('.'));
  const touches = (p: string): boolean => edited.some((x) => configForm(p) === x || configForm(p).startsWith(`${x}.`));
  return driftItems(plan)
    .filter((item) => isInstanceOf(item.address, e.targetAddress) || isInstanceOf(e.targetAddress, item.address))
    .map((item) => {
      if (item.action === 'delete') {
        return `${item.address}: no longer exists in the cloud but is in state: deleted outside Terraform; reconcile before acting`;
      }
      const leaves = item.changes.filter((c) => !c.path.startsWith('… '));
      const ordered = [...leaves.filter((c) => touches(c.path)), ...leaves.filter((c) => !touches(c.path))];
      const shown = ordered
        .slice(0, 3)
        .map((c) => `${c.path} is ${c.after} in the cloud but ${c.before} in state`)
        .join(', ');
      const more = ordered.length > 3 ? ` (and ${ordered.length - 3} more)` : '';
      return `${item.address}: ${shown || 'changed'}${more}: changed outside Terraform; reconcile before acting`;
    });
}

/** Refusals specific to the action type (besides the shared ones). */
function actionReasons(changes: ResourceChange[], plan: PlanJson, e: PlanExpectation): string[] {
  if (e.actionType === 'rollback') return [];
  const sharers = e.sharers ?? [];
  const isSharer = (rc: ResourceChange) => sharers.some((s) => isInstanceOf(rc.address, s));
  const onTarget = changes.filter((rc) => isInstanceOf(rc.address, e.targetAddress));
  const reasons = [
    ...driftReasons(plan, e),
    ...outsideTarget(
      changes.filter((rc) => !isSharer(rc)),
      e.targetAddress,
    ),
  ];
  for (const s of sharers)
    if (!changes.some((rc) => isInstanceOf(rc.address, s)))
      reasons.push(`${s} reads the edited value but the plan does not change it`);
  if (onTarget.length === 0) reasons.push(`plan does not change the target ${e.targetAddress}`);
  const edited = expectedAttributes(e);
  if (e.actionType === 'restart' && edited.length === 0) {
    return [...reasons, ...restartReasons(changes, e)];
  }
  if (e.countFrom !== undefined && e.countTo !== undefined) {
    return [...reasons, ...countReasons(changes, e, e.countFrom, e.countTo)];
  }
  if (edited.length === 0) {
    return [...reasons, `${e.actionType} expectation names neither an attribute path nor countFrom/countTo`];
  }
  return [...reasons, ...[...onTarget, ...changes.filter(isSharer)].flatMap((rc) => attributeReasons(rc, e, edited))];
}

/**
 * Checks that `plan` does only what `expectation` implies. Pure; never throws. The summary is
 * always returned (redacted) so a refused plan can be shown to a human.
 */
export function gatePlan(
  plan: PlanJson,
  expectation: PlanExpectation,
  limits: { maxChangedResources: number },
): GateResult {
  const summary = summarisePlan(plan);
  const changes = (plan.resource_changes ?? []).filter((rc) => !IGNORED.has(changeKindOf(rc.change.actions)));
  const reasons = [...commonReasons(changes, plan, limits), ...actionReasons(changes, plan, expectation)];
  if (reasons.length === 0) return { ok: true, summary };
  const unique = [...new Set(reasons)];
  return { ...refuse('PLAN_GATE', unique.join('; ')), summary, reasons: unique };
}
