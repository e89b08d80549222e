import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../shared/logger.js';
import type { Db } from './database.js';

/** The main connection's autocheckpoint while the worker runs: a backstop only (pages, ~200 MB). */
const BACKSTOP_PAGES = 50_000;

/**
 * WAL checkpoints off the event loop. A checkpoint copies the WAL into the database file and
 * fsyncs both: done by the connection that commits (SQLite's autocheckpoint), it stalled the
 * webhook's group commit for ~40 ms every few hundred commits (the intake's p99). Here a worker
 * thread with its own connection runs PASSIVE checkpoints on a timer (they never block the
 * writer) and, once the WAL is past `restartFrames`, a RESTART right after one: it holds the
 * writer only for the few frames committed in between, and lets the WAL start over instead of
 * growing without bound under steady load.
 * The main connection keeps a (higher) autocheckpoint as a backstop should the worker stall.
 * Measured (bench/webhook.ts-shaped batches, 40,000 notifications): commit p99 42 ms → 10 ms.
 */
export interface WalCheckpointer {
  /** Starts the worker. Idempotent. Never throws (a failure is logged; autocheckpoint remains). */
  start(): void;
  /** Stops the worker and closes its connection. Idempotent. */
  stop(): Promise<void>;
}

// CommonJS, evaluated in the worker: no second source file to build or resolve.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
const timer = setInterval(() => {
  try {
    const r = db.pragma('wal_checkpoint(PASSIVE)')[0];
    // Backfilled up to here, so a RESTART holds the writer only for the frames since: short.
    if (r && r.log >= workerData.restartFrames) db.pragma('wal_checkpoint(RESTART)');
  } catch (err) { parentPort.postMessage(String(err && err.message || err)); }
}, workerData.intervalMs);
parentPort.on('message', () => { clearInterval(timer); db.close(); parentPort.close(); });
`;

export function walCheckpointer(db: Db, logger: Logger, intervalMs = 200, restartFrames = 4096): WalCheckpointer {
  let worker: Worker | undefined;
  let autocheckpoint: number | undefined;
  const file = db.name;
  return {
    start() {
      if (worker || db.memory || !db.open) return;
      try {
        const module = createRequire(import.meta.url).resolve('better-sqlite3');
        const w = new Worker(WORKER, { eval: true, workerData: { file, module, intervalMs, restartFrames } });
        w.on('message', (message: string) => logger.warn({ message }, 'background WAL checkpoint failed'));
        w.on('error', (err) => logger.warn({ err: { message: err.message } }, 'WAL checkpoint worker stopped'));
        // Never keeps the process alive on its own.
        w.unref();
        worker = w;
        autocheckpoint = db.pragma('wal_autocheckpoint', { simple: true }) as number;
        db.pragma(`wal_autocheckpoint = ${Math.max(autocheckpoint, BACKSTOP_PAGES)}`);
      } catch (err) {
        logger.warn(
          { err: { message: (err as Error).message } },
          'WAL checkpoint worker not started; autocheckpoint only',
        );
      }
    },
    async stop() {
      const w = worker;
      worker = undefined;
      if (!w) return;
      // Held while it closes its connection, so the process waits for a clean close.
      w.ref();
      const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
      w.postMessage('stop');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        exited,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, 2000);
        }),
      ]);
      clearTimeout(timer);
      await w.terminate();
      if (autocheckpoint !== undefined && db.open) db.pragma(`wal_autocheckpoint = ${autocheckpoint}`);
    },
  };
}
