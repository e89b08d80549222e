/**
 * The one place every database write reports how it ended. openDatabase instruments the
 * connection; /health (write-health.ts) and recovery listen with `observeWrites`. Without this,
 * only the writers that remembered to report (once: the webhook) made a full disk visible.
 *
 * Reported: the outcome of each outermost `db.transaction(...)` call and of each write statement
 * run outside a transaction (autocommit). Successes are reported only when rows changed, so a
 * read-only transaction on a full disk does not make /health say "ok" again. A storage error
 * caught inside a transaction (e.g. a per-item savepoint) is still reported when the outermost
 * transaction ends, whether it then commits or fails.
 */
import type Database from 'better-sqlite3';
import { isStorageError } from './write-health.js';

type Db = Database.Database;

/** `err` undefined: a write committed. Must not throw (a throw is swallowed). */
export type WriteObserver = (err?: unknown) => void;

interface WriteState {
  observers: Set<WriteObserver>;
  /** A storage error inside the open transaction, reported when the outermost one ends. */
  innerError: unknown;
}

const states = new WeakMap<Db, WriteState>();

/** Subscribes to the write outcomes of a connection opened by openDatabase. Returns unsubscribe. */
export function observeWrites(db: Db, observer: WriteObserver): () => void {
  const state = states.get(db);
  if (!state) return () => {};
  state.observers.add(observer);
  return () => state.observers.delete(observer);
}

function report(state: WriteState, err?: unknown): void {
  for (const o of state.observers) {
    try {
      o(err);
    } catch {
      // An observer must not turn a committed write into a failure.
    }
  }
}

/** Wraps `db.transaction` and `db.prepare` (write statements) of a fresh connection. Call once. */
export function instrumentWrites(db: Db): void {
  const state: WriteState = { observers: new Set(), innerError: undefined };
  states.set(db, state);
  const changes = db.prepare('SELECT total_changes()').pluck();
  const transaction = db.transaction.bind(db);
  db.transaction = ((fn: (...args: never[]) => unknown) => {
    const tx = transaction(fn) as unknown as (...args: unknown[]) => unknown;
    return (...args: unknown[]) => {
      if (db.inTransaction) return noteInner(state, () => tx(...args));
      state.innerError = undefined;
      const before = changes.get() as number;
      try {
        const result = tx(...args);
        if (state.innerError !== undefined) report(state, state.innerError);
        else if ((changes.get() as number) !== before) report(state);
        return result;
      } catch (err) {
        // SQLite may roll the whole transaction back on SQLITE_FULL inside a savepoint; the commit
        // then fails with "no transaction is active": the storage error is the one that matters.
        report(state, state.innerError ?? err);
        throw err;
      } finally {
        state.innerError = undefined;
      }
    };
  }) as Db['transaction'];
  const prepare = db.prepare.bind(db);
  db.prepare = ((source: string) => {
    const stmt = prepare(source);
    if (!stmt.reader) instrumentRun(db, state, stmt);
    return stmt;
  }) as Db['prepare'];
}

function noteInner<T>(state: WriteState, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (isStorageError(err)) state.innerError = err;
    throw err;
  }
}

function instrumentRun(db: Db, state: WriteState, stmt: Database.Statement): void {
  const run = stmt.run.bind(stmt) as (...args: unknown[]) => Database.RunResult;
  stmt.run = ((...args: unknown[]) => {
    if (db.inTransaction) return noteInner(state, () => run(...args));
    try {
      const result = run(...args);
      if (result.changes > 0) report(state);
      return result;
    } catch (err) {
      report(state, err);
      throw err;
    }
  }) as Database.Statement['run'];
}
