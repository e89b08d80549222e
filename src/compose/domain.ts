import path from 'node:path';
import { DecisionService } from '../decisions/decision-service.js';
import { ModelFixClient } from '../agent/fix-client.js';
import { AlertIntake } from '../alerts/intake.js';
import { IntakeBatcher } from '../alerts/intake-batcher.js';
import { SqliteActionStore } from '../db/actions/sqlite-action-store.js';
import { SqliteAlertStore } from '../db/alerts/sqlite-alert-store.js';
import { SqliteApprovalView } from '../db/actions/sqlite-approval-view.js';
import { SqliteDecisionReader } from '../db/decisions/sqlite-decision-reader.js';
import { SqliteDecisionStore } from '../db/decisions/sqlite-decision-store.js';
import { SqliteInterruptedState } from '../db/actions/sqlite-interrupted-state.js';
import { SqliteVerificationDecisions } from '../db/decisions/sqlite-verification-decisions.js';
import { SqliteHumanDecisions } from '../db/decisions/sqlite-human-decisions.js';
import { SqliteRegistryStore } from '../db/registry/sqlite-registry-store.js';
import { SqliteVerificationStore } from '../db/actions/sqlite-verification-store.js';
import { ActionExecutor } from '../executor/action-executor.js';
import { DeploymentLocks } from '../executor/deployment-locks.js';
import { treeSitterHclEditor } from '../executor/hcl-editor-adapter.js';
import { executorPolicy } from '../executor/policy-adapter.js';
import { intervalScheduler } from '../executor/ports.js';
import { Revisions } from '../actions/revisions.js';
import { TerraformSteps } from '../terraform/steps.js';
import { DeploymentApplier } from '../infra/apply-deployment.js';
import { CREATE_DEPLOYMENT, DeploymentCreator } from '../infra/create-deployment.js';
import type { InfraDeps } from '../infra/ports.js';
import { loadPolicy } from '../policy/load-policy.js';
import { RegistrySync } from '../registry/registry-sync.js';
import { newId } from '../shared/ids.js';
import { realTimers } from '../verification/ports.js';
import { Verifier } from '../verification/verifier.js';
import { PrometheusHttpQuery } from './prometheus-http-query.js';
import { proposeRecovery } from '../verification/rollback-proposal.js';
import { geminiFrom, telegramFrom } from './adapters.js';
import type { Core } from './core.js';
import { WriteHealth } from '../db/connection/write-health.js';
import { observeWrites } from '../db/connection/write-outcomes.js';
import { retryWhileStorageFails } from './storage-retry.js';
import type { Overrides } from './types.js';

