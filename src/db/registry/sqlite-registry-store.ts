import type { Statement } from 'better-sqlite3';
import type { Clock } from '../../shared/clock.js';
import { isoAt } from '../../shared/clock.js';
import { AppError } from '../../shared/errors.js';
import { STRONG_KINDS, type KeyKind } from '../../registry/lookup-keys.js';
import { ambiguityReason, MAX_CANDIDATES, resolveMatches } from '../../registry/lookup-resolve.js';
import type { LookupResult, RegistryResource } from '../../registry/registry-port.js';
import type {
  ApplyOutcome,
  DeploymentLayout,
  DeploymentRecord,
  DeploymentStatus,
  RegistryStore,
  ResourceQuery,
  StateSnapshot,
} from '../../registry/registry-store.js';
import type { Db } from '../connection/database.js';
import {
  columnsOf,
  HASH_PREFIX,
  hashInstances,
  RESOURCE_COLUMNS,
  toDeployment,
  toResource,
  type DeploymentRow,
  type InstanceColumns,
  type ResourceRow,
} from './sqlite-registry-rows.js';
import { writeInstances } from './sqlite-registry-write.js';

const LOOKUP_ROW_LIMIT = 200;

const LIGHT_COLUMNS = 'r.id, r.run_id, r.address, r.block_address, r.index_key';
const STRONG_LIST = [...STRONG_KINDS].map((k) => `'${k}'`).join(', ');

interface LookupRow {
  kind: KeyKind;
  id: number;
  run_id: string;
  address: string;
  block_address: string;
  index_key: string | null;
}

/** The registry on SQLite: deployments, resources and their lookup keys. */
export class SqliteRegistryStore implements RegistryStore {
  // CROSS JOIN pins the join order: start from the key (a handful of rows), never from all of
  // a deployment's resources, which the planner otherwise picks when run_id is constrained.
  private readonly stmts: {
    getDeployment: Statement<[string], DeploymentRow>;
    listDeployments: Statement<[], DeploymentRow>;
    recordLayout: Statement<[string | null, string, string]>;
    upsertDeployment: Statement<Record<string, unknown>>;
    lookupStrong: Statement<[string], LookupRow>;
    lookupBlocks: Statement<[string], { run_id: string; block_address: string }>;
    lookupInBlock: Statement<[string, string, string], LookupRow>;
    firstInBlock: Statement<[string, string, string], { id: number }>;
    byId: Statement<[number], ResourceRow>;
    get: Statement<[string, string], ResourceRow>;
    listByDeployment: Statement<[string, number], ResourceRow>;
    dataVersion: Statement<[], number>;
  };
  /** Writes through this store; with PRAGMA data_version (other connections' commits) it forms generation(). */
  private writes = 0;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {
    this.stmts = {
      getDeployment: db.prepare('SELECT * FROM deployments WHERE run_id = ?'),
      dataVersion: db.prepare<[], number>('PRAGMA data_version').pluck(),
      listDeployments: db.prepare('SELECT * FROM deployments ORDER BY run_id'),
      recordLayout: db.prepare('UPDATE deployments SET settings_json = ?, local_modules_json = ? WHERE run_id = ?'),
      upsertDeployment: db.prepare(
        `INSERT INTO deployments (run_id, dir, status, state_serial, state_lineage, terraform_version, state_hash,
           config_signature, resource_count, last_error, synced_at, created_at, updated_at)
         VALUES (@run_id, @dir, @status, @state_serial, @state_lineage, @terraform_version, @state_hash,
           @config_signature, @resource_count, @last_error, @synced_at, @now, @now)
         ON CONFLICT (run_id) DO UPDATE SET dir = excluded.dir, status = excluded.status,
           state_serial = excluded.state_serial, state_lineage = excluded.state_lineage,
           terraform_version = excluded.terraform_version, state_hash = excluded.state_hash,
           config_signature = excluded.config_signature,
           resource_count = excluded.resource_count, last_error = excluded.last_error,
           synced_at = excluded.synced_at, updated_at = excluded.updated_at`,
      ),
      lookupStrong: db.prepare(
        `SELECT k.kind, ${LIGHT_COLUMNS} FROM resource_keys k CROSS JOIN resources r ON r.id = k.resource_id
         WHERE k.key = ? AND k.kind IN (${STRONG_LIST}) AND r.status = 'present' AND r.mode = 'managed'
         LIMIT ${LOOKUP_ROW_LIMIT}`,
      ),
      lookupBlocks: db.prepare(
        `SELECT DISTINCT r.run_id, r.block_address FROM resource_keys k CROSS JOIN resources r ON r.id = k.resource_id
         WHERE k.key = ? AND r.status = 'present' AND r.mode = 'managed' LIMIT ${MAX_CANDIDATES + 1}`,
      ),
      lookupInBlock: db.prepare(
        `SELECT k.kind, ${LIGHT_COLUMNS} FROM resource_keys k CROSS JOIN resources r ON r.id = k.resource_id
         WHERE k.key = ? AND r.run_id = ? AND r.block_address = ? AND r.status = 'present' AND r.mode = 'managed'
         LIMIT ${LOOKUP_ROW_LIMIT}`,
      ),
      firstInBlock: db.prepare(
        `SELECT r.id FROM resources r WHERE r.run_id = ? AND r.block_address = ? AND r.status = 'present'
         AND r.mode = 'managed' AND EXISTS (SELECT 1 FROM resource_keys k WHERE k.key = ? AND k.resource_id = r.id)
         ORDER BY r.id LIMIT 1`,
      ),
      byId: db.prepare(`SELECT ${RESOURCE_COLUMNS} FROM resources r WHERE r.id = ?`),
      get: db.prepare(`SELECT ${RESOURCE_COLUMNS} FROM resources r WHERE r.run_id = ? AND r.address = ?`),
      listByDeployment: db.prepare(
        `SELECT ${RESOURCE_COLUMNS} FROM resources r WHERE r.run_id = ? AND r.status = 'present' AND r.mode = 'managed'
         ORDER BY r.id LIMIT ?`,
      ),
    };
  }

