import { allowsDisruption, matchAttributeKey } from '../policy/policy-schema.js';
import { shapeOf } from '../shapes/resource-shapes.js';
import { countInstances } from './attribute-paths.js';
import type { DecisionContext, IncidentAlert } from './context.js';
import type { DecisionOutput } from './decision-schema.js';

/** Fixed confidence per rule; documented in src/agent/README.md. */
export const RULE_CONFIDENCE = { scale_up: 0.8, scale_down: 0.7, restart: 0.6, no_action: 0.5 } as const;

// Matched against the alert text split into lower-case words joined by "_" ("CPULow" → "cpu_low"),
// so "SlowQueries" is not "low" and "Slowdown" is not "down".
const RESTART = /crash|(^|_)(oom\w*|down|unhealthy|unreachable|restart\w*)(_|$)|not_?ready/;
const LOW = /(^|_)(low|idle|unused|under_?utili[sz]\w*|underused)(_|$)/;
const HIGH = /cpu|memory|mem|saturat|load|latency|queue/;

type Signal = 'restart' | 'low' | 'high' | 'none';

/** The text an alert is classified by: its name and the metric it measures. */
export function alertText(a: IncidentAlert): string {
  return [a.alertname, a.labels.metric, a.labels.__name__, a.labels.reason]
    .filter((t): t is string => typeof t === 'string' && t !== '')
    .join(' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '')
    .join('_');
}

function threshold(a: IncidentAlert): number | undefined {
  const raw = a.labels.threshold ?? a.annotations.threshold;
  const n = raw === undefined ? Number.NaN : Number(raw);
  return Number.isFinite(n) ? n : undefined;
}

/** Classifies one firing alert. Restart beats low beats high (an OOM on memory is a restart). */
export function classifyAlert(a: IncidentAlert): Signal {
  if (a.status !== 'firing') return 'none';
  const text = alertText(a);
  if (RESTART.test(text)) return 'restart';
  if (LOW.test(text)) return 'low';
  if (!HIGH.test(text)) return 'none';
  const t = threshold(a);
  // A value known to be below its own threshold is not "high", whatever the alert is called.
  return t !== undefined && a.value !== null && a.value < t ? 'none' : 'high';
}

function strongest(alerts: readonly IncidentAlert[]): { signal: Signal; alert?: IncidentAlert } {
  for (const wanted of ['restart', 'high', 'low'] as const) {
    const alert = alerts.find((a) => classifyAlert(a) === wanted);
    if (alert) return { signal: wanted, alert };
  }
  return { signal: 'none' };
}

function noAction(ctx: DecisionContext, reason: string): DecisionOutput {
  return {
    action_type: 'no_action',
    resource_id: ctx.targetId,
    parameters: {},
    confidence: RULE_CONFIDENCE.no_action,
    reason,
  };
}

/**
 * The attribute the shape table says this action changes (`src/shapes`), stepped by the policy's
 * `default_step` / `max_step` and kept within both the policy's min/max and the resource's own
 * bounds (ASG `min_size..max_size`). Types without an entry (terraform_data) use the generic
 * shape: the first of count, node_count, replicas, desired_count, autoscaling.*.
 */
function scale(ctx: DecisionContext, direction: 'up' | 'down', why: string): DecisionOutput {
  const found = shapeOf(ctx.resource.type).scale(
    {
      attributes: ctx.resource.attributes,
      ignoredChanges: ctx.resource.ignoredChanges ?? [],
      countInstances: countInstances(ctx.resource, ctx.neighbours),
    },
    direction,
  );
  if (!found.ok) return noAction(ctx, `${why}, but ${ctx.targetId}: ${found.reason}`);
  const bounds = matchAttributeKey(ctx.policy.attributes, found.path);
  const step = Math.min(ctx.policy.default_step, bounds?.max_step ?? Number.POSITIVE_INFINITY);
  const policyLimit = direction === 'up' ? (bounds?.max ?? Number.POSITIVE_INFINITY) : (bounds?.min ?? 0);
  const ownLimit = direction === 'up' ? found.max : found.min;
  const limit =
    ownLimit === undefined
      ? policyLimit
      : direction === 'up'
        ? Math.min(policyLimit, ownLimit)
        : Math.max(policyLimit, ownLimit);
  // The resource's own bound moves with the value (ASG max_size), within what the policy allows it.
  const moved = found.bound === undefined ? undefined : boundLimit(ctx, found.bound, direction);
  const withBound =
    moved === undefined ? limit : direction === 'up' ? Math.min(limit, moved.limit) : Math.max(limit, moved.limit);
  const target =
    direction === 'up' ? Math.min(found.current + step, withBound) : Math.max(found.current - step, withBound);
  if (direction === 'up' ? target <= found.current : target >= found.current) {
    const own = ownLimit !== undefined && ownLimit === limit && ownLimit !== policyLimit;
    const side = direction === 'up' ? 'max' : 'min';
    if (found.bound !== undefined && moved !== undefined && withBound === moved.limit) {
      return noAction(
        ctx,
        `${why}, but ${found.path} is at ${found.bound.path} (${found.bound.current}) and the policy ${side} of ${found.bound.path} (${moved.limit}) blocks moving it`,
      );
    }
    return noAction(
      ctx,
      own
        ? `${why}, but ${found.path} is already at the resource's own ${side} (${found.current})`
        : `${why}, but ${found.path} is already at its policy ${side} (${found.current})`,
    );
  }
  const action = direction === 'up' ? 'scale_up' : 'scale_down';
  const bound = found.bound;
  if (bound !== undefined) {
    return {
      action_type: action,
      resource_id: ctx.targetId,
      parameters: { [found.path]: target, [bound.path]: target },
      confidence: RULE_CONFIDENCE[action],
      reason: `${why}: ${found.path} ${found.current} → ${target}, and ${bound.path} ${bound.current} → ${target} with it (${found.path} was at ${bound.path})`,
    };
  }
  return {
    action_type: action,
    resource_id: ctx.targetId,
    parameters: { [found.path]: target },
    confidence: RULE_CONFIDENCE[action],
    reason: `${why}: ${found.path} ${found.current} → ${target}`,
  };
}

/**
 * How far the resource's own bound may move with the value: the policy's max (up) / min (down) of
 * that bound, and its max_step from the bound's current value.
 */
function boundLimit(
  ctx: DecisionContext,
  bound: { path: string; current: number },
  direction: 'up' | 'down',
): { limit: number } {
  const b = matchAttributeKey(ctx.policy.attributes, bound.path);
  const step = b?.max_step ?? Number.POSITIVE_INFINITY;
  return direction === 'up'
    ? { limit: Math.min(b?.max ?? Number.POSITIVE_INFINITY, bound.current + step) }
    : { limit: Math.max(b?.min ?? 0, bound.current - step) };
}

/** What the restart will do on this type, said in the decision's reason (the policy check decides). */
function restartReason(ctx: DecisionContext, label: string): string {
  const { type, address } = ctx.resource;
  const method = shapeOf(type).restart;
  switch (method.kind) {
    case 'replace':
      return `${label} reports the resource unhealthy: replace it`;
    case 'stamp':
      return `${label} reports the resource unhealthy: rolling restart (stamp ${method.path.join('.')} with the time)`;
    case 'human':
      return allowsDisruption(ctx.policy, 'replace', address, type)
        ? `${label} reports the resource unhealthy: replace it (the policy opts ${type} / ${ctx.targetId} in to a replace)`
        : `${label} reports the resource unhealthy; restarting ${type} needs a human: ${method.reason}`;
  }
}

/**
 * The deterministic agent: the embedded default and the fallback when Gemini is unavailable.
 * Pure and total: every context yields a schema-valid decision.
 */
export function decideByRules(ctx: DecisionContext): DecisionOutput {
  const { signal, alert } = strongest(ctx.alerts);
  const label = alert ? `${alert.alertname}${alert.value !== null ? ` (value ${alert.value})` : ''}` : '';
  switch (signal) {
    case 'restart':
      return {
        action_type: 'restart',
        resource_id: ctx.targetId,
        parameters: {},
        confidence: RULE_CONFIDENCE.restart,
        reason: restartReason(ctx, label),
      };
    case 'high':
      return scale(ctx, 'up', `${label} is high`);
    case 'low':
      return scale(ctx, 'down', `${label} is low`);
    default:
      return noAction(ctx, 'no rule matches the firing alerts');
  }
}
