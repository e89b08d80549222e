import type { DecisionContext } from './context.js';
import { DecisionOutputSchema, describeSchemaIssues, type DecisionOutput } from './decision-schema.js';
import type { ModelReply } from './decision-model.js';

export type Interpretation =
  | { kind: 'accepted'; output: DecisionOutput }
  | { kind: 'rejected'; reason: string; output?: DecisionOutput }
  | { kind: 'unavailable'; error: string };

/**
 * Judges a model reply. Anything truncated, unparsable, off-schema or aimed at another resource
 * is rejected — never repaired or silently replaced — so a human sees what the model said.
 */
export function interpretReply(reply: ModelReply, ctx: DecisionContext): Interpretation {
  if (reply.kind === 'unavailable') return { kind: 'unavailable', error: reply.error };
  if (reply.finishReason !== null && reply.finishReason !== 'STOP') {
    return { kind: 'rejected', reason: `output not complete: finishReason ${reply.finishReason}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(reply.text);
  } catch (err) {
    return { kind: 'rejected', reason: `output is not valid JSON: ${(err as Error).message}` };
  }
  const parsed = DecisionOutputSchema.safeParse(json);
  if (!parsed.success)
    return { kind: 'rejected', reason: `output breaks the decision schema: ${describeSchemaIssues(parsed.error)}` };
  const output = parsed.data;
  if (!ctx.acceptedIds.includes(output.resource_id)) {
    return {
      kind: 'rejected',
      reason: `output names resource "${output.resource_id}", not the incident's "${ctx.targetId}"`,
      output,
    };
  }
  // Several spellings name the same target; store the canonical one.
  return { kind: 'accepted', output: { ...output, resource_id: ctx.targetId } };
}
