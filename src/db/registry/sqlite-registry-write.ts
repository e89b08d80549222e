import type { Statement } from 'better-sqlite3';
import type { StateSnapshot } from '../../registry/registry-store.js';
import type { ParsedInstance } from '../../registry/state-parser.js';
import type { Db } from '../connection/database.js';
import { sameColumns, type InstanceColumns, type ResourceRow } from './sqlite-registry-rows.js';

interface WriteStatements {
  existing: Statement<[string], ResourceRow>;
  insert: Statement<Record<string, unknown>>;
  update: Statement<Record<string, unknown>>;
  markGone: Statement<[string, number | null, number]>;
  deleteKeys: Statement<[number]>;
  insertKey: Statement<[string, number, string]>;
}

// Statements are prepared once per database handle, not once per sync.
const cache = new WeakMap<Db, WriteStatements>();

function statements(db: Db): WriteStatements {
  let s = cache.get(db);
  if (s === undefined) {
    s = {
      existing: db.prepare(
        `SELECT id, run_id, address, block_address, module_path, mode, type, name, index_key, provider, cloud_id,
           attributes_json, ignored_changes_json, status FROM resources WHERE run_id = ?`,
      ),
      insert: db.prepare(
        `INSERT INTO resources (run_id, address, block_address, module_path, mode, type, name, index_key, provider,
           cloud_id, attributes_json, ignored_changes_json, status, last_seen_serial, created_at, updated_at)
         VALUES (@run_id, @address, @block_address, @module_path, @mode, @type, @name, @index_key, @provider,
           @cloud_id, @attributes_json, @ignored_changes_json, 'present', @serial, @now, @now)`,
      ),
      update: db.prepare(
        `UPDATE resources SET block_address = @block_address, module_path = @module_path, mode = @mode, type = @type,
           name = @name, index_key = @index_key, provider = @provider, cloud_id = @cloud_id,
           attributes_json = @attributes_json, ignored_changes_json = @ignored_changes_json, status = 'present', last_seen_serial = @serial, updated_at = @now
         WHERE id = @id`,
      ),
      markGone: db.prepare(
        `UPDATE resources SET status = 'gone', updated_at = ?, last_seen_serial = ? WHERE id = ?`,
      ) as Statement<[string, number | null, number]>,
      deleteKeys: db.prepare('DELETE FROM resource_keys WHERE resource_id = ?'),
      insertKey: db.prepare('INSERT OR IGNORE INTO resource_keys (key, resource_id, kind) VALUES (?, ?, ?)'),
    };
    cache.set(db, s);
  }
  return s;
}

/**
 * Brings the resource rows of one deployment in line with a snapshot. Must run inside the
 * caller's transaction. Only rows whose stored columns differ are written.
 */
export function writeInstances(
  db: Db,
  snapshot: StateSnapshot,
  instances: ParsedInstance[],
  columns: Array<[string, InstanceColumns]>,
  now: string,
): { added: number; updated: number; gone: number; revived: number } {
  const s = statements(db);
  const rows = new Map(s.existing.all(snapshot.runId).map((r) => [r.address, r]));
  const counts = { added: 0, updated: 0, gone: 0, revived: 0 };
  const serial = snapshot.serial;
  instances.forEach((inst, i) => {
    const cols = columns[i]![1];
    const row = rows.get(inst.address);
    rows.delete(inst.address);
    if (row === undefined) {
      const id = Number(
        s.insert.run({ run_id: snapshot.runId, address: inst.address, ...cols, serial, now }).lastInsertRowid,
      );
      for (const k of inst.keys) s.insertKey.run(k.key, id, k.kind);
      counts.added++;
      return;
    }
    const same = sameColumns(row, cols);
    if (same && row.status === 'present') return;
    s.update.run({ id: row.id, ...cols, serial, now });
    if (row.status === 'gone') counts.revived++;
    else counts.updated++;
    if (!same) {
      s.deleteKeys.run(row.id);
      for (const k of inst.keys) s.insertKey.run(k.key, row.id, k.kind);
    }
  });
  for (const row of rows.values()) {
    if (row.status === 'gone') continue;
    s.markGone.run(now, serial, row.id);
    counts.gone++;
  }
  return counts;
}
