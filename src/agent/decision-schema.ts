import { z } from 'zod';

/** What the agent may propose. Gemini and the rules agent share this list and this schema. */
export const ACTION_TYPES = ['scale_up', 'scale_down', 'restart', 'modify_config', 'rollback', 'no_action'] as const;
export type ActionType = (typeof ACTION_TYPES)[number];

/**
 * Who made a decision: the agent (gemini, rules), a human through POST /infra, or verification
 * proposing a rollback. Mirrors the CHECK constraint on decisions.source in schema.sql.
 */
export const DECISION_SOURCES = ['gemini', 'rules', 'human', 'verification'] as const;
export type DecisionSource = (typeof DECISION_SOURCES)[number];

/** Actions that change infrastructure (everything but no_action). */
export function isActionable(action: ActionType): boolean {
  return action !== 'no_action';
}

/**
 * An attribute path inside a resource, dot-separated: `node_count`, `count`, `input.node_count`,
 * `autoscaling.max_node_count`. Kept narrow so a path can never smuggle HCL or shell syntax.
 */
export const AttributePathSchema = z
  .string()
  .max(128)
  .regex(/^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$/, 'must be a dotted attribute path such as "input.node_count"');

/**
 * The one place a dotted parameter key becomes a path: everything past the decision's external
 * format (parameters, policy keys) carries `string[]`, so a segment is never re-split.
 */
export function splitAttributePath(key: string): string[] {
  return key.split('.');
}

/** The external (dotted) form of a path, for the policy's keys and for messages. */
export function joinAttributePath(path: readonly string[]): string {
  return path.join('.');
}

export const ParameterValueSchema = z.union([z.number(), z.string().max(256), z.boolean()]);
export type ParameterValue = z.infer<typeof ParameterValueSchema>;

export const MAX_PARAMETERS = 16;

/** The one output schema. Field names are part of the public contract; do not rename. */
export const DecisionOutputSchema = z
  .object({
    action_type: z.enum(ACTION_TYPES),
    resource_id: z.string().min(1).max(512),
    parameters: z
      .record(AttributePathSchema, ParameterValueSchema)
      .refine((p) => Object.keys(p).length <= MAX_PARAMETERS, `at most ${MAX_PARAMETERS} parameters`),
    confidence: z.number().min(0).max(1),
    reason: z.string().min(1).max(2000),
  })
  .strict();

export type DecisionOutput = z.infer<typeof DecisionOutputSchema>;

/** JSON Schema handed to Gemini as `responseJsonSchema` (zod remains the validator of record). */
export function decisionJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(DecisionOutputSchema) as Record<string, unknown>;
  // The API does not need the meta-schema URI; dropping it keeps the request small.
  delete schema.$schema;
  return schema;
}

/** Every problem with an output, one line each naming the field. */
export function describeSchemaIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ');
}
