/** Collaborators of POST /infra's deployment creation; main.ts adapts the real ones. */
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { ActionStore } from '../actions/action-store.js';
import type { RegistryRefresh } from '../actions/ports.js';
import type { Revisions } from '../actions/revisions.js';
import type { TerraformSteps } from '../terraform/steps.js';
import type { ConfigGuard } from './config-guard.js';

/** The decision row a human request is recorded as (source 'human', no incident). */
export interface HumanDecision {
  id: string;
  runId: string;
  actionType: 'create_deployment';
  reason: string;
  actor: string;
  parameters: Record<string, unknown>;
  createdAt: string;
}

export interface HumanDecisionSink {
  /** Inserts the decision (status 'proposed', confidence 1) and its `decision.created` ledger entry atomically. */
  insert(d: HumanDecision): void;
}

export interface InfraSettings {
  runsDir: string;
  /** Staging copies live in <dataDir>/staging/<actionId> (the executor's layout). */
  dataDir: string;
  approvalTtlSeconds: number;
  initTimeoutMs: number;
  applyTimeoutMs: number;
}

export interface InfraDeps {
  store: ActionStore;
  decisions: HumanDecisionSink;
  steps: TerraformSteps;
  revisions: Revisions;
  /** Whether the registry already knows a deployment. Reads only. */
  deploymentKnown(runId: string): boolean;
  registrySync: RegistryRefresh | undefined;
  locks: { withDeploymentLock<T>(runId: string, fn: () => Promise<T>): Promise<T> };
  clock: Clock;
  logger: Logger;
  newId: (prefix: string) => string;
  settings: InfraSettings;
  /** The allow-list guard (default: one with INFRA_ALLOW_LIST, created lazily). */
  guard?: ConfigGuard;
}
