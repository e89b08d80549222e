import { accessSync, constants, statSync } from 'node:fs';
import type { Config } from './config/config.js';
import { isLoopbackHost } from './config/config.js';
import { openDatabase, type Db } from './db/database.js';
import { buildApp, type ZodApp } from './http/app.js';
import { healthRoutes } from './http/routes/health.js';
import { dashboardRoutes } from './http/routes/dashboard.js';
import { eventsRoutes } from './http/routes/events.js';
import { metricsRoutes } from './http/routes/metrics.js';
import { statsRoutes } from './http/routes/stats.js';
import { SqliteOpsQueries } from './db/sqlite-ops-queries.js';
import { ServiceMetrics } from './metrics/service-metrics.js';
import { packageVersion } from './metrics/version.js';
import { webhookRoutes } from './http/routes/webhook.js';
import { alertRoutes } from './http/routes/alerts.js';
import { AlertIntake } from './alerts/intake.js';
import { noopDecisionTrigger, type DecisionTrigger } from './alerts/ports.js';
import { SqliteAlertStore } from './db/sqlite-alert-store.js';
import { SqliteRegistryStore } from './db/sqlite-registry-store.js';
import type { RegistryLookup } from './registry/registry-port.js';
import { RegistrySync, type DeploymentLock, type SyncReport } from './registry/registry-sync.js';
import type { RegistryStore } from './registry/registry-store.js';
import { registryRoutes } from './http/routes/registry.js';
import { actionRoutes } from './http/routes/actions.js';
import { SqliteActionStore } from './db/sqlite-action-store.js';
import { SqliteDecisionReader } from './db/sqlite-decision-reader.js';
import { ActionExecutor } from './executor/action-executor.js';
import { DeploymentLocks } from './executor/deployment-locks.js';
import { treeSitterHclEditor } from './executor/hcl-editor-adapter.js';
import { executorPolicy } from './executor/policy-adapter.js';
import { intervalScheduler, type FixClient, type Scheduler } from './executor/ports.js';
import { Revisions } from './executor/revisions.js';
import { TerraformSteps } from './executor/terraform-steps.js';
import { loadPolicy } from './policy/load-policy.js';
import path from 'node:path';
import { newId } from './shared/ids.js';
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
  /** Receives every newly opened incident (after commit). Default: none (incidents wait for a human). */
  decisionTrigger?: DecisionTrigger;
  /** Resource lookup for the alert path. Default: the SQLite registry. */
  registryLookup?: RegistryLookup;
  /** Per-deployment lock the registry sync runs under. Default: the executor's DeploymentLocks. */
  deploymentLock?: DeploymentLock;
  /** The executor's fix agent. Default: none (no fix rounds) until the agent's client is wired here. */
  fixClient?: FixClient;
  /** Runs the approval expiry sweep. Default: setInterval (unref'd). */
  scheduler?: Scheduler;
}

export interface Service {
  config: Config;
  logger: Logger;
  clock: Clock;
  db: Db;
  terraform: TerraformRunner;
  ledger: Ledger;
  events: EventBus;
  /** The service's own Prometheus metrics; `metrics` is also the LlmRecorder for the agent. */
  metrics: ServiceMetrics;
  /** Stored notifications, alerts and incidents: queries for the API/agent, attachDecision. */
  alerts: SqliteAlertStore;
  /** POST /ops/webhook's service: normalised notification → one transaction → decisions enqueued. */
  intake: AlertIntake;
  decisionTrigger: DecisionTrigger;
  /** The deployment registry store: lookups, deployments, resource search. */
  registry: RegistryStore;
  /** Re-reads Terraform state into the registry: syncAll() / syncOne(runId). */
  registrySync: RegistrySync;
  /** Reports of the start-up sync (empty before start()). */
  startupSync: SyncReport[];
  /** Actions: prepare(decisionId) (the ActionPreparer port), decide(), sweepExpired(), markObsolete(). */
  executor: ActionExecutor;
  /** Durable action records (read views, tests). */
  actions: SqliteActionStore;
  /** Never two Terraform operations on one deployment at once: withDeploymentLock(runId, fn). */
  deploymentLocks: DeploymentLocks;
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
  const version = packageVersion();
  const opsQueries = new SqliteOpsQueries(db);
  const metrics = new ServiceMetrics(opsQueries, clock, version);
  const terraform =
    overrides.terraform ??
    new CliTerraformRunner({
      bin: env.TERRAFORM_BIN, lockTimeoutSeconds: env.TF_LOCK_TIMEOUT_SECONDS, logger, onCommand: metrics.terraformObserver,
    });

  const ledger = new SqliteLedger(db);
  const events = new InProcessEventBus((err, event) =>
    logger.error({ err: { message: (err as Error).message }, event: event.type }, 'event listener failed'),
  );
  metrics.attach(events);

