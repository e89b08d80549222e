import { scrubText } from '../shared/redact.js';
import { buildPrompt, type DecisionContext } from './context.js';
import { decisionJsonSchema, type DecisionOutput } from './decision-schema.js';
import type { DecisionModel } from './decision-model.js';
import { interpretReply } from './llm-agent.js';
import { decideByRules } from './rules-agent.js';

/** The model exchange kept with the decision (prompt and response already redacted). */
export interface LlmExchange {
  model: string;
  prompt: string;
  response: string | null;
  latencyMs: number;
  attempts: number;
  promptTokens: number | null;
  outputTokens: number | null;
  /** Why the model's answer was not used (unavailable, truncated, off-schema, wrong resource). */
  error: string | null;
}

export interface AgentResult {
  output: DecisionOutput;
  source: 'gemini' | 'rules';
  /** `llm_rejected`: the model answered but the answer was unusable; a human must look. */
  outcome: 'decided' | 'llm_rejected';
  llm?: LlmExchange;
}

/**
 * Asks Gemini when a model is configured, otherwise the rules. Gemini unreachable after its
 * retries → rules, with the failure kept in `llm.error`. Gemini answered badly → rejected,
 * never replaced by the rules, so the bad answer reaches a human. Never throws.
 */
export async function runAgent(ctx: DecisionContext, model: DecisionModel | undefined): Promise<AgentResult> {
  if (!model) return { output: decideByRules(ctx), source: 'rules', outcome: 'decided' };
  const { systemInstruction, prompt } = buildPrompt(ctx);
  const reply = await model.generate({ systemInstruction, prompt, responseJsonSchema: decisionJsonSchema() });
  const verdict = interpretReply(reply, ctx);
  const llm: LlmExchange = {
    model: reply.model,
    prompt,
    response: reply.kind === 'answer' ? scrubText(reply.text, []) : null,
    latencyMs: reply.latencyMs,
    attempts: reply.attempts,
    promptTokens: reply.kind === 'answer' ? reply.promptTokens : null,
    outputTokens: reply.kind === 'answer' ? reply.outputTokens : null,
    error: null,
  };
  switch (verdict.kind) {
    case 'accepted':
      return { output: verdict.output, source: 'gemini', outcome: 'decided', llm };
    case 'unavailable':
      return {
        output: decideByRules(ctx),
        source: 'rules',
        outcome: 'decided',
        llm: { ...llm, error: `gemini unavailable: ${verdict.error}` },
      };
    case 'rejected':
      return {
        output: verdict.output ?? {
          action_type: 'no_action',
          resource_id: ctx.targetId,
          parameters: {},
          confidence: 0,
          reason: `Gemini output rejected: ${verdict.reason}`,
        },
        source: 'gemini',
        outcome: 'llm_rejected',
        llm: { ...llm, error: verdict.reason },
      };
  }
}
