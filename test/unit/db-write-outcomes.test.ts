/**
 * Every write through a connection from openDatabase reports its outcome (write-outcomes.ts), so
 * /health sees a full disk whichever part of the service hits it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/db/connection/database.js';
import { WriteHealth } from '../../src/db/connection/write-health.js';
import { observeWrites } from '../../src/db/connection/write-outcomes.js';
import { FakeClock } from '../../src/shared/clock.js';

const codeOf = (e: unknown) => (e === undefined ? 'ok' : ((e as { code?: string }).code ?? 'other'));

describe('write outcomes: one report per write, whoever writes', () => {
  let db: Db | undefined;
  afterEach(() => db?.close());

  function open() {
    db = openDatabase(path.join(mkdtempSync(path.join(tmpdir(), 'infraai-wo-')), 'db.sqlite'));
    db.exec('CREATE TABLE t (x BLOB)');
    const seen: string[] = [];
    observeWrites(db, (err) => seen.push(codeOf(err)));
    return { db, seen };
  }

  /** Caps the file at its size and uses up the free space, so the next growing write fails. */
  function fill(d: Db) {
    d.pragma(`max_page_count = ${d.pragma('page_count', { simple: true }) as number}`);
    for (const n of [4000, 500, 50, 1]) {
      try {
        for (;;) d.exec(`INSERT INTO t VALUES (randomblob(${n}))`);
      } catch {
        /* full at this size */
      }
    }
  }

  it('autocommit writes and outermost transactions report; reads and empty transactions do not', () => {
    const { db, seen } = open();
    db.prepare('INSERT INTO t VALUES (1)').run();
    db.transaction(() => {
      db.prepare('INSERT INTO t VALUES (2)').run();
      db.transaction(() => db.prepare('INSERT INTO t VALUES (3)').run())();
    })();
    db.prepare('SELECT count(*) FROM t').get();
    db.transaction(() => db.prepare('SELECT count(*) FROM t').get())();
    db.prepare('UPDATE t SET x = 0 WHERE 0').run();
    expect(seen).toEqual(['ok', 'ok']);
  });

  it('SQLITE_FULL from an autocommit write, a transaction, and a savepoint the caller swallowed', () => {
    const { db, seen } = open();
    fill(db);
    const big = db.prepare('INSERT INTO t VALUES (randomblob(100000))');
    expect(() => big.run()).toThrow(/full/);
    expect(() => db.transaction(() => big.run())()).toThrow(/full/);
    // A per-item savepoint gives up and the caller swallows it: SQLite has rolled the whole
    // transaction back, so the commit fails with another error; the report is still SQLITE_FULL.
    expect(() =>
      db.transaction(() => {
        try {
          db.transaction(() => big.run())();
        } catch {
          /* swallowed */
        }
      })(),
    ).toThrow();
    expect(seen).toEqual(['SQLITE_FULL', 'SQLITE_FULL', 'SQLITE_FULL']);
  });

  it('WriteHealth turns red on a full disk and green on the next write that succeeds', () => {
    const { db } = open();
    const health = new WriteHealth(db.name, new FakeClock(0));
    const changes: boolean[] = [];
    health.onChange((ok) => changes.push(ok));
    observeWrites(db, (err) => health.observe(err));
    fill(db);
    expect(() => db.prepare('INSERT INTO t VALUES (randomblob(100000))').run()).toThrow();
    expect(health.check().ok).toBe(false);
    db.transaction(() => db.prepare('SELECT 1').get())();
    expect(health.check().ok).toBe(false);
    db.pragma('max_page_count = 1073741823');
    db.prepare('INSERT INTO t VALUES (randomblob(100000))').run();
    expect(health.check().ok).toBe(true);
    expect(changes).toEqual([false, true]);
  });
});
