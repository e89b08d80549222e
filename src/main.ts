import type { Config } from './config/config.js';
import { isLoopbackHost } from './config/config.js';
import { onAwaitingApproval } from './approvals/auto-approve.js';
import { buildCore } from './compose/core.js';
import { buildDomain } from './compose/domain.js';
import {
  connectAutoApproval,
  connectExecutor,
  connectTelegram,
  connectVerification,
  type Disconnect,
} from './compose/reactions.js';
import { buildHealthChecks, type TerraformStatus } from './compose/health.js';
import { buildRoutes, httpSecurity } from './compose/routes.js';
import type { Overrides, Service } from './compose/types.js';
import { buildApp } from './http/app.js';
import { AppError } from './shared/errors.js';
import { CliTerraformRunner, MIN_TERRAFORM_VERSION, versionAtLeast } from './terraform/cli-terraform-runner.js';
import type { TerraformRunner } from './terraform/terraform-runner.js';

export type { Overrides, Service } from './compose/types.js';
export { checkRunsDir } from './compose/health.js';

/**
 * The composition root: the only place adapters are constructed (through src/compose/*).
 * Tests build the same graph with fakes swapped in through `overrides`.
 */
export async function compose(config: Config, overrides: Overrides = {}): Promise<Service> {
  const core = buildCore(config, overrides);
  const d = buildDomain(core, overrides);
  const { logger, db, terraform, events } = core;
  const { registrySync, telegram, policy, approvalView, executor, verifier, decisions } = d;
  const tf: TerraformStatus = {};
  // The reactions connected at start (src/compose/reactions.ts), disconnected in the reverse order at stop.
  const off: Record<'telegram' | 'autoApproval' | 'executor' | 'verification', Disconnect> = {
    telegram: () => {},
    autoApproval: () => {},
    executor: () => {},
    verification: () => {},
  };
  let closed = false;

  const app = await buildApp({
    logger,
    security: httpSecurity(config),
    openapi: {
      title: 'InfraAI',
      version: core.version,
      description: 'Prometheus alert → decision → reviewed Terraform change → verified.',
    },
    routes: buildRoutes(core, d, buildHealthChecks(core, d, tf)),
    onClose: async () => {
      if (!closed) db.close();
      closed = true;
    },
  });

  const service: Service = {
    config,
    logger,
    clock: core.clock,
    db,
    terraform,
    ledger: core.ledger,
    events,
    metrics: core.metrics,
    alerts: d.alerts,
    intake: d.intake,
    decisionTrigger: d.decisionTrigger,
    policy,
    decisions,
    fixClient: d.fixClient,
    registry: d.registry,
    registrySync,
    startupSync: [],
    executor,
    actions: d.actions,
    deploymentLocks: d.deploymentLocks,
    verifier,
    approvalView,
    telegram,
    app,
    async start() {
      core.checkpointer.start();
      try {
        tf.version = await checkTerraform(terraform);
      } catch (err) {
        tf.problem = (err as Error).message;
        throw err;
      }
      // A deployment that cannot be initialised or read is recorded as failed, never fatal.
      service.startupSync = await registrySync.syncAll({ bootstrap: true });
      for (const r of service.startupSync.filter((x) => x.outcome === 'failed')) {
        logger.error({ runId: r.runId, error: r.error }, 'deployment could not be synced at start');
      }
      // Approval channels listen before recovery so statuses it publishes reach them.
      if (telegram) {
        off.telegram = connectTelegram(events, telegram);
        telegram.start();
      } else
        logger.info({}, 'Telegram approvals disabled: TELEGRAM_BOT_TOKEN is not set (REST and dashboard still work)');
      const autoApproval = { policy: policy.auto_approve, view: approvalView, approvals: executor, logger };
      off.autoApproval = connectAutoApproval(events, (actionId) => onAwaitingApproval(autoApproval, actionId));
      // Recovery of actions interrupted by the last stop/crash, then the expiry sweep; its reactions after recovery.
      executor.start();
      off.executor = connectExecutor(events, executor);
      // Re-arms verification deadlines stored before the restart (past ones are evaluated now).
      verifier.start();
      off.verification = connectVerification(events, verifier);
      // Incidents opened but not decided before the last stop/crash.
      decisions.recover();
    },
    async stop() {
      try {
        d.storageRetry.stop();
        await decisions.stop();
        off.verification();
        verifier.stop();
        off.executor();
        executor.beginStop();
        if (terraform instanceof CliTerraformRunner) await terraform.interruptAll();
        await executor.idle();
        off.autoApproval();
        off.telegram();
        await telegram?.stop();
      } finally {
        // Whatever failed above: the checkpoint worker must be gone before the process exits.
        await core.checkpointer.stop();
      }
      await closeWithin(app, SHUTDOWN_GRACE_MS);
    },
  };
  return service;
}

/** How long in-flight requests get to finish on shutdown before connections are cut. */
const SHUTDOWN_GRACE_MS = 10_000;

/**
 * Closes the server; keep-alive clients that keep sending (Alertmanager, load balancers) would
 * otherwise hold `close()` open indefinitely, so after the grace period every connection is cut.
 * Requests cut that way get no 2xx, so Alertmanager retries them against the next instance.
 */
async function closeWithin(
  app: { close(): Promise<void>; server: { closeAllConnections(): void } },
  graceMs: number,
): Promise<void> {
  const timer = setTimeout(() => app.server.closeAllConnections(), graceMs);
  timer.unref();
  try {
    await app.close();
  } finally {
    clearTimeout(timer);
  }
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

/** Refuses to expose unauthenticated mutating endpoints beyond this machine. */
export function assertSafeBinding(config: Config): void {
  if (isLoopbackHost(config.env.HOST)) return;
  // Both: an open webhook off-loopback lets anyone open incidents that lead to (auto-approved) changes.
  const missing = (['API_TOKEN', 'WEBHOOK_TOKEN'] as const).filter((name) => config.env[name] === undefined);
  if (missing.length > 0) {
    throw new AppError(
      'ERR_CONFIG',
      `HOST=${config.env.HOST} is reachable from other machines but ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set; ` +
        'set API_TOKEN and WEBHOOK_TOKEN (mutating endpoints then require "Authorization: Bearer <token>") or bind HOST=127.0.0.1',
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
  // `on`, not `once`: execa's signal-exit hook (registered while a Terraform child runs) re-raises
  // the signal to kill the process when it finds no other listener left — which `once` removed,
  // so a SIGTERM during a Terraform run skipped the graceful stop (and exited by signal).
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  return service;
}
