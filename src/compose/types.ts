import type { DecisionTrigger } from '../alerts/ports.js';
import type { AlertIntake } from '../alerts/intake.js';
import type { DecisionService, ActionPreparer } from '../decisions/decision-service.js';
import type { DecisionModel } from '../agent/decision-model.js';
import type { ModelFixClient } from '../agent/fix-client.js';
import type { ApprovalView } from '../approvals/ports.js';
import type { TelegramApprovalChannel } from '../approvals/telegram-approval-channel.js';
import type { RetryOptions } from '../approvals/telegram-retry.js';
import type { Config } from '../config/config.js';
import type { Db } from '../db/connection/database.js';
import type { Ledger } from '../db/ledger/sqlite-ledger.js';
import type { SqliteActionStore } from '../db/actions/sqlite-action-store.js';
import type { SqliteAlertStore } from '../db/alerts/sqlite-alert-store.js';
import type { ActionExecutor } from '../executor/action-executor.js';
import type { DeploymentLocks } from '../executor/deployment-locks.js';
import type { FixClient, Scheduler } from '../executor/ports.js';
import type { ZodApp } from '../http/app.js';
import type { ServiceMetrics } from '../metrics/service-metrics.js';
import type { Policy } from '../policy/policy-schema.js';
import type { RegistryLookup } from '../registry/registry-port.js';
import type { RegistryStore } from '../registry/registry-store.js';
import type { DeploymentLock, RegistrySync, SyncReport } from '../registry/registry-sync.js';
import type { Clock } from '../shared/clock.js';
import type { EventBus } from '../shared/events.js';
import type { Logger } from '../shared/logger.js';
import type { TerraformRunner } from '../terraform/terraform-runner.js';
import type { Timers } from '../verification/ports.js';
import type { Verifier } from '../verification/verifier.js';

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
  /** Actions: prepare(decisionId) (the ActionPreparer port), submitVerdict(), sweepExpired(), markObsolete(). */
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
