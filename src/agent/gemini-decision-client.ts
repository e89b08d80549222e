import { ApiError, GoogleGenAI } from '@google/genai';
import { scrubText } from '../shared/redact.js';
import type { DecisionModel, ModelReply, ModelRequest } from './decision-model.js';

export interface GeminiClientOptions {
  apiKey: string;
  model: string;
  /** GEMINI_BASE_URL; the SDK default (Google) when undefined. */
  baseUrl?: string;
  /** Per attempt (GEMINI_TIMEOUT_MS). */
  timeoutMs: number;
  /** Extra attempts after the first on 429/5xx/timeouts (GEMINI_MAX_RETRIES). */
  maxRetries: number;
  /** Longest wait honoured from a RetryInfo.retryDelay; longer asks are cut to this. */
  maxRetryDelayMs?: number;
  /** Injectable so tests do not wait for real. */
  sleep?: (ms: number) => Promise<void>;
  /** Monotonic-enough ms source for latency. */
  now?: () => number;
}

interface Failure {
  retryable: boolean;
  status: number | null;
  message: string;
  retryDelayMs: number | undefined;
}

const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/** Reads google.rpc.RetryInfo.retryDelay ("7s", "1.5s") from an ApiError body, in ms. */
export function retryDelayFrom(message: string): number | undefined {
  try {
    const body = JSON.parse(message) as { error?: { details?: Array<Record<string, unknown>> } };
    const info = body.error?.details?.find((d) => String(d['@type'] ?? '').endsWith('google.rpc.RetryInfo'));
    const m = typeof info?.retryDelay === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(info.retryDelay) : null;
    return m ? Math.round(Number(m[1]) * 1000) : undefined;
  } catch {
    return undefined;
  }
}

function classify(err: unknown): Failure {
  if (err instanceof ApiError) {
    return {
      retryable: RETRYABLE_STATUS.has(err.status),
      status: err.status,
      message: `HTTP ${err.status}: ${err.message.slice(0, 500)}`,
      retryDelayMs: retryDelayFrom(err.message),
    };
  }
  const e = err as { name?: string; message?: string };
  if (e?.name === 'AbortError' || e?.name === 'TimeoutError') {
    return { retryable: true, status: null, message: 'timed out', retryDelayMs: undefined };
  }
  // Connection refused/reset: the service may come back within the retry budget.
  return {
    retryable: true,
    status: null,
    message: `request failed: ${e?.message ?? String(err)}`,
    retryDelayMs: undefined,
  };
}

/**
 * Gemini through @google/genai with JSON output constrained by a schema. The SDK's own retries
 * stay off: ours honour RetryInfo, are bounded and report every attempt.
 */
export class GeminiDecisionClient implements DecisionModel {
  readonly model: string;
  private readonly ai: GoogleGenAI;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;

  constructor(private readonly options: GeminiClientOptions) {
    this.model = options.model;
    this.ai = new GoogleGenAI({
      apiKey: options.apiKey,
      httpOptions: {
        ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
        apiVersion: 'v1beta',
        timeout: options.timeoutMs,
      },
    });
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = options.now ?? (() => performance.now());
  }

  async generate(request: ModelRequest): Promise<ModelReply> {
    const started = this.now();
    const cap = this.options.maxRetryDelayMs ?? 10_000;
    for (let attempt = 1; ; attempt++) {
      try {
        return {
          ...(await this.once(request)),
          model: this.model,
          attempts: attempt,
          latencyMs: Math.round(this.now() - started),
        };
      } catch (err) {
        const f = classify(err);
        if (!f.retryable || attempt > this.options.maxRetries) {
          return {
            kind: 'unavailable',
            model: this.model,
            attempts: attempt,
            latencyMs: Math.round(this.now() - started),
            status: f.status,
            error: scrubText(f.message, [this.options.apiKey]),
          };
        }
        // Exponential backoff unless the server said how long to wait.
        await this.sleep(Math.min(f.retryDelayMs ?? 250 * 2 ** (attempt - 1), cap));
      }
    }
  }

  private async once(request: ModelRequest) {
    const r = await this.ai.models.generateContent({
      model: this.model,
      contents: request.prompt,
      config: {
        systemInstruction: request.systemInstruction,
        responseMimeType: 'application/json',
        responseJsonSchema: request.responseJsonSchema,
        temperature: 0,
      },
    });
    const candidate = r.candidates?.[0];
    // Thought parts (includeThoughts) are reasoning, not the answer.
    const text = (candidate?.content?.parts ?? [])
      .filter((p) => p.thought !== true)
      .map((p) => p.text ?? '')
      .join('');
    return {
      kind: 'answer' as const,
      text,
      finishReason: candidate?.finishReason ?? (candidate ? null : 'NO_CANDIDATE'),
      promptTokens: r.usageMetadata?.promptTokenCount ?? null,
      outputTokens: r.usageMetadata?.candidatesTokenCount ?? null,
    };
  }
}