  applyState(snapshot: StateSnapshot): ApplyOutcome {
    const instances = [...snapshot.state.managed, ...snapshot.state.data];
    const columns = instances.map((i) => [i.address, columnsOf(i)] as [string, InstanceColumns]);
    const hash = hashInstances(columns);
    const existing = this.stmts.getDeployment.get(snapshot.runId);
    const status = statusFor(instances.length, existing);
    const configSignature = snapshot.configSignature ?? null;
    const none = { added: 0, updated: 0, gone: 0, revived: 0 };
    if (
      existing !== undefined &&
      existing.state_hash === hash &&
      existing.status === status &&
      existing.state_serial === snapshot.serial &&
      existing.state_lineage === snapshot.lineage &&
      existing.dir === snapshot.dir &&
      existing.config_signature === configSignature &&
      existing.last_error === null
    ) {
      return { changed: false, status, ...none };
    }
    const now = isoAt(this.clock);
    const run = this.db.transaction((): ApplyOutcome => {
      this.stmts.upsertDeployment.run({
        run_id: snapshot.runId,
        dir: snapshot.dir,
        status,
        state_serial: snapshot.serial,
        state_lineage: snapshot.lineage,
        terraform_version: snapshot.state.terraformVersion,
        state_hash: hash,
        config_signature: configSignature,
        resource_count: instances.length,
        last_error: null,
        synced_at: now,
        now,
      });
      // Same instances, new serial (e.g. a refresh): only the deployment row moves.
      if (existing?.state_hash === hash) return { changed: true, status, ...none };
      return { changed: true, status, ...writeInstances(this.db, snapshot, instances, columns, now) };
    });
    try {
      return run();
    } catch (err) {
      throw new AppError('ERR_DATABASE', `storing state of "${snapshot.runId}": ${(err as Error).message}`, {
        cause: err,
      });
    } finally {
      this.writes += 1;
    }
  }

  generation(): string {
    return `${this.writes}:${this.stmts.dataVersion.get() ?? 0}`;
  }

  isCurrent(
    runId: string,
    dir: string,
    meta: { serial: number; lineage: string },
    configSignature: string | null = null,
  ): boolean {
    const row = this.stmts.getDeployment.get(runId);
    return (
      row !== undefined &&
      (row.status === 'active' || row.status === 'destroyed') &&
      row.last_error === null &&
      row.dir === dir &&
      row.state_serial === meta.serial &&
      row.state_lineage === meta.lineage &&
      row.config_signature === configSignature &&
      row.state_hash !== null &&
      row.state_hash.startsWith(HASH_PREFIX)
    );
  }

  recordFailure(runId: string, dir: string, status: 'failed' | 'uninitialised', error: string): boolean {
    const existing = this.stmts.getDeployment.get(runId);
    if (existing && existing.status === status && existing.last_error === error && existing.dir === dir) return false;
    this.stmts.upsertDeployment.run({
      run_id: runId,
      dir,
      status,
      state_serial: existing?.state_serial ?? null,
      state_lineage: existing?.state_lineage ?? null,
      terraform_version: existing?.terraform_version ?? null,
      state_hash: existing?.state_hash ?? null,
      config_signature: existing?.config_signature ?? null,
      resource_count: existing?.resource_count ?? 0,
      last_error: error,
      synced_at: existing?.synced_at ?? null,
      now: isoAt(this.clock),
    });
    this.writes += 1;
    return true;
  }

  deploymentLabels(runId: string): Readonly<Record<string, string>> | undefined {
    return this.getDeployment(runId)?.settings?.labels;
  }

  sharedModuleUsers(runId: string, file: string): { moduleDir: string; runIds: string[] } | undefined {
    const all = this.listDeployments();
    const own = all.find((d) => d.runId === runId)?.localModules ?? [];
    // The deepest module dir holding the file (a module may sit inside another's directory).
    const moduleDir = own
      .filter((m) => file.startsWith(`${m}/`))
      .sort((a, b) => b.length - a.length)
      .at(0);
    if (moduleDir === undefined) return undefined;
    const runIds = all
      .filter((d) => d.runId !== runId && (d.localModules ?? []).includes(moduleDir))
      .map((d) => d.runId);
    return runIds.length > 0 ? { moduleDir, runIds } : undefined;
  }

