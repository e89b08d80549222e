import type { Config } from '../config/config.js';
import { openDatabase, type Db } from '../db/connection/database.js';
import { SqliteLedger, type Ledger } from '../db/ledger/sqlite-ledger.js';
import { SqliteOpsQueries } from '../db/ops/sqlite-ops-queries.js';
import { walCheckpointer, type WalCheckpointer } from '../db/connection/wal-checkpointer.js';
import { ServiceMetrics } from '../metrics/service-metrics.js';
import { packageVersion } from '../metrics/version.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { InProcessEventBus, type EventBus } from '../shared/events.js';
import type { Logger } from '../shared/logger.js';
import { asLogger, createPinoLogger } from '../shared/pino-logger.js';
import { CliTerraformRunner } from '../terraform/cli-terraform-runner.js';
import type { TerraformRunner } from '../terraform/terraform-runner.js';
import { connectMetrics } from './reactions.js';
import type { Overrides } from './types.js';

/** What every part of the service shares: logging, time, storage, events, metrics, Terraform. */
export interface Core {
  config: Config;
  logger: Logger;
  clock: Clock;
  db: Db;
  version: string;
  opsQueries: SqliteOpsQueries;
  metrics: ServiceMetrics;
  terraform: TerraformRunner;
  ledger: Ledger;
  events: EventBus;
  /** Background WAL checkpoints; started and stopped with the service (not by one-shot CLI commands). */
  checkpointer: WalCheckpointer;
}

export function buildCore(config: Config, overrides: Overrides): Core {
  const env = config.env;
  const logger = overrides.logger ?? asLogger(createPinoLogger(env.LOG_LEVEL));
  const clock = overrides.clock ?? systemClock;
  const db = openDatabase(config.databasePath);
  const version = packageVersion();
  const opsQueries = new SqliteOpsQueries(db);
  const metrics = new ServiceMetrics(opsQueries, clock, version);
  const terraform =
    overrides.terraform ??
    new CliTerraformRunner({
      bin: env.TERRAFORM_BIN,
      lockTimeoutSeconds: env.TF_LOCK_TIMEOUT_SECONDS,
      logger,
      onCommand: metrics.terraformObserver,
    });
  const ledger = new SqliteLedger(db);
  const events = new InProcessEventBus((err, event) =>
    logger.error({ err: { message: (err as Error).message }, event: event.type }, 'event listener failed'),
  );
  connectMetrics(events, metrics);
  const checkpointer = walCheckpointer(db, logger);
  return { config, logger, clock, db, version, opsQueries, metrics, terraform, ledger, events, checkpointer };
}
