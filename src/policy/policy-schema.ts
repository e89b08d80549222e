import { z } from 'zod';
import { ACTION_TYPES, AttributePathSchema, splitAttributePath } from '../agent/decision-schema.js';

/** Bounds for one attribute. Numbers get min/max/max_step, strings allowed_values. */
export const AttributeBoundsSchema = z
  .object({
    min: z.number().optional(),
    max: z.number().optional(),
    /** Largest change from the current value in one decision. */
    max_step: z.number().positive().optional(),
    allowed_values: z
      .array(z.union([z.string(), z.number(), z.boolean()]))
      .min(1)
      .optional(),
  })
  .strict()
  .refine((b) => b.min === undefined || b.max === undefined || b.min <= b.max, {
    message: 'min must not exceed max',
    path: ['min'],
  });

export const PolicySchema = z
  .object({
    version: z.literal(1).default(1),
    allowed_action_types: z.array(z.enum(ACTION_TYPES)).min(1),
    /** Below this the decision is recorded but blocked (goes to a human). */
    min_confidence: z.number().min(0).max(1),
    /** Attribute paths that may ever be changed. Matched exactly or by last segment. */
    changeable_attributes: z.array(AttributePathSchema),
    attributes: z.record(AttributePathSchema, AttributeBoundsSchema).default({}),
    /**
     * Attribute paths the executor may ADD to a resource block when they are not set yet (placed
     * where `terraform fmt` puts an attribute): e.g. `allow_stopping_for_update`, added as `true`
     * with a GCE machine_type change when `disruption.stop_start` opts the instance in. Matched
     * exactly or by last segment. Default: none (an absent attribute is never added).
     */
    addable_attributes: z.array(AttributePathSchema).max(256).default([]),
    /**
     * A literal several resources read (a variable two resource blocks use): `refuse` (default)
     * sends the change to a human; `allow` edits it when the sharers are root resource blocks, and
     * the plan gate then requires exactly those to change, at the edited attribute, to the same
     * value. Sharers through locals or module calls are refused either way.
     */
    shared_values: z.enum(['refuse', 'allow']).default('refuse'),
    /** Step the rules agent uses when scaling; policy max_step still applies. */
    default_step: z.number().int().positive().default(1),
    cooldown_seconds: z
      .number()
      .int()
      .min(0)
      .max(7 * 86_400),
    /** The executor's plan gate: at most this many resources changed by one plan. */
    max_changed_resources: z.number().int().positive(),
    /**
     * Disruptive changes, refused unless opted in here by resource address (`aws_instance.web`) or
     * type (`google_compute_instance`): `stop_start` = an in-place change applied by stopping the
     * resource (GCE machine_type with allow_stopping_for_update); `replace` = a plan that replaces a
     * resource as a side effect of an edit, or a restart that replaces a whole group (node pool, ASG,
     * ECS service, Deployment). Restarting one instance by `-replace` needs no opt-in.
     */
    disruption: z
      .object({
        stop_start: z.array(z.string().min(1).max(256)).max(256).default([]),
        replace: z.array(z.string().min(1).max(256)).max(256).default([]),
      })
      .strict()
      .default({ stop_start: [], replace: [] }),
    auto_approve: z
      .object({
        enabled: z.boolean().default(false),
        min_confidence: z.number().min(0).max(1).default(0.95),
        action_types: z.array(z.enum(ACTION_TYPES)).default([]),
      })
      .strict()
      .default({ enabled: false, min_confidence: 0.95, action_types: [] }),
  })
  .strict();

export type Policy = z.infer<typeof PolicySchema>;
export type AttributeBounds = z.infer<typeof AttributeBoundsSchema>;

/** The embedded default: conservative, human approval always required. Mirrors policy.example.yaml. */
export const DEFAULT_POLICY: Policy = PolicySchema.parse({
  version: 1,
  allowed_action_types: ['scale_up', 'scale_down', 'restart', 'modify_config', 'rollback', 'no_action'],
  min_confidence: 0.6,
  changeable_attributes: [
    'count',
    'node_count',
    'replicas',
    'spec.replicas',
    'desired_count',
    'desired_capacity',
    'min_size',
    'max_size',
    'machine_type',
    'instance_type',
    'autoscaling.min_node_count',
    'autoscaling.max_node_count',
  ],
  attributes: {
    count: { min: 1, max: 10, max_step: 2 },
    node_count: { min: 1, max: 10, max_step: 2 },
    replicas: { min: 1, max: 10, max_step: 2 },
    'spec.replicas': { min: 1, max: 10, max_step: 2 },
    desired_count: { min: 1, max: 10, max_step: 2 },
    desired_capacity: { min: 1, max: 20, max_step: 2 },
    min_size: { min: 0, max: 20, max_step: 2 },
    max_size: { min: 1, max: 20, max_step: 4 },
    'autoscaling.min_node_count': { min: 0, max: 10, max_step: 2 },
    'autoscaling.max_node_count': { min: 1, max: 20, max_step: 4 },
    machine_type: { allowed_values: ['e2-small', 'e2-medium', 'e2-standard-2', 'e2-standard-4'] },
    instance_type: { allowed_values: ['t3.micro', 't3.small', 't3.medium', 't3.large', 't3.xlarge'] },
  },
  default_step: 1,
  cooldown_seconds: 600,
  max_changed_resources: 3,
  auto_approve: { enabled: false, min_confidence: 0.95, action_types: [] },
});

/**
 * The policy entry for an attribute path: exact match first, then the last segment, so a bound
 * on `node_count` also covers `input.node_count` (terraform_data keeps values under `input`).
 */
export function matchAttributeKey<T>(table: Readonly<Record<string, T>>, path: string): T | undefined {
  if (Object.hasOwn(table, path)) return table[path];
  const last = splitAttributePath(path).at(-1) ?? path;
  return Object.hasOwn(table, last) ? table[last] : undefined;
}

export function isChangeable(policy: Policy, path: string): boolean {
  const last = splitAttributePath(path).at(-1) ?? path;
  return policy.changeable_attributes.some((a) => a === path || a === last);
}

/** True when the policy lets the executor add `path` to a block that does not set it yet. */
export function isAddable(policy: Pick<Policy, 'addable_attributes'>, path: string): boolean {
  const last = splitAttributePath(path).at(-1) ?? path;
  return policy.addable_attributes.some((a) => a === path || a === last);
}

/** True when the policy opts `address` (or its resource type) in to a disruptive change of this kind. */
export function allowsDisruption(
  policy: Pick<Policy, 'disruption'>,
  kind: 'stop_start' | 'replace',
  address: string,
  type: string,
): boolean {
  const list = policy.disruption[kind];
  const block = address.replace(/\[[^\]]*\]$/, '');
  return list.includes(address) || list.includes(block) || list.includes(type);
}
