import type { EventBus } from '../shared/events.js';
import { AppError } from '../shared/errors.js';
import { canTransition, type ActionStatus } from './status.js';
import type { ActionPatch, NewAction } from './action-store.js';

/** Columns set only together with a status: who gave the verdict, through which channel, when. */
export interface VerdictColumns {
  decidedBy: string;
  decidedVia: string;
  decidedAt: string;
}

/** One requested status change: a compare-and-set from one of `from` to `to`. */
export interface StatusChange {
  id: string;
  from: readonly ActionStatus[];
  to: ActionStatus;
  reason: string | null;
  patch?: ActionPatch;
  verdict?: VerdictColumns;
  /** The compare-and-set also requires `expires_at` to be later than this (a verdict on a live approval). */
  unexpiredAt?: string;
  /** The history/ledger detail when it differs from `reason` (the verdict names actor and channel). */
  detail?: string;
  actor?: string | null;
  /** Link the ledger row to the action's decision and incident (the verdict's rows always were). */
  linkIds?: boolean;
}

/** What the status row tells the ledger row. */
export interface ActionRef {
  runId: string;
  decisionId: string;
  incidentId: string | null;
}

export interface StatusRecord {
  actionId: string;
  ref: ActionRef;
  status: ActionStatus;
  detail: string | null;
  at: string;
  actor: string | null;
  linkIds: boolean;
}

/**
 * The database port of the lifecycle (implemented in db/actions/sqlite-action-writer.ts). Only the
 * lifecycle calls the status methods; everything it does runs inside `transaction`.
 */
export interface ActionStatusWrites {
  transaction<T>(work: () => T): T;
  insert(
    id: string,
    input: NewAction,
    status: ActionStatus,
    reason: string | null,
    queueSeq: number | null,
    at: string,
  ): void;
  /** The compare-and-set; the action's ids when it changed, null when it was no longer in `from`. */
  setStatus(change: StatusChange, at: string): ActionRef | null;
  /** The status-history row and the `action.<status>` ledger row. */
  recordStatus(r: StatusRecord): void;
}

/** The status changes made inside one `run`; published after it returns. */
export interface LifecycleTx {
  change(c: StatusChange): boolean;
  enter(id: string, input: NewAction, status: ActionStatus, reason: string | null, queueSeq: number | null): void;
}

/**
 * THE one place an action's status changes: checks the transition against the lifecycle, writes
 * the row, its history row and its ledger row in one transaction, then publishes `action.status`.
 */
export class ActionLifecycle {
  constructor(
    private readonly writes: ActionStatusWrites,
    private readonly events: EventBus,
    private readonly now: () => string,
  ) {}

  /** Runs `work` in one transaction; every status change made through its tx is published after. */
  run<T>(work: (tx: LifecycleTx) => T): T {
    const changed: Array<{ id: string; status: ActionStatus; runId: string }> = [];
    const tx: LifecycleTx = {
      change: (c) => {
        const ref = this.apply(c);
        if (ref) changed.push({ id: c.id, status: c.to, runId: ref.runId });
        return ref !== null;
      },
      enter: (id, input, status, reason, queueSeq) => {
        const at = this.now();
        this.writes.insert(id, input, status, reason, queueSeq, at);
        const ref = { runId: input.runId, decisionId: input.decisionId, incidentId: input.incidentId };
        this.writes.recordStatus({ actionId: id, ref, status, detail: reason, at, actor: null, linkIds: true });
        changed.push({ id, status, runId: input.runId });
      },
    };
    const out = this.writes.transaction(() => work(tx));
    for (const c of changed)
      this.events.publish({ type: 'action.status', actionId: c.id, status: c.status, runId: c.runId });
    return out;
  }

  /** One status change in its own transaction. */
  change(c: StatusChange): boolean {
    return this.run((tx) => tx.change(c));
  }

  private apply(c: StatusChange): ActionRef | null {
    for (const f of c.from) {
      if (!canTransition(f, c.to))
        throw new AppError('ERR_CONFLICT', `action ${c.id}: ${f} → ${c.to} is not a valid transition`);
    }
    const at = c.verdict?.decidedAt ?? this.now();
    const ref = this.writes.setStatus(c, at);
    if (ref === null) return null;
    this.writes.recordStatus({
      actionId: c.id,
      ref,
      status: c.to,
      detail: c.detail ?? c.reason,
      at,
      actor: c.actor ?? null,
      linkIds: c.linkIds ?? false,
    });
    return ref;
  }
}
