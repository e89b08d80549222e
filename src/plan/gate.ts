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

export { summarisePlan, type PlanSummaryItem } from './summary.js';
export { redactPlanJson } from './redact.js';

export interface PlanExpectation {
  actionType: 'scale_up' | 'scale_down' | 'restart' | 'modify_config' | 'rollback';
  /** Block address (`terraform_data.vm`) or, for restart, possibly one instance (`terraform_data.vm[0]`). */
  targetAddress: string;
  /** Config path of the edited attribute, e.g. ['input','node_count'] or ['autoscaling','max_node_count']. */
  attributePath?: string[];
  expectedValue?: HclValue;
  /** Set both for scaling through `count`: the plan must create/delete exactly |to - from| instances. */
  countFrom?: number;
  countTo?: number;
  /** Accept a replace (instead of update) when every `replace_paths` entry is the edited attribute. */
  allowReplace?: boolean;
  /**
   * Set by the executor (s2, issue 13): the action is a restart made as an in-place edit of one
   * map entry to the current time (`attributePath`, e.g. a Deployment's restartedAt annotation);
   * `actionType` is then `modify_config`, so the plan must be an update of that path only.
   */
  restartMethod?: 'stamp';
  /**
   * Set by the executor: a restart `-replace` of a group resource (node pool, ASG…) that the
   * policy opted in to by name (`disruption.replace`). Without it a group is never replaced.
   */
  allowGroupReplace?: boolean;
  /**
   * Set by the executor: the change is disruptive and the policy allowed it (`stop_start`: an
   * acknowledged attribute such as GCE machine_type with allow_stopping_for_update; `replace`:
   * the opted-in group replace). For the plan summary / approval message.
   */
  disruption?: 'stop_start' | 'replace';
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

function attributeReasons(rc: ResourceChange, e: PlanExpectation, path: string[]): string[] {
  const kind = changeKindOf(rc.change.actions);
  const shown = path.join('.');
  if (kind === 'replace') {
    const paths = rc.change.replace_paths ?? [];
    const only = paths.length > 0 && paths.every((p) => pathUnder(p, path));
    if (!(e.allowReplace === true && only)) {
      return [
        `${rc.address}: would be replaced (${rc.action_reason ?? 'no reason given'}), expected an in-place update of ${shown}`,
      ];
    }
  } else if (kind !== 'update') {
    return [`${rc.address}: ${kind}, expected an in-place update of ${shown}`];
  }
  const reasons = changedLeaves(rc.change)
    // Computed attributes become unknown on any update (terraform_data's `output`); they are
    // consequences, not configuration changes, so only known changes are held to the path.
    .filter((leaf) => !leaf.afterUnknown && !pathUnder(leaf.path, path))
    .map((leaf) => `${rc.address}: changes ${formatPath(leaf.path)}, expected only ${shown}`);
  if (e.expectedValue !== undefined) {
    const after = valueAtConfigPath(rc.change.after, path);
    if (after !== e.expectedValue) {
      reasons.push(
        `${rc.address}: ${shown} would become ${JSON.stringify(after)}, expected ${JSON.stringify(e.expectedValue)}`,
      );
    }
  }
  return reasons;
}

function restartReasons(changes: ResourceChange[], target: string): string[] {
  return changes
    .filter((rc) => isInstanceOf(rc.address, target))
    .filter((rc) => changeKindOf(rc.change.actions) !== 'replace' || rc.action_reason !== 'replace_by_request')
    .map(
      (rc) =>
        `${rc.address}: ${changeKindOf(rc.change.actions)} (${rc.action_reason ?? 'no reason'}), expected a replace by request`,
    );
}

/** Refusals specific to the action type (besides the shared ones). */
function actionReasons(changes: ResourceChange[], e: PlanExpectation): string[] {
  if (e.actionType === 'rollback') return [];
  const onTarget = changes.filter((rc) => isInstanceOf(rc.address, e.targetAddress));
  const reasons = outsideTarget(changes, e.targetAddress);
  if (onTarget.length === 0) reasons.push(`plan does not change the target ${e.targetAddress}`);
  if (e.actionType === 'restart') return [...reasons, ...restartReasons(changes, e.targetAddress)];
  if (e.countFrom !== undefined && e.countTo !== undefined) {
    return [...reasons, ...countReasons(changes, e, e.countFrom, e.countTo)];
  }
  if (e.attributePath === undefined || e.attributePath.length === 0) {
    return [...reasons, `${e.actionType} expectation names neither an attribute path nor countFrom/countTo`];
  }
  const path = e.attributePath;
  return [...reasons, ...onTarget.flatMap((rc) => attributeReasons(rc, e, path))];
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
  const reasons = [...commonReasons(changes, plan, limits), ...actionReasons(changes, expectation)];
  if (reasons.length === 0) return { ok: true, summary };
  const unique = [...new Set(reasons)];
  return { ...refuse('PLAN_GATE', unique.join('; ')), summary, reasons: unique };
}
