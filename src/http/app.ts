import Fastify, { type FastifyInstance } from 'fastify';
import { validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import rateLimit from '@fastify/rate-limit';
import type { Logger } from '../shared/logger.js';
import { installAccessControl, type Tokens } from './access.js';
import { installErrorHandling } from './errors.js';
import { hostRules, type HostRules } from './host-rules.js';
import { clientErrorHandler, installJsonGuard } from './json-guard.js';
import { registerOpenApi, type OpenApiInfo } from './openapi.js';
import { installSiteGuard } from './site-guard.js';
import { strictSerializerCompiler } from './wire/serializer.js';

export type App = FastifyInstance & { withTypeProvider: FastifyInstance['withTypeProvider'] };
export type ZodApp = ReturnType<typeof typedApp>;

function typedApp(app: FastifyInstance) {
  return app.withTypeProvider<ZodTypeProvider>();
}

/** A route module: registers its routes on the typed app. */
export type RouteModule = (app: ZodApp) => void | Promise<void>;

/** Who may reach the app: Host names and origins, tokens, and the failed-authentication limit. */
export interface HttpSecurity {
  hosts: HostRules;
  tokens: Tokens;
  authFailures: { max: number; windowMs: number };
}

/** Loopback only, no tokens: what the default configuration (HOST=127.0.0.1, no tokens) means. */
export const LOOPBACK_ONLY: HttpSecurity = {
  hosts: hostRules({}),
  tokens: {},
  authFailures: { max: 30, windowMs: 60_000 },
};

export interface AppOptions {
  logger: Logger;
  /** Default LOOPBACK_ONLY. */
  security?: HttpSecurity;
  bodyLimitBytes?: number;
  routes: RouteModule[];
  /** When given, the OpenAPI spec (GET /docs/json) and its UI (GET /docs) are served. */
  openapi?: OpenApiInfo;
  /** Runs when the server begins closing: end streams, stop bots, interrupt Terraform. */
  onPreClose?: () => Promise<void>;
  /** Runs once in-flight requests are done: close the database. */
  onClose?: () => Promise<void>;
}

/** Builds the Fastify app with zod validation, one error shape and the given route modules. */
export async function buildApp(options: AppOptions): Promise<ZodApp> {
  const app = typedApp(
    Fastify({
      bodyLimit: options.bodyLimitBytes ?? 1_048_576,
      // Request logging goes through our own logger (with redaction), not Fastify's.
      logger: false,
      return503OnClosing: true,
      forceCloseConnections: 'idle',
      // Refuse prototype-pollution keys in JSON bodies outright.
      onProtoPoisoning: 'error',
      onConstructorPoisoning: 'error',
      // Requests Node's parser refuses (bad framing, lying Content-Length) get the one error shape too.
      clientErrorHandler,
    }),
  );
  app.setValidatorCompiler(validatorCompiler);
  // Responses: every key must be in the route's wire schema (src/http/wire/), else 500.
  app.setSerializerCompiler(strictSerializerCompiler);
  installErrorHandling(app, options.logger);
  installJsonGuard(app);
  const security = options.security ?? LOOPBACK_ONLY;
  // Before any route (swagger's included): the Host/Origin hook runs for every request and the
  // access hook is attached to every route as it is registered.
  installSiteGuard(app, security.hosts);
  await app.register(rateLimit, { global: false });
  installAccessControl(app, {
    tokens: security.tokens,
    maxFailures: security.authFailures.max,
    windowMs: security.authFailures.windowMs,
  });
  // Before the routes: @fastify/swagger only documents routes registered after it.
  if (options.openapi) await registerOpenApi(app, options.openapi);
  for (const register of options.routes) await register(app);
  if (options.onPreClose) {
    const pre = options.onPreClose;
    app.addHook('preClose', async () => pre());
  }
  if (options.onClose) {
    const close = options.onClose;
    app.addHook('onClose', async () => close());
  }
  return app;
}
