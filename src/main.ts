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
import { IntakeBatcher } from './alerts/intake-batcher.js';
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
import { SqliteVerificationStore } from './db/sqlite-verification-store.js';
import { realTimers, type Timers } from './verification/ports.js';
import { Verifier } from './verification/verifier.js';
import { SqliteHumanDecisions } from './db/sqlite-human-decisions.js';
import { DeploymentApplier } from './infra/apply-deployment.js';
import { CREATE_DEPLOYMENT, DeploymentCreator } from './infra/create-deployment.js';
import type { InfraDeps } from './infra/ports.js';
import { infraRoutes } from './http/routes/infra.js';
import { loadPolicy } from './policy/load-policy.js';
import type { Policy } from './policy/policy-schema.js';
import { DecisionService, type ActionPreparer } from './agent/decision-service.js';
import type { DecisionModel } from './agent/decision-model.js';
import { ModelFixClient } from './agent/fix-client.js';
import { GeminiDecisionClient } from './agent/gemini-decision-client.js';
import { SqliteDecisionStore } from './db/sqlite-decision-store.js';
import { SqliteDecisionView } from './db/sqlite-decision-view.js';
import { decisionRoutes } from './http/routes/decisions.js';
import { approvalRoutes } from './http/routes/approvals.js';
import { telegramWebhookRoutes } from './http/routes/telegram-webhook.js';
import { startAutoApprover } from './approvals/auto-approve.js';
import type { ApprovalPort, ApprovalView } from './approvals/ports.js';
import { TelegramApprovalChannel } from './approvals/telegram-approval-channel.js';
import type { RetryOptions } from './approvals/telegram-retry.js';
import { SqliteApprovalAudit } from './db/sqlite-approval-audit.js';
import { SqliteApprovalView } from './db/sqlite-approval-view.js';
import { SqliteTelegramMessageStore } from './db/sqlite-telegram-message-store.js';
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
  /** The decision model. Default: Gemini when GEMINI_API_KEY is set; `null` forces the rules agent. */
  decisionModel?: DecisionModel | null;
  /** Receives proposed decisions. Default: the executor. */
  actionPreparer?: ActionPreparer;
  /** One-shot timers for verification deadlines. Default: setTimeout (unref'd). */
  timers?: Timers;
  /** Backoff for Telegram calls (tests shrink it). Default: 5 attempts from 500 ms, retry_after in seconds. */
  telegramRetry?: Partial<RetryOptions>;
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
  /** The loaded policy (POLICY_FILE or the built-in default). */
  policy: Policy;
  /** Decides opened incidents in the background (intake's DecisionTrigger): enqueue, backlog, idle, recover. */
  decisions: DecisionService;
  /** Gemini fix client for the executor; undefined without GEMINI_API_KEY. */
  fixClient: ModelFixClient | undefined;
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
  /** Watches applied actions: effective / ineffective (+ proposed rollback) within VERIFY_WINDOW_SECONDS. */
  verifier: Verifier;
  /** Read view of approval requests (Telegram messages, GET /ops/approvals/pending). */
  approvalView: ApprovalView;
  /** The Telegram approval channel; undefined without TELEGRAM_BOT_TOKEN. */
  telegram: TelegramApprovalChannel | undefined;
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
  const decisionModel = overrides.decisionModel === undefined ? geminiFrom(config) : (overrides.decisionModel ?? undefined);
  const fixClient = decisionModel ? new ModelFixClient(decisionModel) : undefined;
  const executor = new ActionExecutor(
    {
      store: actions, locks: deploymentLocks, hcl: treeSitterHclEditor(), policy: executorPolicy(() => policy),
      steps: new TerraformSteps(terraform, { planMs: env.TF_PLAN_TIMEOUT * 1000, applyMs: env.TF_APPLY_TIMEOUT * 1000 }),
      decisions: new SqliteDecisionReader(db), registry: registryLookup,
      registrySync: { syncOne: (runId) => registrySync.syncOne(runId), serialOf: (runId) => registry.getDeployment(runId)?.stateSerial },
      fix: overrides.fixClient ?? fixClient,
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
  const infraDeps: InfraDeps = {
    store: actions, decisions: new SqliteHumanDecisions(db, ledger), terraform,
    steps: new TerraformSteps(terraform, { planMs: env.TF_PLAN_TIMEOUT * 1000, applyMs: env.TF_APPLY_TIMEOUT * 1000 }),
    revisions: new Revisions(actions, executorDataDir, clock), deploymentKnown: (runId) => registry.getDeployment(runId) !== undefined,
    registrySync, locks: deploymentLocks, clock, logger: logger.child({ component: 'infra' }), newId: (prefix) => newId(prefix, clock.now()),
    settings: {
      runsDir: config.runsDir, dataDir: executorDataDir, approvalTtlSeconds: env.APPROVAL_TTL_SECONDS,
      initTimeoutMs: env.TF_INIT_TIMEOUT * 1000, applyTimeoutMs: env.TF_APPLY_TIMEOUT * 1000,
    },
  };
  const deploymentCreator = new DeploymentCreator(infraDeps);
  const deploymentApplier = new DeploymentApplier(infraDeps);
  executor.registerApplier(CREATE_DEPLOYMENT, (actionId) => deploymentApplier.run(actionId));
  const verificationStore = new SqliteVerificationStore(db, actions, ledger);
  const verifier = new Verifier({
    store: verificationStore, decisions: verificationStore, preparer: overrides.actionPreparer ?? executor,
    timers: overrides.timers ?? realTimers, clock, events, policy: () => policy, windowSeconds: env.VERIFY_WINDOW_SECONDS,
    newId: (prefix) => newId(prefix, clock.now()), logger: logger.child({ component: 'verification' }),
  });
  const decisions = new DecisionService({
    store: new SqliteDecisionStore(db, ledger, alerts), registry: registryLookup, policy, model: decisionModel, clock,
    newId: (prefix) => newId(prefix, clock.now()), llmRecorder: metrics, events,
    logger: logger.child({ component: 'decisions' }), preparer: overrides.actionPreparer ?? executor,
  });
  const decisionTrigger = overrides.decisionTrigger ?? decisions;
  const intake = new AlertIntake({
    store: alerts, ledger, registry: registryLookup, trigger: decisionTrigger, events, clock, logger,
    resourceLabels: env.RESOURCE_LABELS, newId,
  });
  const intakeBatcher = new IntakeBatcher(intake, (fn) => setImmediate(fn));

  const approvalView = new SqliteApprovalView(db);
  const telegram = telegramFrom(config, {
    approvals: executor, view: approvalView, db, ledger, events, clock, logger: logger.child({ component: 'telegram' }),
    ...(overrides.telegramRetry ? { retry: overrides.telegramRetry } : {}),
  });
  let stopAutoApprove: () => void = () => {};

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
        telegram: () => telegram?.health() ?? { ok: true, detail: 'not configured (TELEGRAM_BOT_TOKEN unset)' },
        agent: () => ({
          ok: true,
          detail: decisionModel ? `gemini (${env.GEMINI_MODEL})` : 'rules (GEMINI_API_KEY unset: deterministic rules decide)',
        }),
        registry: () => {
          const all = registry.listDeployments();
          const failed = all.filter((d) => d.status === 'failed').map((d) => d.runId);
          const detail = `${all.length} deployments${failed.length > 0 ? `; failed: ${failed.join(', ')}` : ''}`;
          return { ok: failed.length === 0, detail };
        },
      }),
      webhookRoutes({
        intake: intakeBatcher, token: env.WEBHOOK_TOKEN, resourceLabels: env.RESOURCE_LABELS, maxPending: env.WEBHOOK_MAX_PENDING,
        backlog: () => decisionTrigger.backlog?.() ?? 0, logger,
      }),
      alertRoutes({ queries: alerts, ledger }),
      decisionRoutes({ view: new SqliteDecisionView(db, ledger) }),
      registryRoutes({ store: registry, sync: registrySync, apiToken: env.API_TOKEN }),
      actionRoutes({ store: actions, ledger }),
      infraRoutes({ creator: deploymentCreator, apiToken: env.API_TOKEN }),
      approvalRoutes({ approvals: executor, view: approvalView, apiToken: env.API_TOKEN }),
      ...(telegram?.webhookSecret !== undefined && env.TELEGRAM_WEBHOOK_URL !== undefined
        ? [telegramWebhookRoutes({
            path: new URL(env.TELEGRAM_WEBHOOK_URL).pathname, secret: telegram.webhookSecret,
            handle: (update) => telegram.handleWebhookUpdate(update),
          })]
        : []),
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
    policy,
    decisions,
    fixClient,
    registry,
    registrySync,
    startupSync: [],
    executor,
    actions,
    deploymentLocks,
    verifier,
    approvalView,
    telegram,
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
      // Approval channels listen before recovery so statuses it publishes reach them.
      if (telegram) telegram.start();
      else logger.info({}, 'Telegram approvals disabled: TELEGRAM_BOT_TOKEN is not set (REST and dashboard still work)');
      stopAutoApprove = startAutoApprover({ policy: policy.auto_approve, view: approvalView, approvals: executor, events, logger });
      // Recovery of actions interrupted by the last stop/crash, then the expiry sweep.
      executor.start();
      // Re-arms verification deadlines stored before the restart (past ones are evaluated now).
      verifier.start();
      // Incidents opened but not decided before the last stop/crash.
      decisions.recover();
    },
    async stop() {
      await decisions.stop();
      verifier.stop();
      executor.beginStop();
      if (terraform instanceof CliTerraformRunner) await terraform.interruptAll();
      await executor.idle();
      stopAutoApprove();
      await telegram?.stop();
      await app.close();
    },
  };
  return service;
}

