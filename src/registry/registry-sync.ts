import { AppError, errorMessage } from '../shared/errors.js';
import type { EventBus } from '../shared/events.js';
import type { Logger } from '../shared/logger.js';
import { scrubText } from '../shared/redact.js';
import { describeFailure, type TerraformResult } from '../terraform/terraform-runner.js';
import type { StepLimits, TerraformSteps } from '../terraform/steps.js';
import { ConfigReader, withIgnoredChanges } from './config-lifecycle.js';
import { discoverDeployments, hasTerraformConfig, isInitialised, wantsBootstrap } from './deployment-discovery.js';
import type { ApplyOutcome, DeploymentLayout, DeploymentStatus, RegistryStore } from './registry-store.js';
import { resolveRunDir } from './run-id.js';
import path from 'node:path';
import { localModuleDirs, selectedWorkspace } from '../terraform/workspace-fs.js';
import { readDeploymentSettings, type DeploymentSettings } from './deployment-settings.js';
import { parseShowJson, parseStatePullMeta, type ParsedState } from './state-parser.js';

export interface RegistrySyncOptions {
  runsDir: string;
  initTimeoutMs: number;
  /** For show/state pull (read-only commands) — TF_PLAN_TIMEOUT. */
  readTimeoutMs: number;
  applyTimeoutMs: number;
}

/** Runs `fn` while holding the deployment's lock (the executor provides the real one). */
export type DeploymentLock = <T>(runId: string, fn: () => Promise<T>) => Promise<T>;

export interface RegistrySyncDeps {
  steps: TerraformSteps;
  store: RegistryStore;
  events: EventBus;
  logger: Logger;
  withDeploymentLock?: DeploymentLock;
}

export interface SyncReport {
  runId: string;
  /** `unchanged` wrote nothing; `failed` recorded the error on the deployment (when its name is valid). */
  outcome: 'changed' | 'unchanged' | 'failed';
  status: DeploymentStatus | null;
  bootstrapped: boolean;
  error?: string;
  counts?: Omit<ApplyOutcome, 'changed' | 'status'>;
}

export interface SyncOptions {
  /** Apply deployments marked `.infraai-bootstrap` that have no state yet (done once, at start). */
  bootstrap?: boolean;
  signal?: AbortSignal;
}

/** Keeps the registry in line with Terraform state, read through Terraform itself. */
export class RegistrySync {
  private readonly lock: DeploymentLock;
  // Built-in-only configurations never get a .terraform dir; init them once per process, not per sync.
  private readonly initialised = new Set<string>();
  private readonly config = new ConfigReader();

  constructor(
    private readonly deps: RegistrySyncDeps,
    private readonly options: RegistrySyncOptions,
  ) {
    this.lock = deps.withDeploymentLock ?? ((_runId, fn) => fn());
  }

  /** Syncs every deployment under RUNS_DIR. Never throws for one deployment's failure. */
  async syncAll(opts: SyncOptions = {}): Promise<SyncReport[]> {
    const { deployments, refused } = discoverDeployments(this.options.runsDir);
    const reports: SyncReport[] = refused.map((r) => ({
      runId: r.name,
      outcome: 'failed' as const,
      status: null,
      bootstrapped: false,
      error: r.reason,
    }));
    for (const r of refused) this.deps.logger.warn({ entry: r.name, reason: r.reason }, 'run dir refused');
    for (const d of deployments) reports.push(await this.syncOne(d.runId, opts));
    return reports;
  }

  /**
   * Syncs one deployment. Invalid names and missing deployments throw; Terraform failures are
   * recorded on the deployment (status `failed`, last_error) and returned, not thrown.
   * @throws AppError ERR_INVALID_RUN_ID, ERR_DEPLOYMENT_NOT_FOUND.
   */
  async syncOne(runId: string, opts: SyncOptions = {}): Promise<SyncReport> {
    const dir = resolveRunDir(this.options.runsDir, runId);
    if (!hasTerraformConfig(dir)) {
      throw new AppError('ERR_DEPLOYMENT_NOT_FOUND', `"${runId}" holds no Terraform configuration (*.tf, *.tf.json)`);
    }
    return this.lock(runId, async () => {
      try {
        return await this.syncLocked(runId, dir, opts);
      } catch (err) {
        const error = scrubText(errorMessage(err), []);
        this.deps.store.recordFailure(runId, dir, 'failed', error);
        this.deps.logger.warn({ runId, error }, 'registry sync failed');
        return { runId, outcome: 'failed', status: 'failed', bootstrapped: false, error };
      }
    });
  }

  private async syncLocked(runId: string, dir: string, opts: SyncOptions): Promise<SyncReport> {
    // A bad infraai.yaml marks the deployment failed with the field named; nothing else is read.
    const read = readDeploymentSettings(dir);
    if (!read.ok) throw new AppError('ERR_VALIDATION', read.error);
    await this.ensureInit(runId, dir, opts.signal);
    if (read.settings.workspace !== undefined)
      await this.selectWorkspace(runId, dir, read.settings.workspace, opts.signal);
    const layout: DeploymentLayout = {
      settings: read.present ? read.settings : null,
      localModules: localModuleDirs(dir).map((d) => path.relative(path.resolve(this.options.runsDir), d)),
    };
    const report = await this.syncState(runId, dir, read.settings, opts);
    this.deps.store.recordLayout(runId, layout);
    return report;
  }

