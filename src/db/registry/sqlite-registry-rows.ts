import { createHash } from 'node:crypto';
import type { RegistryResource } from '../../registry/registry-port.js';
import type { DeploymentRecord, DeploymentSettings, DeploymentStatus } from '../../registry/registry-store.js';
import { REGISTRY_FORMAT, type ParsedInstance } from '../../registry/state-parser.js';

/** Row shapes of the registry tables and their mapping to domain records. */
export interface ResourceRow extends InstanceColumns {
  id: number;
  run_id: string;
  address: string;
  mode: 'managed' | 'data';
  status: 'present' | 'gone';
}

export interface DeploymentRow {
  run_id: string;
  dir: string;
  status: DeploymentStatus;
  state_serial: number | null;
  state_lineage: string | null;
  terraform_version: string | null;
  state_hash: string | null;
  config_signature: string | null;
  resource_count: number;
  last_error: string | null;
  synced_at: string | null;
  created_at: string;
  updated_at: string;
  settings_json?: string | null;
  local_modules_json?: string | null;
}

export const RESOURCE_COLUMNS =
  'r.id, r.run_id, r.address, r.block_address, r.module_path, r.mode, r.type, r.name, r.index_key, r.provider, r.cloud_id, r.attributes_json, r.ignored_changes_json, r.status';

export function toResource(row: ResourceRow): RegistryResource {
  return {
    runId: row.run_id,
    address: row.address,
    blockAddress: row.block_address,
    modulePath: row.module_path,
    mode: row.mode,
    type: row.type,
    name: row.name,
    indexKey: row.index_key === null ? null : (JSON.parse(row.index_key) as number | string),
    provider: row.provider,
    cloudId: row.cloud_id,
    attributes: JSON.parse(row.attributes_json) as Record<string, unknown>,
    ...(row.ignored_changes_json === null ? {} : { ignoredChanges: JSON.parse(row.ignored_changes_json) as string[] }),
    status: row.status,
  };
}

export function toDeployment(row: DeploymentRow): DeploymentRecord {
  return {
    runId: row.run_id,
    dir: row.dir,
    status: row.status,
    stateSerial: row.state_serial,
    stateLineage: row.state_lineage,
    terraformVersion: row.terraform_version,
    resourceCount: row.resource_count,
    lastError: row.last_error,
    syncedAt: row.synced_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...(row.settings_json == null ? {} : { settings: JSON.parse(row.settings_json) as DeploymentSettings }),
    ...(row.local_modules_json == null ? {} : { localModules: JSON.parse(row.local_modules_json) as string[] }),
  };
}

/** The column values an instance is stored as; two instances with equal values need no write. */
export interface InstanceColumns {
  block_address: string;
  module_path: string;
  mode: string;
  type: string;
  name: string;
  index_key: string | null;
  provider: string;
  cloud_id: string | null;
  attributes_json: string;
  /** JSON list of the block's ignore_changes paths; NULL = unknown (module block, not read). */
  ignored_changes_json: string | null;
}

export function columnsOf(inst: ParsedInstance): InstanceColumns {
  return {
    block_address: inst.blockAddress,
    module_path: inst.modulePath,
    mode: inst.mode,
    type: inst.type,
    name: inst.name,
    index_key: inst.indexKey === null ? null : JSON.stringify(inst.indexKey),
    provider: inst.provider,
    cloud_id: inst.cloudId,
    attributes_json: JSON.stringify(inst.attributes),
    ignored_changes_json: inst.ignoredChanges === undefined ? null : JSON.stringify(inst.ignoredChanges),
  };
}

export function sameColumns(row: ResourceRow, c: InstanceColumns): boolean {
  return (
    row.attributes_json === c.attributes_json &&
    row.ignored_changes_json === c.ignored_changes_json &&
    row.cloud_id === c.cloud_id &&
    row.block_address === c.block_address &&
    row.module_path === c.module_path &&
    row.mode === c.mode &&
    row.type === c.type &&
    row.name === c.name &&
    row.index_key === c.index_key &&
    row.provider === c.provider
  );
}

/** Stored hashes carry the registry format, so a parser change invalidates them. */
export const HASH_PREFIX = `f${REGISTRY_FORMAT}:`;

/** Hash of the redacted instance set, in state order. */
export function hashInstances(columns: Array<[string, InstanceColumns]>): string {
  const h = createHash('sha256');
  for (const [address, c] of columns) {
    h.update(
      [
        address,
        c.block_address,
        c.module_path,
        c.mode,
        c.type,
        c.name,
        c.index_key ?? '',
        c.provider,
        c.cloud_id ?? '',
        c.attributes_json,
        c.ignored_changes_json ?? '',
      ].join('\u0000'),
    );
    h.update('\u0001');
  }
  return `${HASH_PREFIX}${h.digest('hex')}`;
}
