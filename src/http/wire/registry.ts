import { z } from 'zod';
import type { RegistryResource } from '../../registry/registry-port.js';
import type { DeploymentRecord } from '../../registry/registry-store.js';
import type { SyncReport } from '../../registry/registry-sync.js';
import { DataMap } from './common.js';

const DeploymentStatus = z.enum(['active', 'failed', 'destroyed', 'uninitialised']);

export const ResourceWire = z.strictObject({
  run_id: z.string(),
  address: z.string(),
  block_address: z.string(),
  module_path: z.string(),
  mode: z.enum(['managed', 'data']),
  type: z.string(),
  name: z.string(),
  index_key: z.union([z.number(), z.string()]).nullable(),
  provider: z.string(),
  cloud_id: z.string().nullable(),
  attributes: DataMap,
  /** The block's lifecycle ignore_changes (dotted paths, or `all`); null when unknown (module blocks). */
  ignored_changes: z.array(z.string()).nullable(),
  status: z.enum(['present', 'gone']),
});

export const DeploymentWire = z.strictObject({
  run_id: z.string(),
  dir: z.string(),
  status: DeploymentStatus,
  state_serial: z.number().nullable(),
  state_lineage: z.string().nullable(),
  terraform_version: z.string().nullable(),
  resource_count: z.number(),
  last_error: z.string().nullable(),
  synced_at: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  /** infraai.yaml as read at the last sync; null when the deployment has none. */
  settings: z
    .strictObject({
      var_files: z.array(z.string()),
      workspace: z.string().nullable(),
      owners: z.array(z.string()),
      labels: z.record(z.string(), z.string()),
    })
    .nullable(),
  /** Local modules the configuration calls (dirs relative to RUNS_DIR) and the other deployments calling each. */
  local_modules: z.array(z.strictObject({ dir: z.string(), shared_with: z.array(z.string()) })),
});

export const SyncReportWire = z.strictObject({
  run_id: z.string(),
  outcome: z.enum(['changed', 'unchanged', 'failed']),
  status: DeploymentStatus.nullable(),
  bootstrapped: z.boolean(),
  error: z.string().optional(),
  counts: z.strictObject({ added: z.number(), updated: z.number(), gone: z.number(), revived: z.number() }).optional(),
});

export function resourceToWire(r: RegistryResource): z.infer<typeof ResourceWire> {
  return {
    run_id: r.runId,
    address: r.address,
    block_address: r.blockAddress,
    module_path: r.modulePath,
    mode: r.mode,
    type: r.type,
    name: r.name,
    index_key: r.indexKey,
    provider: r.provider,
    cloud_id: r.cloudId,
    attributes: r.attributes,
    ignored_changes: r.ignoredChanges === undefined ? null : [...r.ignoredChanges],
    status: r.status,
  };
}

/** `all` (every deployment) says which other deployments call the same local modules. */
export function deploymentToWire(
  d: DeploymentRecord,
  all: readonly DeploymentRecord[] = [],
): z.infer<typeof DeploymentWire> {
  const s = d.settings;
  return {
    run_id: d.runId,
    dir: d.dir,
    status: d.status,
    state_serial: d.stateSerial,
    state_lineage: d.stateLineage,
    terraform_version: d.terraformVersion,
    resource_count: d.resourceCount,
    last_error: d.lastError,
    synced_at: d.syncedAt,
    created_at: d.createdAt,
    updated_at: d.updatedAt,
    settings:
      s === undefined
        ? null
        : { var_files: s.var_files, workspace: s.workspace ?? null, owners: s.owners, labels: s.labels },
    local_modules: (d.localModules ?? []).map((dir) => ({
      dir,
      shared_with: all.filter((o) => o.runId !== d.runId && (o.localModules ?? []).includes(dir)).map((o) => o.runId),
    })),
  };
}

export function syncReportToWire(r: SyncReport): z.infer<typeof SyncReportWire> {
  return {
    run_id: r.runId,
    outcome: r.outcome,
    status: r.status,
    bootstrapped: r.bootstrapped,
    ...(r.error !== undefined ? { error: r.error } : {}),
    ...(r.counts !== undefined
      ? { counts: { added: r.counts.added, updated: r.counts.updated, gone: r.counts.gone, revived: r.counts.revived } }
      : {}),
  };
}
