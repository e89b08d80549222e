import type { ParameterValue } from '../agent/decision-schema.js';
import { evaluateDecision } from '../policy/evaluate.js';
import { allowsDisruption, isAddable, type Policy } from '../policy/policy-schema.js';
import { asNumber } from '../shapes/resource-shapes.js';
import type { ExecutorPolicy } from './ports.js';
import { refuse } from '../shared/result.js';

/**
 * The policy as the executor re-checks it at prepare time: the decision was checked when it was
 * made, but bounds are checked again against the value actually being written. Every rule is
 * evaluateDecision's: this only shapes the one attribute change as a decision.
 *
 * Numeric strings (`spec.replicas = "3"`: a string in schema, state and plan) are bounded as the
 * numbers they are: the value and the current value go to the policy as numbers. Only where the
 * policy lists allowed values is the value also tried as written (`allowed_values: ["3"]`).
 */
export function executorPolicy(policy: () => Policy): ExecutorPolicy {
  const evaluate = (actionType: string, attributePath: string, value: ParameterValue, current: unknown) =>
    evaluateDecision(
      {
        action_type: actionType as Parameters<typeof evaluateDecision>[0]['action_type'],
        resource_id: 'executor-recheck',
        parameters: { [attributePath]: value },
        // Confidence was judged when the decision was made; this re-check is about the value.
        confidence: 1,
        reason: 'executor re-check',
      },
      { [attributePath]: isParameter(current) ? current : undefined },
      policy(),
    );
  return {
    maxChangedResources: () => policy().max_changed_resources,
    check(actionType, attributePath, value, current) {
      let verdict = evaluate(actionType, attributePath, asNumber(value) ?? value, asNumber(current) ?? current);
      if (!verdict.allowed && verdict.rule === 'allowed_values' && typeof value === 'string') {
        verdict = evaluate(actionType, attributePath, value, current);
      }
      return verdict.allowed ? { ok: true } : refuse('POLICY_BLOCKED', verdict.message);
    },
    allowsDisruption: (kind, address, type) => allowsDisruption(policy(), kind, address, type),
    isAddable: (attributePath) => isAddable(policy(), attributePath),
    sharedValues: () => policy().shared_values,
  };
}

function isParameter(v: unknown): v is ParameterValue {
  return typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean';
}
