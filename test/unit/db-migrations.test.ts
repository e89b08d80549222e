import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/db/connection/database.js';
import { SCHEMA_VERSION } from '../../src/db/connection/migrations.js';
import { SqliteOpsQueries } from '../../src/db/ops/sqlite-ops-queries.js';

const tempDb = () => path.join(mkdtempSync(path.join(tmpdir(), 'infraai-mig4-')), 'db.sqlite');

/** The same upsert shape intake uses (INSERT ... ON CONFLICT DO UPDATE SET status, severity). */
function upsertAlert(db: Db, fp: string, status: 'firing' | 'resolved', severity: string | null): void {
  db.prepare(
    `INSERT INTO alerts (fingerprint, alertname, status, severity, labels_json, annotations_json, first_seen_at, last_seen_at)
    VALUES (?, 'A', ?, ?, '{}', '{}', 't', 't')
    ON CONFLICT (fingerprint) DO UPDATE SET status = excluded.status, severity = excluded.severity, last_seen_at = excluded.last_seen_at`,
  ).run(fp, status, severity);
}

/** alert_counts as a map, zero rows dropped, and the same figures recounted from alerts. */
function kept(db: Db): Record<string, number> {
  const rows = db.prepare('SELECT status, severity, n FROM alert_counts WHERE n <> 0').all() as Array<{
    status: string;
    severity: string;
    n: number;
  }>;
  return Object.fromEntries(rows.map((r) => [`${r.status}/${r.severity}`, r.n]));
}
function recounted(db: Db): Record<string, number> {
  const rows = db
    .prepare("SELECT status, COALESCE(severity, '') AS severity, COUNT(*) AS n FROM alerts GROUP BY 1, 2")
    .all() as Array<{ status: string; severity: string; n: number }>;
  return Object.fromEntries(rows.map((r) => [`${r.status}/${r.severity}`, r.n]));
}

const plan = (db: Db, sql: string) =>
  (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as Array<{ detail: string }>).map((r) => r.detail).join(' | ');

describe('migration 4: trigger-kept alert counts and newest-first indexes', () => {
  it('backfills alert_counts from the alerts a version-3 database already holds', () => {
    const file = tempDb();
    const db = openDatabase(file);
    // Put the database back as version 3 left it, with alerts stored before the counts existed.
    db.exec(`DROP TRIGGER alert_counts_insert; DROP TRIGGER alert_counts_update; DROP TRIGGER alert_counts_delete;
      DROP TABLE alert_counts; DROP INDEX decisions_created; DROP INDEX actions_created;`);
    upsertAlert(db, 'a', 'firing', 'critical');
    upsertAlert(db, 'b', 'firing', 'warning');
    upsertAlert(db, 'c', 'firing', null);
    upsertAlert(db, 'd', 'resolved', 'warning');
    db.pragma('user_version = 3');
    db.close();

    const again = openDatabase(file);
    expect(again.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(kept(again)).toEqual({ 'firing/critical': 1, 'firing/warning': 1, 'firing/': 1, 'resolved/warning': 1 });
    // The triggers are in place after the migration, not only in fresh databases.
    upsertAlert(again, 'e', 'firing', 'critical');
    expect(kept(again)).toEqual(recounted(again));
    const indexNames = (
      again.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").all() as Array<{ name: string }>
    ).map((r) => r.name);
    expect(indexNames).toEqual(expect.arrayContaining(['decisions_created', 'actions_created']));
    again.close();
  });

  it('keeps the counts equal to a recount through inserts, status and severity changes, touches and deletes', () => {
    const db = openDatabase(tempDb());
    upsertAlert(db, 'a', 'firing', 'critical');
    upsertAlert(db, 'b', 'firing', 'critical');
    upsertAlert(db, 'c', 'firing', null);
    upsertAlert(db, 'a', 'firing', 'critical'); // repeat: neither column changes
    upsertAlert(db, 'b', 'resolved', 'critical'); // resolve
    upsertAlert(db, 'c', 'firing', 'warning'); // severity appears
    db.prepare("UPDATE alerts SET last_seen_at = 'u', severity = 'warning' WHERE fingerprint = 'c'").run(); // touch
    upsertAlert(db, 'b', 'firing', 'critical'); // fires again
    db.prepare("DELETE FROM alerts WHERE fingerprint = 'a'").run();
    expect(kept(db)).toEqual(recounted(db));
    expect(kept(db)).toEqual({ 'firing/critical': 1, 'firing/warning': 1 });
    expect(new SqliteOpsQueries(db).firingAlerts()).toEqual([
      { severity: 'critical', n: 1 },
      { severity: 'warning', n: 1 },
    ]);
    expect(new SqliteOpsQueries(db).dayStats('1970-01-01T00:00:00Z').active_alerts).toBe(2);
    db.close();
  });

  it('lists decisions and actions newest first from an index rather than sorting the whole table', () => {
    const db = openDatabase(tempDb());
    for (const table of ['decisions', 'actions']) {
      const detail = plan(db, `SELECT id FROM ${table} ORDER BY created_at DESC, id DESC LIMIT 20`);
      expect(detail).not.toMatch(/TEMP B-TREE/);
      expect(detail).toMatch(new RegExp(`${table}_created`));
    }
    db.close();
  });
});
