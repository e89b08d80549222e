/**
 * Verification's PrometheusQuery over Prometheus' HTTP API: `GET <base>/api/v1/query?query=EXPR`,
 * which answers `{"status":"success","data":{"resultType":"vector","result":[…]}}`.
 */
import { z } from 'zod';
import type { PrometheusQuery, QueryAnswer } from '../verification/ports.js';

const QueryResponse = z.object({
  status: z.enum(['success', 'error']),
  data: z
    .object({ resultType: z.string(), result: z.union([z.array(z.unknown()), z.tuple([z.number(), z.string()])]) })
    .optional(),
  errorType: z.string().optional(),
  error: z.string().optional(),
});

export class PrometheusHttpQuery implements PrometheusQuery {
  private readonly base: string;

  constructor(
    baseUrl: string,
    private readonly timeoutMs: number,
  ) {
    this.base = baseUrl.replace(/\/+$/, '');
  }

  async seriesCount(expr: string): Promise<QueryAnswer> {
    const url = `${this.base}/api/v1/query?query=${encodeURIComponent(expr)}`;
    const what = `querying Prometheus at ${this.base} for ${expr}`;
    let res: Response;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs), headers: { accept: 'application/json' } });
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      return { ok: false, error: `${what}: ${timedOut ? `no answer within ${this.timeoutMs} ms` : causeOf(err)}` };
    }
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      return { ok: false, error: `${what}: HTTP ${res.status}, not JSON` };
    }
    const parsed = QueryResponse.safeParse(body);
    if (!parsed.success) return { ok: false, error: `${what}: HTTP ${res.status}, not a query response` };
    const r = parsed.data;
    if (r.status === 'error' || !res.ok)
      return { ok: false, error: `${what}: HTTP ${res.status} ${r.errorType ?? ''} ${r.error ?? ''}`.trim() };
    if (r.data === undefined) return { ok: false, error: `${what}: answer without data` };
    // A scalar or string result (an expression like `1 > bool 0`) is one value, never "no series".
    return {
      ok: true,
      series: r.data.resultType === 'vector' || r.data.resultType === 'matrix' ? r.data.result.length : 1,
    };
  }
}

function causeOf(err: unknown): string {
  const cause = err instanceof Error ? (err as Error & { cause?: unknown }).cause : undefined;
  if (cause instanceof Error) return cause.message;
  return err instanceof Error ? err.message : String(err);
}
