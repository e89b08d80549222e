import type { DecisionOutput, ParameterValue } from '../agent/decision-schema.js';
import { isChangeable, matchAttributeKey, type AttributeBounds, type Policy } from './policy-schema.js';

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
  | 'allowed_values';

export type PolicyVerdict =
  { allowed: true; autoApprove: boolean } | { allowed: false; rule: PolicyRule; message: string };

/** Current values of the decision's parameter paths, read from the registry (undefined = unknown). */
export type CurrentValues = Readonly<Record<string, ParameterValue | undefined>>;

type Refusal = Extract<PolicyVerdict, { allowed: false }>;
const refuse = (rule: PolicyRule, message: string): Refusal => ({ allowed: false, rule, message });

/**
 * Checks a decision against the policy. Pure; a refusal is a return value, not an exception.
 * no_action is always allowed (it changes nothing).
 */
export function evaluateDecision(decision: DecisionOutput, current: CurrentValues, policy: Policy): PolicyVerdict {
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
  for (const [path, value] of params) {
    const problem = checkParameter(decision.action_type, path, value, current[path], policy);
    if (problem) return problem;
  }
  return { allowed: true, autoApprove: autoApproves(decision, policy) };
}

function checkParameter(
  action: DecisionOutput['action_type'],
  path: string,
  value: ParameterValue,
  current: ParameterValue | undefined,
  policy: Policy,
): Refusal | undefined {
  if (!isChangeable(policy, path)) {
    return refuse('changeable_attributes', `attribute "${path}" is not in changeable_attributes`);
  }
  const bounds = matchAttributeKey(policy.attributes, path);
  if (bounds?.allowed_values && !bounds.allowed_values.includes(value)) {
    return refuse(
      'allowed_values',
      `${path}=${JSON.stringify(value)} is not one of ${JSON.stringify(bounds.allowed_values)}`,
    );
  }
  const numeric =
    bounds !== undefined && (bounds.min !== undefined || bounds.max !== undefined || bounds.max_step !== undefined);
  // Scaling is a numeric step whatever the bounds say; the executor relies on this rule.
  const scaling = action === 'scale_up' || action === 'scale_down';
  if (typeof value !== 'number') {
    return numeric || scaling
      ? refuse('value_type', `${path} must be a number, got ${JSON.stringify(value)}`)
      : undefined;
  }
  if (!Number.isFinite(value)) return refuse('value_type', `${path} must be a finite number`);
  return checkNumber(action, path, value, current, bounds);
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
