/**
 * Telegram's health as GET /health reports it: degraded from a failed call until Telegram answers
 * again. A failure alone would leave it degraded for good whenever nothing else happens to be sent
 * (polling errors are retried inside telegraf and never reported as successes), so while degraded a
 * cheap probe runs every `probeMs`; its first success ends the outage and `onRecovered` re-sends
 * the requests that could not be delivered. No domain logic; timers are unref'd.
 */
export class TelegramHealth {
  private lastError: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly o: {
      /** One cheap Bot API call (getMe); resolves when Telegram answers. */
      probe: () => Promise<unknown>;
      probeMs: number;
      onRecovered: () => void;
      scrub: (err: unknown) => string;
    },
  ) {}

  /** The scrubbed error of the outage in progress, or undefined when healthy. */
  get error(): string | undefined {
    return this.lastError;
  }

  failed(error: string): void {
    this.lastError = error;
    this.schedule();
  }

  /** A call succeeded: the outage (if any) is over. */
  succeeded(): void {
    if (this.lastError === undefined) return;
    this.lastError = undefined;
    this.o.onRecovered();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.timer !== undefined || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.o.probe().then(
        () => this.succeeded(),
        (err: unknown) => this.failed(this.o.scrub(err)),
      );
    }, this.o.probeMs);
    this.timer.unref();
  }
}
