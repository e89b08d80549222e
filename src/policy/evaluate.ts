import type { DecisionOutput, ParameterValue } from '../agent/decision-schema.js';
import {
  asNumber,
  forbiddenChange,
  ignoreRuleFor,
  isNumericString,
  readPath,
  shapeOf,
  type ResourceShape,
} from '../shapes/resource-shapes.js';
import {
  allowsDisruption,
  isChangeable,
  matchAttributeKey,
  type AttributeBounds,
  type Policy,
} from './policy-schema.js';

/** Names of the rules a decision can break; stored with the decision as the verdict. */
export type PolicyRule =
  | 'allowed_action_types'
  | 'min_confidence'
  | 'changeable_attributes'
  | 'missing_parameters'
  | 'value_type'
  | 'min'
  | 'max'
  | 'max_step'
  | 'unknown_current_value'
  | 'direction'
  | 'allowed_values'
  | 'forbidden_attribute'
  | 'ignore_changes'
  | 'restart_method'
  | 'disruption';

export type PolicyVerdict =
  { allowed: true; autoApprove: boolean } | { allowed: false; rule: PolicyRule; message: string };

/** Current values of the decision's parameter paths, read from the registry (undefined = unknown). */
export type CurrentValues = Readonly<Record<string, ParameterValue | undefined>>;

/**
 * The resource a decision acts on, as the shape rules need it (a RegistryResource fits). Without
 * it only the policy file's own rules apply (the executor's value re-check, rollbacks).
 */
export interface PolicyResource {
  /** Instance or block address (`aws_autoscaling_group.web`); disruption opt-ins match it or its block. */
  address: string;
  type: string;
  /** State attributes (nested blocks as one-element lists). */
  attributes: Readonly<Record<string, unknown>>;
  /** The block's `lifecycle { ignore_changes }`, when known. */
  ignoredChanges?: readonly string[];
}

type Refusal = Extract<PolicyVerdict, { allowed: false }>;
const refuse = (rule: PolicyRule, message: string): Refusal => ({ allowed: false, rule, message });

/**
 * Checks a decision against the policy. Pure; a refusal is a return value, not an exception.
 * no_action is always allowed (it changes nothing). With `resource`, the shape table's rules for
 * its type apply too (`src/shapes`): forbidden paths, ignore_changes, the restart method, changes
 * that stop the resource, numeric strings.
 */
export function evaluateDecision(
  decision: DecisionOutput,
  current: CurrentValues,
  policy: Policy,
  resource?: PolicyResource,
): PolicyVerdict {
  if (!policy.allowed_action_types.includes(decision.action_type)) {
    return refuse('allowed_action_types', `action "${decision.action_type}" is not in allowed_action_types`);
  }
  if (decision.action_type === 'no_action') return { allowed: true, autoApprove: false };
  if (decision.confidence < policy.min_confidence) {
    return refuse(
      'min_confidence',
      `confidence ${decision.confidence} is below min_confidence ${policy.min_confidence}`,
    );
  }
  const params = Object.entries(decision.parameters);
  if (
    params.length === 0 &&
    (decision.action_type === 'scale_up' ||
      decision.action_type === 'scale_down' ||
      decision.action_type === 'modify_config')
  ) {
    return refuse('missing_parameters', `${decision.action_type} needs at least one parameter`);
  }
  const shape = resource ? shapeOf(resource.type) : undefined;
  if (decision.action_type === 'restart' && resource && shape) {
    const problem = checkRestart(shape, resource, policy);
    if (problem) return problem;
  }
  for (const [path, value] of params) {
    const problem =
      (resource && shape && checkShape(decision.action_type, path, shape, resource, policy)) ||
      checkParameter(decision.action_type, path, value, current[path], policy, shape);
    if (problem) return problem;
  }
  return { allowed: true, autoApprove: autoApproves(decision, policy) };
}

