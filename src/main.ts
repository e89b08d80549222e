import { accessSync, constants, statSync } from 'node:fs';
import type { Config } from './config/config.js';
import { isLoopbackHost } from './config/config.js';
import { openDatabase, type Db } from './db/database.js';
import { buildApp, type ZodApp } from './http/app.js';
import { healthRoutes } from './http/routes/health.js';
import { systemClock, type Clock } from './shared/clock.js';
import { SqliteLedger, type Ledger } from './db/ledger-store.js';
import { InProcessEventBus, type EventBus } from './shared/events.js';
import { AppError } from './shared/errors.js';
import type { Logger } from './shared/logger.js';
import { asLogger, createPinoLogger } from './shared/pino-logger.js';
import { CliTerraformRunner, MIN_TERRAFORM_VERSION, versionAtLeast } from './terraform/cli-terraform-runner.js';
import type { TerraformRunner } from './terraform/terraform-runner.js';

/** Collaborators tests may swap for fakes; everything else is built here and only here. */
export interface Overrides {
  logger?: Logger;
  clock?: Clock;
  terraform?: TerraformRunner;
}

export interface Service {
  config: Config;
  logger: Logger;
  clock: Clock;
  db: Db;
  terraform: TerraformRunner;
  ledger: Ledger;
  events: EventBus;
  app: ZodApp;
  /** Work done once before listening: terraform checks, init and registry sync. */
  start(): Promise<void>;
  /** Stops background work, closes the server and the database. Idempotent. */
  stop(): Promise<void>;
}

/** The composition root: the only place adapters are constructed. */
export async function compose(config: Config, overrides: Overrides = {}): Promise<Service> {
  const env = config.env;
  const logger = overrides.logger ?? asLogger(createPinoLogger(env.LOG_LEVEL));
  const clock = overrides.clock ?? systemClock;
  const db = openDatabase(config.databasePath);
  const terraform =
    overrides.terraform ??
    new CliTerraformRunner({ bin: env.TERRAFORM_BIN, lockTimeoutSeconds: env.TF_LOCK_TIMEOUT_SECONDS, logger });

  const ledger = new SqliteLedger(db);
  const events = new InProcessEventBus((err, event) =>
    logger.error({ err: { message: (err as Error).message }, event: event.type }, 'event listener failed'),
  );

  let terraformVersion: string | undefined;
  let terraformProblem: string | undefined;
  let closed = false;

  const app = await buildApp({
    logger,
    routes: [
      healthRoutes({
        database: () => {
          db.prepare('SELECT 1').get();
          return { ok: true, detail: config.databasePath };
        },
        terraform: () =>
          terraformVersion !== undefined
            ? { ok: true, detail: `${terraform.bin} ${terraformVersion}` }
            : { ok: false, detail: terraformProblem ?? 'not checked yet' },
        runsDir: () => checkRunsDir(config.runsDir),
      }),
    ],
    onClose: async () => {
      if (!closed) db.close();
      closed = true;
    },
  });

  const service: Service = {
    config,
    logger,
    clock,
    db,
    terraform,
    ledger,
    events,
    app,
    async start() {
      try {
        terraformVersion = await checkTerraform(terraform);
      } catch (err) {
        terraformProblem = (err as Error).message;
        throw err;
      }
    },
    async stop() {
      await app.close();
    },
  };
  return service;
}

/**
 * Confirms the Terraform binary runs and is recent enough.
 * @throws AppError ERR_TERRAFORM_MISSING naming TERRAFORM_BIN.
 */
export async function checkTerraform(terraform: TerraformRunner): Promise<string> {
  let version: string;
  try {
    ({ version } = await terraform.version());
  } catch (err) {
    throw new AppError(
      'ERR_TERRAFORM_MISSING',
      `TERRAFORM_BIN="${terraform.bin}" is not usable: ${(err as Error).message}`,
      { cause: err },
    );
  }
  if (!versionAtLeast(version, MIN_TERRAFORM_VERSION)) {
    throw new AppError(
      'ERR_TERRAFORM_MISSING',
      `TERRAFORM_BIN="${terraform.bin}" is version ${version}; InfraAI needs ${MIN_TERRAFORM_VERSION} or newer`,
    );
  }
  return version;
}

export function checkRunsDir(dir: string): { ok: boolean; detail: string } {
  try {
    if (!statSync(dir).isDirectory()) return { ok: false, detail: `${dir} is not a directory` };
    accessSync(dir, constants.R_OK | constants.W_OK);
    return { ok: true, detail: dir };
  } catch (err) {
    return { ok: false, detail: `RUNS_DIR ${dir}: ${(err as Error).message}` };
  }
}

/** Refuses to expose unauthenticated mutating endpoints beyond this machine. */
export function assertSafeBinding(config: Config): void {
  if (config.env.API_TOKEN === undefined && !isLoopbackHost(config.env.HOST)) {
    throw new AppError(
      'ERR_CONFIG',
      `HOST=${config.env.HOST} is reachable from other machines but API_TOKEN is not set; ` +
        'set API_TOKEN (mutating endpoints then require "Authorization: Bearer <API_TOKEN>") or bind HOST=127.0.0.1',
    );
  }
}

/** Starts the service and keeps it running until SIGTERM/SIGINT. */
export async function runServer(config: Config, overrides: Overrides = {}): Promise<Service> {
  assertSafeBinding(config);
  const service = await compose(config, overrides);
  await service.start();
  const address = await service.app.listen({ port: config.env.PORT, host: config.env.HOST });
  service.logger.info({ address }, 'InfraAI listening');
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    service.logger.info({ signal }, 'shutting down');
    service
      .stop()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        service.logger.error({ err: { message: (err as Error).message } }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  return service;
}
