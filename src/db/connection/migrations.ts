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
    description:
      'decisions.rollback_revision_id: a rollback restores a pinned revision, not "the one before the latest"',
    up(db) {
      db.exec('ALTER TABLE decisions ADD COLUMN rollback_revision_id TEXT');
    },
  },
  {
    version: 3,
    description: 'lighter intake: indexes nothing reads dropped, ledger_action partial (schema.sql recreates it)',
    up(db) {
      db.exec(
        'DROP INDEX IF EXISTS ledger_action; DROP INDEX IF EXISTS ledger_kind_at; DROP INDEX IF EXISTS alert_events_fp; DROP INDEX IF EXISTS alerts_incident;',
      );
    },
  },
  {
    version: 4,
    description:
      'alert_counts: firing/resolved totals by severity kept by triggers (schema.sql creates them); backfilled here',
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
    version: 5,
    description:
      'per-incident and per-action lookups indexed: decisions/actions by incident, incidents by status and age, stats windows',
    up(db) {
      // schema.sql (run right after, in the same transaction) holds the same statements; creating
      // them here makes version 5 mean "these exist" and builds them before anything reads.
      db.exec(PER_KEY_INDEXES);
    },
  },
  {
    version: 6,
    description:
      'actions: queue_seq (queued actions per deployment), sources_json / source_changes_json (files a plan was made from, and what changed since)',
    up(db) {
      // Only the missing ones: a database can carry them already (schema.sql of a newer build).
      const have = new Set(
        (db.prepare('PRAGMA table_info(actions)').all() as Array<{ name: string }>).map((c) => c.name),
      );
      for (const [name, type] of [
        ['queue_seq', 'INTEGER'],
        ['sources_json', 'TEXT'],
        ['source_changes_json', 'TEXT'],
      ] as const) {
        if (!have.has(name)) db.exec(`ALTER TABLE actions ADD COLUMN ${name} ${type}`);
      }
    },
  },
  {
    version: 7,
    description:
      'registry (s4): resources.ignored_changes_json (lifecycle ignore_changes per block), deployments.config_signature (files read at that sync)',
    up(db) {
      for (const [table, name] of [
        ['resources', 'ignored_changes_json'],
        ['deployments', 'config_signature'],
      ] as const) {
        const have = (db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).map((c) => c.name);
        if (!have.includes(name)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${name} TEXT`);
      }
    },
  },
  {
    version: 8,
    description:
      'registry (d-layout): deployments.settings_json (infraai.yaml), deployments.local_modules_json (local modules the deployment calls)',
    up(db) {
      const have = (db.prepare('PRAGMA table_info(deployments)').all() as Array<{ name: string }>).map((c) => c.name);
      for (const name of ['settings_json', 'local_modules_json'])
        if (!have.includes(name)) db.exec(`ALTER TABLE deployments ADD COLUMN ${name} TEXT`);
    },
  },
];

/** The indexes version 5 added (also in schema.sql, which creates them for new databases). */
export const PER_KEY_INDEXES = `
  CREATE INDEX IF NOT EXISTS decisions_incident ON decisions (incident_id, created_at);
  CREATE INDEX IF NOT EXISTS actions_incident ON actions (incident_id, status);
  CREATE INDEX IF NOT EXISTS incidents_status ON incidents (status, opened_at, id);
  CREATE INDEX IF NOT EXISTS incidents_opened ON incidents (opened_at, id);
  CREATE INDEX IF NOT EXISTS action_status_history_status ON action_status_history (status, at);
  CREATE INDEX IF NOT EXISTS approvals_verdict ON approvals (verdict, outcome, at);`;

export const SCHEMA_VERSION = 8;