/**
 * A restart whose method on this type is `human` (node pool, ASG: no Terraform-side rolling
 * restart, and a replace would recreate the whole group) goes to a human unless the policy's
 * `disruption.replace` names the address, its block or its type. A rolling restart that needs a
 * configuration flag (ECS `force_new_deployment = true`) is refused when the state says it is off.
 */
function checkRestart(shape: ResourceShape, resource: PolicyResource, policy: Policy): Refusal | undefined {
  const method = shape.restart;
  if (method.kind === 'human') {
    if (allowsDisruption(policy, 'replace', resource.address, resource.type)) return undefined;
    return refuse(
      'restart_method',
      `restarting ${resource.address} needs a human: ${method.reason} (policy disruption.replace lists neither ${resource.address} nor ${resource.type})`,
    );
  }
  if (method.kind === 'stamp' && method.requires) {
    const flag = method.requires.path.join('.');
    const now = readPath(resource.attributes, flag);
    if (now !== undefined && now !== null && now !== method.requires.value) {
      return refuse(
        'restart_method',
        `a rolling restart of ${resource.address} needs ${flag} = ${String(method.requires.value)} in its configuration (it is ${JSON.stringify(now)}); a human decides`,
      );
    }
  }
  return undefined;
}

/** The shape table's rules for one changed path: never-changed paths, ignore_changes, stop/start opt-in. */
function checkShape(
  action: DecisionOutput['action_type'],
  path: string,
  shape: ResourceShape,
  resource: PolicyResource,
  policy: Policy,
): Refusal | undefined {
  const forbidden = forbiddenChange(shape, path, resource.attributes);
  if (forbidden)
    return refuse('forbidden_attribute', `${path} on ${resource.type} is never changed: ${forbidden.reason}`);
  const ignored = resource.ignoredChanges ?? [];
  const rule = ignoreRuleFor(ignored, path);
  if (rule !== undefined) {
    const direction = action === 'scale_down' ? 'down' : 'up';
    const other =
      action === 'scale_up' || action === 'scale_down'
        ? shape.scale({ attributes: resource.attributes, ignoredChanges: ignored }, direction)
        : undefined;
    const instead = other?.ok && other.path !== path ? `change ${other.path} instead, or ` : '';
    return refuse(
      'ignore_changes',
      `${path} is covered by lifecycle { ignore_changes = [${rule}] } of ${resource.address}: Terraform would not apply it; ${instead}remove it from ignore_changes`,
    );
  }
  const ack = shape.acknowledgements.find((a) => a.attribute === path);
  if (ack && !allowsDisruption(policy, ack.disruption, resource.address, resource.type)) {
    return refuse(
      'disruption',
      `changing ${path} on ${resource.address} stops and starts it (${ack.flag} = true); allowed only when policy disruption.${ack.disruption} lists ${resource.address} or ${resource.type}`,
    );
  }
  return undefined;
}

/**
 * A number, or a numeric string held where numbers are expected: on a path the shape table marks
 * (`spec.replicas = "3"`), or where the current value is itself a numeric string.
 */
function numericValue(
  value: ParameterValue | undefined,
  path: string,
  current: ParameterValue | undefined,
  shape: ResourceShape | undefined,
): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  const stringy =
    (shape !== undefined && isNumericString(shape, path)) ||
    (typeof current === 'string' && asNumber(current) !== undefined);
  return stringy ? asNumber(value) : undefined;
}

