import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Never two Terraform operations on one deployment at once, in this process.
 *
 * Two layers keep a deployment from being changed by interleaving work:
 * - this in-process async mutex per run_id serialises every Terraform operation (prepare, apply,
 *   rollback, and the registry sync through {@link DeploymentLocks.withDeploymentLock});
 * - the database allows at most one *pending* action per run_id (partial unique index
 *   `actions_one_pending`); a second action for the same deployment is `queued` behind it and is
 *   only prepared, against the files and state of then, once the one before it has ended
 *   (ActionExecutor.advanceQueue). A still-firing Alertmanager alert never fires "again", so an
 *   action dropped here would be lost for good.
 * Terraform's own state lock still guards against other processes.
 */
export class DeploymentLocks {
  private readonly tails = new Map<string, Promise<void>>();
  // Which locks the current async call chain holds, so a holder can call code that takes the same
  // lock (the apply re-syncs the registry, whose sync takes this lock too) without deadlocking.
  private readonly held = new AsyncLocalStorage<ReadonlySet<string>>();

  /**
   * Runs `fn` once every earlier holder of `runId`'s lock has finished (FIFO). The lock is released
   * when `fn` settles, whether it resolves or throws; its result or error is passed through.
   * Re-entrant: called again for the same run_id from inside `fn`, it runs at once.
   */
  async withDeploymentLock<T>(runId: string, fn: () => Promise<T>): Promise<T> {
    const mineAlready = this.held.getStore();
    if (mineAlready?.has(runId)) return fn();
    const previous = this.tails.get(runId) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.tails.set(runId, tail);
    await previous;
    try {
      return await this.held.run(new Set([...(mineAlready ?? []), runId]), fn);
    } finally {
      release();
      if (this.tails.get(runId) === tail) this.tails.delete(runId);
    }
  }

  /**
   * Runs `fn` as if this call chain held no lock, so that work it starts (promises included) waits
   * behind the current holders instead of entering as a re-entrant call. For reactions to events,
   * which are published from inside a holder's call chain (an apply's status change starts the
   * next queued prepare, which must wait until the apply has let go).
   */
  detached<T>(fn: () => T): T {
    return this.held.exit(fn);
  }

  /** True while some operation holds or waits for `runId`'s lock. */
  isLocked(runId: string): boolean {
    return this.tails.has(runId);
  }
}
