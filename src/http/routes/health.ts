import type { RouteModule } from '../app.js';
import { responses } from '../wire/common.js';
import { HealthDownWire, HealthWire } from '../wire/ops.js';

export interface HealthCheck {
  ok: boolean;
  detail: string;
}

/** Each check answers quickly and never throws; failures come back as `ok: false`. */
export type HealthChecks = Record<string, () => HealthCheck | Promise<HealthCheck>>;

export function healthRoutes(checks: HealthChecks, critical: string[] = ['database']): RouteModule {
  return (app) => {
    app.get(
      '/health',
      {
        schema: {
          description: 'Liveness plus readiness details. 200 when every critical check passes, 503 otherwise.',
          response: responses({ 200: HealthWire, 503: HealthDownWire }),
        },
      },
      async (_req, reply) => {
        const results: Record<string, HealthCheck> = {};
        for (const [name, check] of Object.entries(checks)) {
          try {
            results[name] = await check();
          } catch (err) {
            results[name] = { ok: false, detail: (err as Error).message };
          }
        }
        const criticalDown = critical.some((n) => results[n]?.ok === false);
        if (criticalDown) return reply.code(503).send({ status: 'unavailable' as const, checks: results });
        const allOk = Object.values(results).every((r) => r.ok);
        return reply.code(200).send({ status: allOk ? ('ok' as const) : ('degraded' as const), checks: results });
      },
    );
  };
}
