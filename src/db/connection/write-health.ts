/**
 * Whether the database can still take writes. `SELECT 1` keeps answering on a full disk, so
 * /health would say "ok" while every webhook gets 503: writers report their outcome here, and the
 * health check shows the last storage failure until a write succeeds again.
 */
import { statfsSync } from 'node:fs';
import path from 'node:path';
import type { Clock } from '../../shared/clock.js';

/** SQLite/Node error codes that mean "no space or the file cannot be written", not "bad input". */
const STORAGE_CODES = /^(SQLITE_FULL|SQLITE_IOERR\w*|SQLITE_CANTOPEN|SQLITE_READONLY\w*|ENOSPC|EFBIG|EDQUOT|EROFS)$/;

export function isStorageError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && STORAGE_CODES.test(code);
}

export class WriteHealth {
  private failure: { at: number; message: string } | undefined;

  constructor(
    private readonly databasePath: string,
    private readonly clock: Clock,
  ) {}

  private readonly listeners: Array<(ok: boolean) => void> = [];

  /** A write finished: `err` undefined on success. Only storage errors mark the database unhealthy. Never throws. */
  observe(err?: unknown): void {
    const wasOk = this.failure === undefined;
    if (err === undefined) this.failure = undefined;
    else if (isStorageError(err)) this.failure = { at: this.clock.now(), message: (err as Error).message };
    const ok = this.failure === undefined;
    if (ok !== wasOk) for (const fn of this.listeners) fn(ok);
  }

  /**
   * `fn(false)` when writes start failing for lack of space, `fn(true)` on the first write that
   * succeeds again, so work that failed meanwhile can be retried without a restart. Runs inside
   * the write's call stack (after its commit or rollback): defer real work. Must not throw.
   */
  onChange(fn: (ok: boolean) => void): void {
    this.listeners.push(fn);
  }

  /** For /health: ok unless the last write failed for lack of space (or a read-only/broken file). */
  check(): { ok: boolean; detail: string } {
    const free = this.freeSpace();
    if (this.failure) {
      return {
        ok: false,
        detail:
          `${this.databasePath}: writes failing since ${new Date(this.failure.at).toISOString()} (${this.failure.message}); ` +
          `disk full or not writable${free}. Free space; the service accepts again without a restart`,
      };
    }
    return { ok: true, detail: `${this.databasePath}${free}` };
  }

  private freeSpace(): string {
    if (this.databasePath === ':memory:') return '';
    try {
      const s = statfsSync(path.dirname(this.databasePath));
      return ` (${Math.floor((s.bavail * s.bsize) / 1_048_576)} MiB free)`;
    } catch {
      return '';
    }
  }
}
