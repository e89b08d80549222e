import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/connection/database.js';
import { SCHEMA_VERSION } from '../../src/db/connection/migrations.js';
import { walCheckpointer } from '../../src/db/connection/wal-checkpointer.js';
import { silentLogger } from '../../src/shared/logger.js';

const tempDb = () => path.join(mkdtempSync(path.join(tmpdir(), 'infraai-db-')), 'db.sqlite');

/** Another connection (a worker thread) holds the write lock for `ms`; resolves once it holds it. */
function holdWriteLock(file: string, ms: number): Promise<Worker> {
  const code = `const { parentPort, workerData } = require('node:worker_threads');
    const db = new (require(workerData.module))(workerData.file);
    db.exec('BEGIN IMMEDIATE'); db.exec("INSERT INTO ledger (at, kind) VALUES ('t', 'other.connection')");
    parentPort.postMessage('locked');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, workerData.ms);
    db.exec('COMMIT'); db.close();`;
  const w = new Worker(code, {
    eval: true,
    workerData: { file, ms, module: createRequire(import.meta.url).resolve('better-sqlite3') },
  });
  return new Promise((resolve) => w.once('message', () => resolve(w)));
}

const indexes = (db: ReturnType<typeof openDatabase>) =>
  Object.fromEntries(
    (
      db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").all() as Array<{
        name: string;
        sql: string;
      }>
    ).map((r) => [r.name, r.sql]),
  );

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

describe('transactions and the background checkpointer', () => {
  it("a read-then-write transaction waits for another connection's write lock instead of failing SQLITE_BUSY", async () => {
    const file = tempDb();
    const db = openDatabase(file);
    const other = await holdWriteLock(file, 300);
    // Deferred, this read would pin a snapshot and the write would fail at once ("database is locked").
    const n = db.transaction(() => {
      const before = (db.prepare('SELECT count(*) AS n FROM ledger').get() as { n: number }).n;
      db.prepare("INSERT INTO ledger (at, kind) VALUES ('t', 'this.connection')").run();
      return before;
    })();
    expect(n).toBe(1);
    expect(db.prepare('SELECT kind FROM ledger ORDER BY id').all()).toEqual([
      { kind: 'other.connection' },
      { kind: 'this.connection' },
    ]);
    await other.terminate();
    db.close();
  });

  it('the checkpointer copies the WAL into the database file and lets it start over; stop() restores autocheckpoint', async () => {
    const file = tempDb();
    const db = openDatabase(file);
    const cp = walCheckpointer(db, silentLogger, 20, 64);
    cp.start();
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(50_000);
    const insert = db.prepare("INSERT INTO ledger (at, kind, data_json) VALUES ('t', 'k', ?)");
    for (let i = 0; i < 20; i++)
      db.transaction(() => {
        for (let j = 0; j < 50; j++) insert.run('x'.repeat(2000));
      })();
    await new Promise((r) => setTimeout(r, 300));
    // Everything committed is in the main file: a fresh reader of the file alone (WAL ignored) would see it.
    const [status] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number; checkpointed: number }>;
    expect(status!.checkpointed).toBe(status!.log);
    // The next write starts the WAL over instead of appending to 1,000 rows' worth of frames.
    insert.run('y');
    const [after] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number }>;
    expect(after!.log).toBeLessThan(10);
    await cp.stop();
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(10_000);
    db.close();
  });
});
