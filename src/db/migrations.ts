import type Database from 'better-sqlite3';

/**
 * Changes to tables that already exist in older databases. schema.sql creates what is missing;
 * a migration alters what is there (ADD COLUMN, backfills). Append only; never edit a shipped one.
 */
export interface Migration {
  version: number;
  description: string;
  up(db: Database.Database): void;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 2,
    description: 'decisions.rollback_revision_id: a rollback restores a pinned revision, not "the one before the latest"',
    up(db) {
      db.exec('ALTER TABLE decisions ADD COLUMN rollback_revision_id TEXT');
    },
  },
  {
    version: 3,
    description: 'lighter intake: indexes nothing reads dropped, ledger_action partial (schema.sql recreates it)',
    up(db) {
      db.exec('DROP INDEX IF EXISTS ledger_action; DROP INDEX IF EXISTS ledger_kind_at; DROP INDEX IF EXISTS alert_events_fp; DROP INDEX IF EXISTS alerts_incident;');
    },
  },
  {
    version: 4,
    description: 'alert_counts: firing/resolved totals by severity kept by triggers (schema.sql creates them); backfilled here',
    up(db) {
      // Runs before schema.sql (which adds the triggers), inside the migration transaction, so no
      // alert write can slip between this backfill and the triggers taking over.
      db.exec(`CREATE TABLE IF NOT EXISTS alert_counts (status TEXT NOT NULL, severity TEXT NOT NULL, n INTEGER NOT NULL,
          PRIMARY KEY (status, severity)) WITHOUT ROWID;
        DELETE FROM alert_counts;
        INSERT INTO alert_counts (status, severity, n)
          SELECT status, COALESCE(severity, ''), COUNT(*) FROM alerts GROUP BY 1, 2;`);
    },
  },
  {
    version: 6,
    description: 'actions: queue_seq (queued actions per deployment), sources_json / source_changes_json (files a plan was made from, and what changed since)',
    up(db) {
      // Only the missing ones: a database can carry them already (schema.sql of a newer build).
      const have = new Set((db.prepare('PRAGMA table_info(actions)').all() as Array<{ name: string }>).map((c) => c.name));
      for (const [name, type] of [['queue_seq', 'INTEGER'], ['sources_json', 'TEXT'], ['source_changes_json', 'TEXT']] as const) {
        if (!have.has(name)) db.exec(`ALTER TABLE actions ADD COLUMN ${name} ${type}`);
      }
    },
  },
];

export const SCHEMA_VERSION = 6;