  /** Selects the deployment's workspace when another one is selected (`.terraform/environment`). */
  private async selectWorkspace(runId: string, dir: string, name: string, signal: AbortSignal | undefined) {
    if (selectedWorkspace(dir) === name) return;
    const limits = limitsOf(this.options.readTimeoutMs, signal);
    await this.tf(`selecting workspace "${name}" of "${runId}"`, this.deps.steps.workspaceSelect(dir, name, limits));
  }

  private async syncState(
    runId: string,
    dir: string,
    settings: DeploymentSettings,
    opts: SyncOptions,
  ): Promise<SyncReport> {
    // Pull before show: if an apply slips in between, the stored serial is older than the
    // content, so the next sync sees a newer serial and reads again (never the reverse).
    let meta = await this.pullMeta(runId, dir, opts.signal);
    // lifecycle { ignore_changes } lives in the files, not the state: re-read when either moved.
    const { facts: config, fresh } = await this.config.read(dir);
    if (fresh && config.problems.length > 0) {
      this.deps.logger.warn(
        { runId, problems: config.problems },
        'configuration not fully read: ignore_changes unknown',
      );
    }
    // Terraform bumps the serial on every state change: same lineage+serial means same state.
    if (meta !== null && this.deps.store.isCurrent(runId, dir, meta, config.signature)) {
      return {
        runId,
        outcome: 'unchanged',
        status: this.deps.store.getDeployment(runId)?.status ?? null,
        bootstrapped: false,
      };
    }
    let state = await this.show(runId, dir, opts.signal);
    let bootstrapped = false;
    if (opts.bootstrap === true && !state.hasState && wantsBootstrap(dir)) {
      this.deps.logger.info({ runId }, 'bootstrapping deployment: terraform apply');
      const limits = limitsOf(this.options.applyTimeoutMs, opts.signal);
      await this.tf(`bootstrapping "${runId}"`, this.deps.steps.applyConfig(dir, limits, settings.var_files));
      bootstrapped = true;
      meta = await this.pullMeta(runId, dir, opts.signal);
      state = await this.show(runId, dir, opts.signal);
    }
    const outcome = this.deps.store.applyState({
      runId,
      dir,
      serial: meta?.serial ?? null,
      lineage: meta?.lineage ?? null,
      state: withIgnoredChanges(state, config),
      configSignature: config.signature,
    });
    const { changed, status, ...counts } = outcome;
    if (changed) this.deps.events.publish({ type: 'registry.synced', runId });
    this.deps.logger.info({ runId, changed, status, ...counts, secrets: state.secretCount }, 'registry synced');
    return { runId, outcome: changed ? 'changed' : 'unchanged', status, bootstrapped, counts };
  }

  private async pullMeta(
    runId: string,
    dir: string,
    signal: AbortSignal | undefined,
  ): Promise<{ serial: number; lineage: string } | null> {
    const what = `reading state of "${runId}"`;
    const pulled = this.deps.steps.statePull(dir, limitsOf(this.options.readTimeoutMs, signal));
    return parseStatePullMeta(runId, await this.tf(what, pulled));
  }

  private async ensureInit(runId: string, dir: string, signal: AbortSignal | undefined): Promise<void> {
    if (isInitialised(dir) || this.initialised.has(dir)) return;
    const limits = limitsOf(this.options.initTimeoutMs, signal);
    await this.tf(`initialising "${runId}"`, this.deps.steps.init(dir, limits));
    this.initialised.add(dir);
  }

  private async show(runId: string, dir: string, signal: AbortSignal | undefined): Promise<ParsedState> {
    const shown = this.deps.steps.showState(dir, limitsOf(this.options.readTimeoutMs, signal));
    const out = await this.tf(`reading state of "${runId}"`, shown);
    let json: unknown;
    try {
      json = JSON.parse(out);
    } catch {
      throw new AppError('ERR_TERRAFORM', `reading state of "${runId}": terraform show -json did not print JSON`);
    }
    return parseShowJson(runId, json);
  }

  /** Awaits one command; a non-zero exit or timeout becomes ERR_TERRAFORM(_TIMEOUT) naming the step. */
  private async tf(what: string, running: Promise<TerraformResult>): Promise<string> {
    const result = await running;
    if (result.exitCode === 0) return result.stdout;
    throw new AppError(result.timedOut ? 'ERR_TERRAFORM_TIMEOUT' : 'ERR_TERRAFORM', describeFailure(what, result));
  }
}

function limitsOf(timeoutMs: number, signal: AbortSignal | undefined): StepLimits {
  return { timeoutMs, ...(signal ? { signal } : {}) };
}
