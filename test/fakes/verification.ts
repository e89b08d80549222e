import type { FakeClock } from '../../src/shared/clock.js';
import type {
  DecisionSink,
  ProposedDecision,
  Timers,
  VerificationResult,
  VerificationStore,
  WatchedAction,
  WatchedAlert,
} from '../../src/verification/ports.js';

/** Timers driven by a FakeClock: `advance` moves the clock and runs what became due. */
export class FakeTimers implements Timers {
  private seq = 0;
  private readonly due = new Map<number, { at: number; fn: () => void }>();
  constructor(private readonly clock: FakeClock) {}

  after(ms: number, fn: () => void): () => void {
    const id = ++this.seq;
    this.due.set(id, { at: this.clock.now() + Math.max(0, ms), fn });
    return () => this.due.delete(id);
  }

  pending(): number {
    return this.due.size;
  }

  advance(ms: number): void {
    this.clock.advance(ms);
    for (const [id, t] of [...this.due].sort((a, b) => a[1].at - b[1].at)) {
      if (t.at > this.clock.now() || !this.due.has(id)) continue;
      this.due.delete(id);
      t.fn();
    }
  }
}

interface StoredAction extends WatchedAction {
  status: string;
  verifiedAt: string | null;
  result: VerificationResult | null;
  reason: string | null;
}

/** In-memory VerificationStore + DecisionSink with the same contracts as the SQLite adapter. */
export class MemoryVerificationStore implements VerificationStore, DecisionSink {
  readonly actions = new Map<string, StoredAction>();
  readonly alerts = new Map<string, WatchedAlert & { runId: string | null; incidentId: string | null }>();
  readonly links: Array<{ actionId: string; fingerprint: string }> = [];
  readonly decisions: ProposedDecision[] = [];

  addApplied(
    a: Omit<WatchedAction, 'verifyUntil' | 'baseRevisionId'> & {
      verifyUntil?: string | null;
      baseRevisionId?: string | null;
    },
  ): void {
    this.actions.set(a.id, {
      verifyUntil: null,
      baseRevisionId: null,
      ...a,
      status: 'applied',
      verifiedAt: null,
      result: null,
      reason: null,
    });
  }

  addAlert(
    fingerprint: string,
    incidentId: string | null,
    runId: string | null,
    status: 'firing' | 'resolved' = 'firing',
    generatorUrl: string | null = null,
  ): void {
    this.alerts.set(fingerprint, { fingerprint, status, resolvedAt: null, runId, incidentId, generatorUrl });
  }

  resolve(fingerprint: string, at: string): void {
    const a = this.alerts.get(fingerprint)!;
    a.status = 'resolved';
    a.resolvedAt = at;
  }

  watchable(): WatchedAction[] {
    return [...this.actions.values()].filter((a) => a.status === 'applied' && a.verifiedAt === null);
  }

  watched(actionId: string): WatchedAction | undefined {
    const a = this.actions.get(actionId);
    return a && a.status === 'applied' && a.verifiedAt === null ? { ...a } : undefined;
  }

  setDeadline(actionId: string, verifyUntil: string): string | null {
    const a = this.actions.get(actionId);
    if (!a) return null;
    if (a.verifyUntil === null && a.status === 'applied') a.verifyUntil = verifyUntil;
    return a.verifyUntil;
  }

  incidentAlerts(incidentId: string): WatchedAlert[] {
    return [...this.alerts.values()]
      .filter((a) => a.incidentId === incidentId)
      .map((a) => ({
        fingerprint: a.fingerprint,
        status: a.status,
        resolvedAt: a.resolvedAt,
        generatorUrl: a.generatorUrl,
      }));
  }

  alertDeployment(fingerprint: string) {
    const a = this.alerts.get(fingerprint);
    return a ? { runId: a.runId, incidentId: a.incidentId } : undefined;
  }

  linkAlert(a: WatchedAction, fingerprint: string): boolean {
    if (this.links.some((l) => l.actionId === a.id && l.fingerprint === fingerprint)) return false;
    this.links.push({ actionId: a.id, fingerprint });
    return true;
  }

  linkedAlerts(actionId: string): string[] {
    return this.links.filter((l) => l.actionId === actionId).map((l) => l.fingerprint);
  }

  complete(a: WatchedAction, result: VerificationResult, reason: string): boolean {
    const stored = this.actions.get(a.id);
    if (!stored || stored.status !== 'applied' || stored.verifiedAt !== null) return false;
    Object.assign(stored, { status: result.outcome, verifiedAt: result.verifiedAt, result, reason });
    return true;
  }

  insert(d: ProposedDecision): void {
    this.decisions.push(d);
  }
}
