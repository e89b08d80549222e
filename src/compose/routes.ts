import type { HttpSecurity, RouteModule } from '../http/app.js';
import { hostRules } from '../http/host-rules.js';
import { SqliteDecisionView } from '../db/decisions/sqlite-decision-view.js';
import { actionRoutes } from '../http/routes/actions.js';
import { alertRoutes } from '../http/routes/alerts.js';
import { approvalRoutes } from '../http/routes/approvals.js';
import { dashboardRoutes } from '../http/routes/dashboard.js';
import { decisionRoutes } from '../http/routes/decisions.js';
import { eventsRoutes } from '../http/routes/events.js';
import { healthRoutes, type HealthChecks } from '../http/routes/health.js';
import { infraRoutes } from '../http/routes/infra.js';
import { metricsRoutes } from '../http/routes/metrics.js';
import { registryRoutes } from '../http/routes/registry.js';
import { statsRoutes } from '../http/routes/stats.js';
import { telegramWebhookRoutes } from '../http/routes/telegram-webhook.js';
import { webhookRoutes } from '../http/routes/webhook.js';
import type { Config } from '../config/config.js';
import type { Core } from './core.js';
import type { Domain } from './domain.js';

/** Every HTTP route of the service, in registration order. */
export function buildRoutes(core: Core, d: Domain, health: HealthChecks): RouteModule[] {
  const { config, logger, db, metrics, ledger, events, clock, opsQueries, version } = core;
  const env = config.env;
  const telegram = d.telegram;
  return [
    metricsRoutes(metrics, logger),
    healthRoutes(health),
    webhookRoutes({
      intake: d.intakeBatcher,
      resourceLabels: env.RESOURCE_LABELS,
      maxPending: env.WEBHOOK_MAX_PENDING,
      backlog: () => d.decisionTrigger.backlog?.() ?? 0,
      logger,
    }),
    alertRoutes({ queries: d.alerts, ledger }),
    decisionRoutes({ view: new SqliteDecisionView(db, ledger) }),
    registryRoutes({ store: d.registry, sync: d.registrySync }),
    actionRoutes({ store: d.actions, ledger, apiToken: env.API_TOKEN }),
    infraRoutes({ creator: d.deploymentCreator, apiToken: env.API_TOKEN }),
    approvalRoutes({ approvals: d.executor, view: d.approvalView }),
    ...(telegram?.webhookSecret !== undefined && env.TELEGRAM_WEBHOOK_URL !== undefined
      ? [
          telegramWebhookRoutes({
            path: new URL(env.TELEGRAM_WEBHOOK_URL).pathname,
            secret: telegram.webhookSecret,
            handle: (update) => telegram.handleWebhookUpdate(update),
          }),
        ]
      : []),
    eventsRoutes(events, { onClientCount: (n) => metrics.sseClients.set({}, n) }),
    statsRoutes({ stats: opsQueries, ledger, clock, authRequired: env.API_TOKEN !== undefined, version }),
    dashboardRoutes(),
  ];
}

/**
 * Who may reach the HTTP API (src/http/access.ts, site-guard.ts): loopback Host names plus
 * PUBLIC_URL, ALLOWED_HOSTS, the Telegram webhook's host and a concrete bind address; the tokens;
 * and how many failed authentications a client address gets per window.
 */
export function httpSecurity(config: Config): HttpSecurity {
  const env = config.env;
  return {
    hosts: hostRules({
      publicUrl: env.PUBLIC_URL,
      allowedHosts: env.ALLOWED_HOSTS,
      extraUrls: [env.TELEGRAM_WEBHOOK_URL],
      bindHost: env.HOST,
    }),
    tokens: { apiToken: env.API_TOKEN, readToken: env.READ_TOKEN, webhookToken: env.WEBHOOK_TOKEN },
    authFailures: { max: env.AUTH_FAIL_LIMIT, windowMs: env.AUTH_FAIL_WINDOW_SECONDS * 1000 },
  };
}