/** Builds the domain services on top of the core, wiring each one's ports to the others. */
export function buildDomain(core: Core, overrides: Overrides) {
  const { config, logger, clock, db, metrics, terraform, ledger, events } = core;
  const env = config.env;
  const alerts = new SqliteAlertStore(db);
  const registry = new SqliteRegistryStore(db, clock);
  const registryLookup = overrides.registryLookup ?? registry;
  const deploymentLocks = new DeploymentLocks();
  // One instance each, shared by registry sync, the executor and POST /infra's creator/applier.
  const steps = new TerraformSteps(terraform, {
    planMs: env.TF_PLAN_TIMEOUT * 1000,
    applyMs: env.TF_APPLY_TIMEOUT * 1000,
  });
  const registrySync = new RegistrySync(
    {
      steps,
      store: registry,
      events,
      logger: logger.child({ component: 'registry' }),
      withDeploymentLock: overrides.deploymentLock ?? ((runId, fn) => deploymentLocks.withDeploymentLock(runId, fn)),
    },
    {
      runsDir: config.runsDir,
      initTimeoutMs: env.TF_INIT_TIMEOUT * 1000,
      readTimeoutMs: env.TF_PLAN_TIMEOUT * 1000,
      applyTimeoutMs: env.TF_APPLY_TIMEOUT * 1000,
    },
  );
  const actions = new SqliteActionStore(db, ledger, events, clock);
  const executorDataDir = path.dirname(
    config.databasePath === ':memory:' ? path.resolve('data', 'x') : config.databasePath,
  );
  const policy = loadPolicy(config.policyFile);
  const decisionModel =
    overrides.decisionModel === undefined ? geminiFrom(config) : (overrides.decisionModel ?? undefined);
  const fixClient = decisionModel ? new ModelFixClient(decisionModel) : undefined;
  const revisions = new Revisions(actions, executorDataDir, clock);
  const verificationStore = new SqliteVerificationStore(db, actions, ledger);
  const verificationDecisions = new SqliteVerificationDecisions(db, ledger);
  // After a restart: what interrupted applies left, and the recovery decision (verification's rollback path).
  const interrupted = new SqliteInterruptedState(
    db,
    actions,
    ledger,
    verificationDecisions,
    (subject, revisionId, why) =>
      proposeRecovery(
        { policy: () => policy, clock, newId: (prefix) => newId(prefix, clock.now()) },
        subject,
        revisionId,
        why,
      ),
    events,
    clock,
  );
  const executor = new ActionExecutor(
    {
      store: actions,
      locks: deploymentLocks,
      hcl: treeSitterHclEditor(),
      policy: executorPolicy(() => policy),
      steps,
      decisions: new SqliteDecisionReader(db),
      registry: registryLookup,
      registrySync: {
        syncOne: (runId) => registrySync.syncOne(runId),
        serialOf: (runId) => registry.getDeployment(runId)?.stateSerial,
      },
      fix: overrides.fixClient ?? fixClient,
      revisions,
      settings: {
        runsDir: config.runsDir,
        dataDir: executorDataDir,
        planTimeoutMs: env.TF_PLAN_TIMEOUT * 1000,
        applyTimeoutMs: env.TF_APPLY_TIMEOUT * 1000,
        approvalTtlSeconds: env.APPROVAL_TTL_SECONDS,
        fixMaxAttempts: env.FIX_MAX_ATTEMPTS,
      },
      clock,
      logger: logger.child({ component: 'executor' }),
      planSecrets: new Map(),
      interrupted,
    },
    overrides.scheduler ?? intervalScheduler,
  );
  const infraDeps: InfraDeps = {
    store: actions,
    decisions: new SqliteHumanDecisions(db, ledger),
    steps,
    revisions,
    deploymentKnown: (runId) => registry.getDeployment(runId) !== undefined,
    registrySync,
    locks: deploymentLocks,
    clock,
    logger: logger.child({ component: 'infra' }),
    newId: (prefix) => newId(prefix, clock.now()),
    settings: {
      runsDir: config.runsDir,
      dataDir: executorDataDir,
      approvalTtlSeconds: env.APPROVAL_TTL_SECONDS,
      initTimeoutMs: env.TF_INIT_TIMEOUT * 1000,
      applyTimeoutMs: env.TF_APPLY_TIMEOUT * 1000,
    },
  };
  const deploymentCreator = new DeploymentCreator(infraDeps);
  const deploymentApplier = new DeploymentApplier(infraDeps);
  // Prepared by its POST /infra request; one a crash left `proposed` goes to the plan kind (which refuses it).
  executor.registerKind(CREATE_DEPLOYMENT, {
    prepare: (id) => executor.planKind.prepare(id),
    apply: (id) => deploymentApplier.run(id),
  });
  const verifier = new Verifier({
    store: verificationStore,
    decisions: verificationDecisions,
    preparer: overrides.actionPreparer ?? executor,
    timers: overrides.timers ?? realTimers,
    clock,
    events,
    policy: () => policy,
    windowSeconds: env.VERIFY_WINDOW_SECONDS,
    newId: (prefix) => newId(prefix, clock.now()),
    logger: logger.child({ component: 'verification' }),
    ...(env.PROMETHEUS_URL !== undefined
      ? {
          prometheus: {
            query: new PrometheusHttpQuery(env.PROMETHEUS_URL, env.PROMETHEUS_TIMEOUT_MS),
            holdSeconds: env.PROMETHEUS_HOLD_SECONDS,
          },
        }
      : {}),
  });
  const decisions = new DecisionService({
    store: new SqliteDecisionStore(db, ledger, alerts),
    registry: registryLookup,
    policy,
    model: decisionModel,
    clock,
    newId: (prefix) => newId(prefix, clock.now()),
    llmRecorder: metrics,
    events,
    logger: logger.child({ component: 'decisions' }),
    preparer: overrides.actionPreparer ?? executor,
  });
  const decisionTrigger = overrides.decisionTrigger ?? decisions;
  const intake = new AlertIntake({
    store: alerts,
    ledger,
    registry: registryLookup,
    trigger: decisionTrigger,
    events,
    clock,
    logger,
    resourceLabels: env.RESOURCE_LABELS,
    newId,
  });
  // Every write reports its outcome (write-outcomes.ts) so /health can say "disk full" while SELECT 1 still works.
  const writeHealth = new WriteHealth(config.databasePath, clock);
  observeWrites(db, (err) => writeHealth.observe(err));
  // Incidents whose decision could not be stored (disk full) are decided again without a restart.
  const storageRetry = retryWhileStorageFails(
    writeHealth,
    overrides.scheduler ?? intervalScheduler,
    () => {
      decisions.recover();
      executor.prepareUnprepared();
    },
    logger,
  );
  const intakeBatcher = new IntakeBatcher(intake, (fn) => setImmediate(fn));

  const approvalView = new SqliteApprovalView(db);
  const telegram = telegramFrom(config, {
    approvals: executor,
    view: approvalView,
    db,
    ledger,
    events,
    clock,
    logger: logger.child({ component: 'telegram' }),
    ...(overrides.telegramRetry ? { retry: overrides.telegramRetry } : {}),
  });
  return {
    alerts,
    registry,
    registryLookup,
    deploymentLocks,
    registrySync,
    actions,
    policy,
    decisionModel,
    fixClient,
    executor,
    deploymentCreator,
    verifier,
    decisions,
    decisionTrigger,
    intake,
    intakeBatcher,
    writeHealth,
    storageRetry,
    approvalView,
    telegram,
  };
}

export type Domain = ReturnType<typeof buildDomain>;