  const alerts = new SqliteAlertStore(db);
  const registry = new SqliteRegistryStore(db, clock);
  const registryLookup = overrides.registryLookup ?? registry;
  const deploymentLocks = new DeploymentLocks();
  const registrySync = new RegistrySync(
    { terraform, store: registry, events, logger: logger.child({ component: 'registry' }),
      withDeploymentLock: overrides.deploymentLock ?? ((runId, fn) => deploymentLocks.withDeploymentLock(runId, fn)) },
    { runsDir: config.runsDir, initTimeoutMs: env.TF_INIT_TIMEOUT * 1000, readTimeoutMs: env.TF_PLAN_TIMEOUT * 1000,
      applyTimeoutMs: env.TF_APPLY_TIMEOUT * 1000 },
  );
  const actions = new SqliteActionStore(db, ledger, events, clock);
  const executorDataDir = path.dirname(config.databasePath === ':memory:' ? path.resolve('data', 'x') : config.databasePath);
  const policy = loadPolicy(config.policyFile);
  const executor = new ActionExecutor(
    {
      store: actions, locks: deploymentLocks, hcl: treeSitterHclEditor(), policy: executorPolicy(() => policy),
      steps: new TerraformSteps(terraform, { planMs: env.TF_PLAN_TIMEOUT * 1000, applyMs: env.TF_APPLY_TIMEOUT * 1000 }),
      decisions: new SqliteDecisionReader(db), registry: registryLookup, registrySync,
      // EXECUTOR-FIX-CLIENT: pass the agent's ModelFixClient here once it is composed (undefined = no fix rounds).
      fix: overrides.fixClient,
      revisions: new Revisions(actions, executorDataDir, clock),
      settings: {
        runsDir: config.runsDir, dataDir: executorDataDir, planTimeoutMs: env.TF_PLAN_TIMEOUT * 1000,
        applyTimeoutMs: env.TF_APPLY_TIMEOUT * 1000, approvalTtlSeconds: env.APPROVAL_TTL_SECONDS, fixMaxAttempts: env.FIX_MAX_ATTEMPTS,
      },
      clock, logger: logger.child({ component: 'executor' }), planSecrets: new Map(),
    },
    events,
    overrides.scheduler ?? intervalScheduler,
  );
  const decisionTrigger = overrides.decisionTrigger ?? noopDecisionTrigger;
  const intake = new AlertIntake({
    store: alerts, ledger, registry: registryLookup, trigger: decisionTrigger, events, clock, logger,
    resourceLabels: env.RESOURCE_LABELS, newId,
  });

  let terraformVersion: string | undefined;
  let terraformProblem: string | undefined;
  let closed = false;

  const app = await buildApp({
    logger,
    openapi: { title: 'InfraAI', version, description: 'Prometheus alert → decision → reviewed Terraform change → verified.' },
    routes: [
      metricsRoutes(metrics, logger),
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
        registry: () => {
          const all = registry.listDeployments();
          const failed = all.filter((d) => d.status === 'failed').map((d) => d.runId);
          const detail = `${all.length} deployments${failed.length > 0 ? `; failed: ${failed.join(', ')}` : ''}`;
          return { ok: failed.length === 0, detail };
        },
      }),
      webhookRoutes({
        intake, token: env.WEBHOOK_TOKEN, resourceLabels: env.RESOURCE_LABELS, maxPending: env.WEBHOOK_MAX_PENDING,
        backlog: () => decisionTrigger.backlog?.() ?? 0, logger,
      }),
      alertRoutes({ queries: alerts, ledger }),
      registryRoutes({ store: registry, sync: registrySync, apiToken: env.API_TOKEN }),
      actionRoutes({ store: actions, ledger }),
      eventsRoutes(events, { onClientCount: (n) => metrics.sseClients.set({}, n) }),
      statsRoutes({ stats: opsQueries, ledger, clock, authRequired: env.API_TOKEN !== undefined, version }),
      dashboardRoutes(),
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
    metrics,
    alerts,
    intake,
    decisionTrigger,
    registry,
    registrySync,
    startupSync: [],
    executor,
    actions,
    deploymentLocks,
    app,
    async start() {
      try {
        terraformVersion = await checkTerraform(terraform);
      } catch (err) {
        terraformProblem = (err as Error).message;
        throw err;
      }
      // A deployment that cannot be initialised or read is recorded as failed, never fatal.
      service.startupSync = await registrySync.syncAll({ bootstrap: true });
      for (const r of service.startupSync.filter((x) => x.outcome === 'failed')) {
        logger.error({ runId: r.runId, error: r.error }, 'deployment could not be synced at start');
      }
      // Recovery of actions interrupted by the last stop/crash, then the expiry sweep.
      executor.start();
    },
    async stop() {
      executor.beginStop();
      if (terraform instanceof CliTerraformRunner) await terraform.interruptAll();
      await executor.idle();
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
