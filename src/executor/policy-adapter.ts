import type { ParameterValue } from '../agent/decision-schema.js';
import { evaluateDecision } from '../policy/evaluate.js';
import type { Policy } from '../policy/policy-schema.js';
import type { ExecutorPolicy } from './ports.js';
import { refuse } from '../shared/result.js';

/**
 * The policy as the executor re-checks it at prepare time: the decision was checked when it was
 * made, but bounds are checked again against the value actually being written. Every rule is
 * evaluateDecision's: this only shapes the one attribute change as a decision.
 */
export function executorPolicy(policy: () => Policy): ExecutorPolicy {
  return {
    maxChangedResources: () => policy().max_changed_resources,
    check(actionType, attributePath, value, current) {
      const verdict = evaluateDecision(
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
      return verdict.allowed ? { ok: true } : refuse('POLICY_BLOCKED', verdict.message);
    },
  };
}

function isParameter(v: unknown): v is ParameterValue {
  return typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean';
}