  recordLayout(runId: string, layout: DeploymentLayout): void {
    const settings = layout.settings === null ? null : JSON.stringify(layout.settings);
    const modules = JSON.stringify(layout.localModules);
    const row = this.stmts.getDeployment.get(runId);
    if (row === undefined || (row.settings_json === settings && row.local_modules_json === modules)) return;
    this.stmts.recordLayout.run(settings, modules, runId);
    this.writes += 1;
  }

  getDeployment(runId: string): DeploymentRecord | undefined {
    const row = this.stmts.getDeployment.get(runId);
    return row === undefined ? undefined : toDeployment(row);
  }

  listDeployments(): DeploymentRecord[] {
    return this.stmts.listDeployments.all().map(toDeployment);
  }

  lookup(key: string): LookupResult {
    // Strong keys (address, cloud id, self_link) decide alone; they are rare, so this is cheap.
    const strong = this.stmts.lookupStrong.all(key);
    if (strong.length > 0) return this.resolveRows(key, strong);
    // Weak keys (labels, names) can match thousands of rows: ask SQLite for at most
    // MAX_CANDIDATES + 1 distinct blocks instead of reading every match.
    const blocks = this.stmts.lookupBlocks.all(key);
    const only = blocks[0];
    if (only === undefined) return { status: 'unknown', reason: `no present managed resource has the key "${key}"` };
    if (blocks.length === 1)
      return this.resolveRows(key, this.stmts.lookupInBlock.all(key, only.run_id, only.block_address));
    const list = blocks.slice(0, MAX_CANDIDATES).map((b) => ({ runId: b.run_id, blockAddress: b.block_address }));
    return {
      status: 'ambiguous',
      reason: ambiguityReason(key, list, blocks.length > MAX_CANDIDATES),
      candidates: blocks
        .slice(0, MAX_CANDIDATES)
        .map((b) => this.load(this.stmts.firstInBlock.get(b.run_id, b.block_address, key)!.id)),
    };
  }

  /** Decides on light rows; parses attributes only for the rows in the answer. */
  private resolveRows(key: string, rows: LookupRow[]): LookupResult {
    const matches = rows.map((r) => ({
      kind: r.kind,
      resource: {
        id: r.id,
        runId: r.run_id,
        address: r.address,
        blockAddress: r.block_address,
        indexKey: r.index_key === null ? null : (JSON.parse(r.index_key) as number | string),
      },
    }));
    const res = resolveMatches(key, matches, rows.length >= LOOKUP_ROW_LIMIT);
    if (res.status === 'matched')
      return { status: 'matched', matchedBy: res.matchedBy, resource: this.load(res.resource.id) };
    if (res.status === 'ambiguous')
      return { status: 'ambiguous', reason: res.reason, candidates: res.candidates.map((c) => this.load(c.id)) };
    return res;
  }

  private load(id: number): RegistryResource {
    return toResource(this.stmts.byId.get(id)!);
  }

  get(runId: string, address: string): RegistryResource | undefined {
    const row = this.stmts.get.get(runId, address);
    return row === undefined ? undefined : toResource(row);
  }

  listByDeployment(runId: string, limit = 1000): RegistryResource[] {
    return this.stmts.listByDeployment.all(runId, limit).map(toResource);
  }

  searchResources(query: ResourceQuery): { total: number; items: RegistryResource[] } {
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: query.limit, offset: query.offset };
    if (query.runId !== undefined) {
      where.push('r.run_id = @runId');
      params['runId'] = query.runId;
    }
    if (query.status !== undefined) {
      where.push('r.status = @status');
      params['status'] = query.status;
    }
    if (query.q !== undefined && query.q !== '') {
      where.push(
        `(r.address LIKE @like ESCAPE '\\' OR r.name LIKE @like ESCAPE '\\' OR r.cloud_id LIKE @like ESCAPE '\\'
          OR r.id IN (SELECT resource_id FROM resource_keys WHERE key = @q))`,
      );
      params['q'] = query.q;
      params['like'] = `%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    }
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const total = (this.db.prepare(`SELECT count(*) AS n FROM resources r ${clause}`).get(params) as { n: number }).n;
    const rows = this.db
      .prepare(
        `SELECT ${RESOURCE_COLUMNS} FROM resources r ${clause} ORDER BY r.run_id, r.id LIMIT @limit OFFSET @offset`,
      )
      .all(params) as ResourceRow[];
    return { total, items: rows.map(toResource) };
  }
}

/** Zero instances after having had some means the deployment was destroyed. */
function statusFor(count: number, existing: DeploymentRow | undefined): DeploymentStatus {
  if (count > 0) return 'active';
  const hadResources = existing !== undefined && (existing.resource_count > 0 || existing.status === 'destroyed');
  return hadResources ? 'destroyed' : 'active';
}