function checkParameter(
  action: DecisionOutput['action_type'],
  path: string,
  value: ParameterValue,
  current: ParameterValue | undefined,
  policy: Policy,
  shape: ResourceShape | undefined,
): Refusal | undefined {
  if (!isChangeable(policy, path)) {
    return refuse('changeable_attributes', `attribute "${path}" is not in changeable_attributes`);
  }
  const bounds = matchAttributeKey(policy.attributes, path);
  const asNum = numericValue(value, path, current, shape);
  const listed = (v: ParameterValue) => v === value || (asNum !== undefined && asNumber(v) === asNum);
  if (bounds?.allowed_values && !bounds.allowed_values.some(listed)) {
    return refuse(
      'allowed_values',
      `${path}=${JSON.stringify(value)} is not one of ${JSON.stringify(bounds.allowed_values)}`,
    );
  }
  const numeric =
    bounds !== undefined && (bounds.min !== undefined || bounds.max !== undefined || bounds.max_step !== undefined);
  // Scaling is a numeric step whatever the bounds say; the executor relies on this rule.
  const scaling = action === 'scale_up' || action === 'scale_down';
  if (asNum === undefined) {
    return numeric || scaling
      ? refuse('value_type', `${path} must be a number, got ${JSON.stringify(value)}`)
      : undefined;
  }
  if (!Number.isFinite(asNum)) return refuse('value_type', `${path} must be a finite number`);
  // A numeric string in state (`"2"`) is a number to compare with.
  return checkNumber(action, path, asNum, typeof current === 'string' ? asNumber(current) : current, bounds);
}

function checkNumber(
  action: DecisionOutput['action_type'],
  path: string,
  value: number,
  current: ParameterValue | undefined,
  bounds: AttributeBounds | undefined,
): Refusal | undefined {
  if (bounds?.min !== undefined && value < bounds.min)
    return refuse('min', `${path}=${value} is below min ${bounds.min}`);
  if (bounds?.max !== undefined && value > bounds.max)
    return refuse('max', `${path}=${value} is above max ${bounds.max}`);
  const scaling = action === 'scale_up' || action === 'scale_down';
  if (bounds?.max_step === undefined && !scaling) return undefined;
  if (typeof current !== 'number') {
    // A step can only be judged against a known starting point; guessing would defeat max_step.
    return refuse('unknown_current_value', `current value of ${path} is unknown, so the step cannot be checked`);
  }
  if (action === 'scale_up' && value <= current)
    return refuse('direction', `scale_up must raise ${path} above ${current}, got ${value}`);
  if (action === 'scale_down' && value >= current)
    return refuse('direction', `scale_down must lower ${path} below ${current}, got ${value}`);
  if (bounds?.max_step !== undefined && Math.abs(value - current) > bounds.max_step) {
    return refuse(
      'max_step',
      `${path} ${current}→${value} changes by ${Math.abs(value - current)}, more than max_step ${bounds.max_step}`,
    );
  }
  return undefined;
}

/** The auto-approval part of the policy (Policy['auto_approve']); approvals pass theirs as is. */
export interface AutoApprovePolicy {
  enabled: boolean;
  min_confidence: number;
  action_types: readonly string[];
}

export type AutoApproveVerdict = { approve: true; reason: string } | { approve: false; reason: string };

/**
 * The one auto-approval rule: enabled, action type listed, confidence high enough. Pure. Used
 * at decision time (the verdict's autoApprove) and by approvals when an action awaits approval.
 */
export function autoApproveVerdict(
  a: AutoApprovePolicy,
  c: { actionType: string; confidence: number },
): AutoApproveVerdict {
  if (!a.enabled) return { approve: false, reason: 'auto-approve is disabled' };
  if (!a.action_types.includes(c.actionType)) {
    return { approve: false, reason: `action type ${c.actionType} is not in auto_approve.action_types` };
  }
  if (!(c.confidence >= a.min_confidence))
    return { approve: false, reason: `confidence ${c.confidence} is below ${a.min_confidence}` };
  return {
    approve: true,
    reason: `auto-approved by policy: ${c.actionType}, confidence ${c.confidence} ≥ ${a.min_confidence}`,
  };
}

/** True when the policy lets this decision through without a human (off by default). */
export function autoApproves(decision: DecisionOutput, policy: Policy): boolean {
  return autoApproveVerdict(policy.auto_approve, { actionType: decision.action_type, confidence: decision.confidence })
    .approve;
}
