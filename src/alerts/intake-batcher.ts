import type { IntakeResult } from './intake.js';
import type { NormalisedNotification } from './normalise.js';

/** What the batcher drives: AlertIntake.receiveMany. */
export interface BatchIntake {
  receiveMany(batch: readonly NormalisedNotification[]): Array<IntakeResult | Error>;
}

interface Pending {
  notification: NormalisedNotification;
  resolve: (r: IntakeResult) => void;
  reject: (e: Error) => void;
}

/**
 * Group commit for the webhook: notifications whose requests arrive in the same event-loop turn
 * are stored in one transaction (a SQLite commit costs far more than the rows in it). Each
 * caller's promise settles only after that commit, so a 2xx still means "stored".
 */
export class IntakeBatcher {
  private queue: Pending[] = [];
  private scheduled = false;

  /**
   * @param schedule runs the flush later in this turn (setImmediate in production).
   * @param maxBatch notifications per transaction; the rest go to the next flush.
   * Write outcomes reach /health through the database's own write observer (db/connection/write-outcomes.ts).
   */
  constructor(
    private readonly intake: BatchIntake,
    private readonly schedule: (fn: () => void) => void,
    private readonly maxBatch = 200,
  ) {}

  /** Notifications queued and not yet committed. */
  get pending(): number {
    return this.queue.length;
  }

  /** Resolves once stored (or found a duplicate); rejects when its write failed. Never throws synchronously. */
  submit(notification: NormalisedNotification): Promise<IntakeResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ notification, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        this.schedule(() => this.flush());
      }
    });
  }

  private flush(): void {
    const batch = this.queue.splice(0, this.maxBatch);
    this.scheduled = false;
    if (this.queue.length > 0) {
      this.scheduled = true;
      this.schedule(() => this.flush());
    }
    let outcomes: Array<IntakeResult | Error>;
    try {
      outcomes = this.intake.receiveMany(batch.map((p) => p.notification));
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      for (const p of batch) p.reject(error);
      return;
    }
    batch.forEach((p, i) => {
      const o = outcomes[i];
      if (o === undefined) p.reject(new Error('intake returned no outcome'));
      else if (o instanceof Error) p.reject(o);
      else p.resolve(o);
    });
  }
}
