import type { WriteHealth } from '../db/connection/write-health.js';
import type { Scheduler } from '../executor/ports.js';
import type { Logger } from '../shared/logger.js';

/** How often background work that failed on a full disk is retried while writes keep failing. */
export const STORAGE_RETRY_MS = 30_000;

/**
 * Background work that failed because the disk was full (an incident whose decision could not be
 * stored, a decision whose action could not be created) is retried without a restart: every
 * STORAGE_RETRY_MS while writes fail — nothing else may write to notice that space came back — and
 * once more at once when any write succeeds again. A retry that succeeds is itself the write that
 * turns /health green. `retry` must be idempotent (DecisionService.recover and
 * ActionExecutor.prepareUnprepared are: they skip work already queued or done).
 */
export function retryWhileStorageFails(
  health: WriteHealth,
  scheduler: Scheduler,
  retry: () => void,
  logger: Logger,
): { stop(): void } {
  let cancel: (() => void) | undefined;
  let stopped = false;
  const safeRetry = () => {
    if (stopped) return;
    try {
      retry();
    } catch (err) {
      logger.error({ err: { message: (err as Error).message } }, 'retrying work after a storage failure failed');
    }
  };
  health.onChange((ok) => {
    if (stopped) return;
    if (!ok) {
      cancel ??= scheduler.every(STORAGE_RETRY_MS, safeRetry);
      return;
    }
    cancel?.();
    cancel = undefined;
    // Not inside the write that just succeeded: that write's caller is still on the stack.
    setImmediate(safeRetry);
  });
  return {
    stop() {
      stopped = true;
      cancel?.();
      cancel = undefined;
    },
  };
}
