import Database from 'better-sqlite3';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '../../shared/errors.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';
import { instrumentWrites } from './write-outcomes.js';

export type Db = Database.Database;

const here = path.dirname(fileURLToPath(import.meta.url));

/** schema.sql sits at the package root; from src/db or dist/src/db walk up until it is found. */
function findSchema(): string {
  let dir = here;
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, 'schema.sql');
    try {
      return readFileSync(candidate, 'utf8');
    } catch {
      dir = path.dirname(dir);
    }
  }
  throw new AppError('ERR_DATABASE', `schema.sql not found above ${here}`);
}

/**
 * Opens (creating when needed) the SQLite database: WAL, busy timeout, foreign keys, schema
 * applied idempotently and migrations run up to SCHEMA_VERSION in one transaction.
 * @throws AppError ERR_DATABASE when the file cannot be opened or is newer than this code.
 */
export function openDatabase(file: string): Db {
  let db: Db;
  try {
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    db = new Database(file);
  } catch (err) {
    throw new AppError('ERR_DATABASE', `opening database "${file}": ${(err as Error).message}`, { cause: err });
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    db.pragma('synchronous = NORMAL');
    // Checkpoints (which fsync) ran every ~1000 pages, i.e. every few webhook commits; 10,000 pages
    // (~40 MB of WAL) cut intake time per notification by ~40% in bench/webhook.ts.
    db.pragma('wal_autocheckpoint = 10000');
    immediateTransactions(db);
    // After immediateTransactions: reports wrap the IMMEDIATE transactions (see write-outcomes.ts).
    instrumentWrites(db);
    migrate(db);
  } catch (err) {
    db.close();
    if (err instanceof AppError) throw err;
    throw new AppError('ERR_DATABASE', `preparing database "${file}": ${(err as Error).message}`, { cause: err });
  }
  return db;
}

/**
 * Every `db.transaction(fn)` begins IMMEDIATE (takes the write lock at BEGIN, waiting through
 * busy_timeout) instead of DEFERRED. A deferred transaction that reads and then writes cannot
 * wait for the lock: SQLite fails the upgrade at once with SQLITE_BUSY when another connection
 * holds it — the background WAL checkpointer (wal-checkpointer.ts) does during a RESTART, and so
 * does a CLI command writing to the same file. Nested calls still use savepoints.
 */
function immediateTransactions(db: Db): void {
  const begin = db.transaction.bind(db);
  db.transaction = ((fn: (...args: never[]) => unknown) => begin(fn).immediate) as Db['transaction'];
}

function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new AppError(
      'ERR_DATABASE',
      `database schema version ${current} is newer than this build supports (${SCHEMA_VERSION}); upgrade InfraAI`,
    );
  }
  db.transaction(() => {
    for (const m of MIGRATIONS) if (m.version > current && current > 0) m.up(db);
    db.exec(findSchema());
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  })();
}
