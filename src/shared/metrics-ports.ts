/**
 * Ports through which code outside the metrics module reports what it measured. They are
 * deliberately tiny and fire-and-forget so domain code can call them without depending on
 * how (or whether) the numbers are exported.
 */

/** One LLM call as the agent saw it. */
export interface LlmCallRecord {
  /** The model name as configured (e.g. gemini-2.5-flash). */
  model: string;
  /** 'ok': usable answer; 'invalid': answered but failed schema validation; 'error'/'timeout': no answer. */
  outcome: 'ok' | 'invalid' | 'error' | 'timeout';
  /** What the call was for (decision, fix, ...); keep the set small. */
  purpose: string;
  latencyMs: number;
  promptTokens?: number;
  outputTokens?: number;
}

/** Records LLM requests, latency and tokens. */
export interface LlmRecorder {
  /** Never throws; cheap enough to call on every request. Not idempotent: each call counts once. */
  record(call: LlmCallRecord): void;
}

/** One finished Terraform command. */
export interface TerraformCommandRecord {
  /** The subcommand (`plan`, `apply`, `init`, `show`, ...). */
  subcommand: string;
  durationMs: number;
  exitCode: number | undefined;
  timedOut: boolean;
  canceled: boolean;
}

/** Hears about every Terraform command the runner finished. Must never throw. */
export type TerraformObserver = (record: TerraformCommandRecord) => void;

export const noopLlmRecorder: LlmRecorder = { record() {} };
