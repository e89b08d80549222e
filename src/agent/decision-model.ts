/** The port the agent uses to ask a language model; the Gemini adapter implements it. */

export interface ModelRequest {
  systemInstruction: string;
  /** Already redacted and scrubbed. */
  prompt: string;
  /** JSON Schema the answer must follow (constrained decoding). */
  responseJsonSchema: Record<string, unknown>;
}

interface ReplyBase {
  model: string;
  /** Wall time across every attempt, in ms. */
  latencyMs: number;
  attempts: number;
}

export type ModelReply =
  | (ReplyBase & {
      kind: 'answer';
      text: string;
      /** STOP, MAX_TOKENS, SAFETY… as the API reports it; null when absent. */
      finishReason: string | null;
      promptTokens: number | null;
      outputTokens: number | null;
    })
  | (ReplyBase & {
      kind: 'unavailable';
      /** What failed last (HTTP status and message, or timeout); already free of the key. */
      error: string;
      status: number | null;
    });

export interface DecisionModel {
  readonly model: string;
  /**
   * Asks the model once (with the adapter's bounded retries on 429/5xx/timeouts).
   * Never throws: transport failures come back as `kind: 'unavailable'`. Not idempotent
   * (each call is a billed request).
   */
  generate(request: ModelRequest): Promise<ModelReply>;
}
