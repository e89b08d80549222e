import { z } from 'zod';
import type { Logger } from '../../shared/logger.js';
import type { ServiceMetrics } from '../../metrics/service-metrics.js';
import type { RouteModule } from '../app.js';
import { responses } from '../wire/common.js';

/**
 * GET /metrics in the Prometheus text format, plus an onResponse hook that counts every answered
 * request by route pattern (never the raw URL, so ids do not explode the label set).
 */
export function metricsRoutes(metrics: ServiceMetrics, logger: Logger): RouteModule {
  return (app) => {
    app.addHook('onResponse', async (req, reply) => {
      const route = req.routeOptions.url ?? 'unmatched';
      metrics.observeHttp(req.method, route, reply.statusCode, reply.elapsedTime / 1000);
    });

    app.get(
      '/metrics',
      {
        schema: {
          tags: ['metrics'],
          summary: 'Prometheus metrics (text exposition format 0.0.4)',
          description: 'Public (no token; counts by label, no ids or names); scrape it from Prometheus.',
          response: responses({ 200: z.string() }),
        },
      },
      async (_req, reply) => {
        const body = metrics.registry.render((name, err) =>
          logger.warn({ metric: name, err: { message: (err as Error).message } }, 'metric collection failed'),
        );
        return reply.header('content-type', 'text/plain; version=0.0.4; charset=utf-8').send(body);
      },
    );
  };
}