/** The Telegram channel when a bot token is configured (long polling, or webhook with TELEGRAM_WEBHOOK_URL). */
function telegramFrom(
  config: Config,
  d: { approvals: ApprovalPort; view: ApprovalView; db: Db; ledger: Ledger; events: EventBus; clock: Clock; logger: Logger; retry?: Partial<RetryOptions> },
): TelegramApprovalChannel | undefined {
  const env = config.env;
  if (env.TELEGRAM_BOT_TOKEN === undefined || env.TELEGRAM_CHAT_ID === undefined) return undefined;
  if (env.TELEGRAM_WEBHOOK_URL !== undefined && new URL(env.TELEGRAM_WEBHOOK_URL).pathname === '/') {
    throw new AppError('ERR_CONFIG', 'TELEGRAM_WEBHOOK_URL needs a path (e.g. https://host/telegram/webhook)');
  }
  return new TelegramApprovalChannel({
    token: env.TELEGRAM_BOT_TOKEN, chatId: env.TELEGRAM_CHAT_ID, allowedUserIds: env.TELEGRAM_ALLOWED_USER_IDS,
    ...(env.TELEGRAM_API_ROOT ? { apiRoot: env.TELEGRAM_API_ROOT } : {}),
    ...(env.TELEGRAM_WEBHOOK_URL
      ? { webhook: { url: env.TELEGRAM_WEBHOOK_URL, ...(env.TELEGRAM_WEBHOOK_SECRET ? { secret: env.TELEGRAM_WEBHOOK_SECRET } : {}) } }
      : {}),
    approvals: d.approvals, view: d.view, messages: new SqliteTelegramMessageStore(d.db),
    audit: new SqliteApprovalAudit(d.db, d.ledger, d.clock), events: d.events, clock: d.clock, logger: d.logger,
    secrets: [env.API_TOKEN, env.WEBHOOK_TOKEN, env.GEMINI_API_KEY].filter((s): s is string => s !== undefined),
    ...(d.retry ? { retry: d.retry } : {}),
  });
}

/** Gemini when a key is configured; otherwise undefined and the rules agent decides. */
function geminiFrom(config: Config): DecisionModel | undefined {
  const env = config.env;
  if (env.GEMINI_API_KEY === undefined) return undefined;
  return new GeminiDecisionClient({
    apiKey: env.GEMINI_API_KEY, model: env.GEMINI_MODEL, timeoutMs: env.GEMINI_TIMEOUT_MS, maxRetries: env.GEMINI_MAX_RETRIES,
    ...(env.GEMINI_BASE_URL ? { baseUrl: env.GEMINI_BASE_URL } : {}),
  });
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
