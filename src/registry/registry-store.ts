import type { ParsedState } from './state-parser.js';
import type { DeploymentSettings } from './deployment-settings.js';

export type { DeploymentSettings };
import type { RegistryLookup, RegistryResource } from './registry-port.js';

export type DeploymentStatus = 'active' | 'failed' | 'destroyed' | 'uninitialised';

export interface DeploymentRecord {
  runId: string;
  dir: string;
  status: DeploymentStatus;
  stateSerial: number | null;
  stateLineage: string | null;
  terraformVersion: string | null;
  resourceCount: number;
  lastError: string | null;
  syncedAt: string | null;
  createdAt: string;
  updatedAt: string;
  /** infraai.yaml as read at the last sync; absent when the deployment has none (or it was never read). */
  settings?: DeploymentSettings;
  /** Local module dirs the configuration calls, relative to RUNS_DIR (`modules/pool`); absent until read. */
  localModules?: string[];
}

/** What the files of a deployment say about its layout, read at every sync. */
export interface DeploymentLayout {
  settings: DeploymentSettings | null;
  localModules: string[];
}

export interface StateSnapshot {
  runId: string;
  dir: string;
  serial: number | null;
  lineage: string | null;
  state: ParsedState;
  /** The configuration files' signature the state was read with (`ConfigFacts.signature`); null when not read. */
  configSignature?: string | null;
}

export interface ApplyOutcome {
  /** False when the stored deployment already matched: nothing was written. */
  changed: boolean;
  status: DeploymentStatus;
  added: number;
  updated: number;
  /** Present before, missing now: marked `gone`, never deleted. */
  gone: number;
  /** Marked `gone` before, back in the state now. */
  revived: number;
}

export interface ResourceQuery {
  /** Substring of address, name or cloud id, or an exact lookup key. */
  q?: string | undefined;
  runId?: string | undefined;
  status?: 'present' | 'gone' | undefined;
  limit: number;
  offset: number;
}

/** Persistence of the registry; the sync service writes through it, the alert path reads. */
export interface RegistryStore extends RegistryLookup {
  /**
   * Records a deployment's state in one transaction: new instances inserted, changed ones
   * updated, missing ones marked `gone`. Idempotent: applying the same snapshot twice writes
   * nothing the second time (compared by serial, lineage and a hash of the redacted instances).
   * @throws AppError ERR_DATABASE on SQLite failure (the transaction is rolled back).
   */
  applyState(snapshot: StateSnapshot): ApplyOutcome;
  /**
   * True when the stored deployment is healthy and was synced from exactly this state serial
   * and lineage, with this configuration signature (null: none was read), by the current
   * parser: a sync may then skip reading the state. Reads only.
   */
  isCurrent(
    runId: string,
    dir: string,
    meta: { serial: number; lineage: string },
    configSignature?: string | null,
  ): boolean;
  /**
   * Marks a deployment failed/uninitialised with the (already redacted) error; resources are
   * kept as they were. Writes nothing when status and error are unchanged. Returns whether it wrote.
   */
  recordFailure(runId: string, dir: string, status: 'failed' | 'uninitialised', error: string): boolean;
  /** Stores the deployment's settings and local modules (the row must exist). Writes only when they changed. */
  recordLayout(runId: string, layout: DeploymentLayout): void;
  getDeployment(runId: string): DeploymentRecord | undefined;
  listDeployments(): DeploymentRecord[];
  /** Paginated search over every resource (managed and data, present and gone). Reads only. */
  searchResources(query: ResourceQuery): { total: number; items: RegistryResource[] };
}
