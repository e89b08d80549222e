/**
 * Bounded retries for Bot API calls. Telegram asks for a pause on 429 (`parameters.retry_after`),
 * and 5xx or network failures are usually brief; anything else (400, 401, 403) will not get
 * better by asking again.
 */

export interface RetryOptions {
  /** Total attempts including the first. */
  attempts: number;
  /** First backoff for 5xx / network errors; doubles each time. */
  baseDelayMs: number;
  /** Longest single wait; a 429 asking for longer than this is not retried. */
  maxDelayMs: number;
  /** Multiplier applied to retry_after seconds (tests use small values). */
  retryAfterUnitMs: number;
  sleep: (ms: number) => Promise<void>;
}

export const DEFAULT_RETRY: RetryOptions = {
  attempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  retryAfterUnitMs: 1000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

interface ErrorShape {
  name?: unknown;
  code?: unknown;
  parameters?: { retry_after?: unknown };
  response?: { error_code?: unknown };
}

/** The delay before the next attempt, or undefined when the error is not worth retrying. */
export function retryDelay(err: unknown, attempt: number, opts: RetryOptions): number | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const e = err as ErrorShape;
  const status = typeof e.response?.error_code === 'number' ? e.response.error_code : undefined;
  if (status === 429) {
    const after = typeof e.parameters?.retry_after === 'number' ? e.parameters.retry_after : 1;
    const ms = after * opts.retryAfterUnitMs;
    return ms <= opts.maxDelayMs ? ms : undefined;
  }
  const network = e.name === 'FetchError' || (typeof e.code === 'string' && /^E[A-Z]+/.test(e.code));
  if ((status !== undefined && status >= 500) || network) {
    return Math.min(opts.baseDelayMs * 2 ** (attempt - 1), opts.maxDelayMs);
  }
  return undefined;
}

/**
 * Runs `call`, retrying retryable failures with backoff up to `opts.attempts` times.
 * @throws the last error when attempts run out or the error is not retryable.
 */
export async function withRetry<T>(
  call: () => Promise<T>,
  opts: RetryOptions,
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const delay = attempt < opts.attempts ? retryDelay(err, attempt, opts) : undefined;
      if (delay === undefined) throw err;
      onRetry?.(err, attempt, delay);
      await opts.sleep(delay);
    }
  }
}
