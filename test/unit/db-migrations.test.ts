import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.js';
import { SCHEMA_VERSION } from '../../src/db/migrations.js';

const indexes = (db: ReturnType<typeof openDatabase>) =>
  Object.fromEntries((db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").all() as Array<{ name: string; sql: string }>)
    .map((r) => [r.name, r.sql]));

describe('database migrations', () => {
  it('a version-2 database loses the intake indexes nothing reads and gets the partial ledger index', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'infraai-mig-')), 'db.sqlite');
    const db = openDatabase(file);
    // Put the database back as version 2 left it.
    db.exec(`DROP INDEX ledger_action;
      CREATE INDEX ledger_action ON ledger (action_id);
      CREATE INDEX ledger_kind_at ON ledger (kind, at);
      CREATE INDEX alert_events_fp ON alert_events (fingerprint);
      CREATE INDEX alerts_incident ON alerts (incident_id, status);
      PRAGMA user_version = 2;`);
    db.close();
    const again = openDatabase(file);
    const now = indexes(again);
    expect(again.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    for (const gone of ['ledger_kind_at', 'alert_events_fp', 'alerts_incident']) expect(now[gone]).toBeUndefined();
    expect(now['ledger_action']).toMatch(/WHERE action_id IS NOT NULL/);
    again.close();
  });
});
