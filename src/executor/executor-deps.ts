import path from 'node:path';
import type { RegistryLookup } from '../registry/registry-port.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { ActionStore } from '../actions/action-store.js';
import type { DeploymentLocks } from './deployment-locks.js';
import type { InterruptedStatePort } from './interrupted-recovery.js';
import type {
  DecisionReader,
  ExecutorPolicy,
  ExecutorSettings,
  FixClient,
  HclEditor,
  RegistryRefresh,
} from './ports.js';
import type { Revisions } from '../actions/revisions.js';
import type { TerraformSteps } from '../terraform/steps.js';

/** Everything the executor's steps share; built once in the composition root. */
export interface ExecutorDeps {
  store: ActionStore;
  locks: DeploymentLocks;
  steps: TerraformSteps;
  hcl: HclEditor;
  policy: ExecutorPolicy;
  decisions: DecisionReader;
  registry: RegistryLookup | undefined;
  registrySync: RegistryRefresh | undefined;
  fix: FixClient | undefined;
  revisions: Revisions;
  settings: ExecutorSettings;
  clock: Clock;
  logger: Logger;
  /**
   * Sensitive values found in each action's plan, kept in memory only (never stored), so apply
   * output can be scrubbed; after a restart they are read again from the saved plan.
   */
  planSecrets: Map<string, Set<string>>;
  /** Where the restart's check of interrupted applies is recorded; without it they are only marked. */
  interrupted?: InterruptedStatePort;
}

export function stagingDirOf(settings: ExecutorSettings, actionId: string): string {
  return path.join(settings.dataDir, 'staging', actionId);
}

export function runDirOf(settings: ExecutorSettings, runId: string): string {
  return path.join(settings.runsDir, runId);
}
