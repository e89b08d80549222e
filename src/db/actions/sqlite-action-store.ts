import type { Statement } from 'better-sqlite3';
import { windowConditions } from '../../shared/time-window.js';
import type { Db } from '../connection/database.js';
import type { Ledger } from '../ledger/sqlite-ledger.js';
import type { Clock } from '../../shared/clock.js';
import { isoAt } from '../../shared/clock.js';
import type { EventBus } from '../../shared/events.js';
import { AppError } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import type { ActionStatus } from '../../actions/status.js';
import type {
  ActionListFilter,
  ActionPatch,
  ActionRecord,
  ActionStore,
  ApprovalRow,
  NewAction,
  RevisionRow,
} from '../../actions/action-store.js';
import { ActionLifecycle } from '../../actions/lifecycle.js';
import type { VerdictRequest, VerdictResult } from '../../actions/verdict.js';
import { SqliteActionQueue } from './sqlite-action-queue.js';
import { SqliteActionWriter } from './sqlite-action-writer.js';
import { SqliteVerdicts } from './sqlite-verdict.js';
import { rowToAction, type ActionRow } from './sqlite-action-rows.js';

const REVISION_SELECT = `SELECT id, run_id AS runId, parent_id AS parentId, action_id AS actionId, files_dir AS filesDir,
  plan_sha256 AS planSha256, state_serial AS stateSerial, created_at AS createdAt FROM revisions`;

/** better-sqlite3 adapter of ActionStore. Synchronous, so each method is one atomic step. */
export class SqliteActionStore implements ActionStore {
  private readonly queue: SqliteActionQueue;
  /** The one writer of actions, action_status_history and approvals. */
  readonly writer: SqliteActionWriter;
  /** The one place a status changes (every method below that moves a status goes through it). */
  readonly lifecycle: ActionLifecycle;
  private readonly verdicts: SqliteVerdicts;
  private readonly s: Record<
    'byDecision' | 'get' | 'due' | 'history' | 'approvals' | 'latestRevision' | 'revision' | 'insertRevision',
    Statement
  >;

  constructor(
    private readonly db: Db,
    private readonly ledger: Ledger,
    private readonly events: EventBus,
    private readonly clock: Clock,
  ) {
    this.queue = new SqliteActionQueue(db);
    this.writer = new SqliteActionWriter(db, ledger);
    this.lifecycle = new ActionLifecycle(this.writer, events, () => isoAt(clock));
    this.verdicts = new SqliteVerdicts(db, this.writer, this.lifecycle, ledger, clock);
    this.s = {
      byDecision: db.prepare('SELECT id FROM actions WHERE decision_id = ?'),
      get: db.prepare('SELECT * FROM actions WHERE id = ?'),
      due: db.prepare("SELECT id FROM actions WHERE status = 'awaiting_approval' AND expires_at <= ?"),
      history: db.prepare('SELECT status, detail, at FROM action_status_history WHERE action_id = ? ORDER BY id'),
      approvals: db.prepare(
        'SELECT verdict, outcome, channel, actor, reason, plan_sha256 AS planSha256, at FROM approvals WHERE action_id = ? ORDER BY id',
      ),
      latestRevision: db.prepare(`${REVISION_SELECT} WHERE run_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1`),
      revision: db.prepare(`${REVISION_SELECT} WHERE id = ?`),
      insertRevision: db.prepare(
        `INSERT INTO revisions (id, run_id, parent_id, action_id, files_dir, plan_sha256, state_serial, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
    };
  }

  create(input: NewAction): ActionRecord {
    const existing = this.s.byDecision.get(input.decisionId) as { id: string } | undefined;
    if (existing) return this.mustGet(existing.id);
    const id = newId('act', this.clock.now());
    this.lifecycle.run((tx) => {
      // Behind the last queued one, else behind the holder: a new action never jumps the queue.
      const last = this.queue.last(input.runId);
      const ahead = last ?? this.queue.holder(input.runId);
      const reason = ahead
        ? `queued behind ${ahead.id} (${ahead.status}) on deployment "${input.runId}"; prepared against the files and state of then when its turn comes`
        : null;
      tx.enter(id, input, ahead ? 'queued' : 'proposed', reason, ahead ? (last?.queue_seq ?? 0) + 1 : null);
    });
    return this.mustGet(id);
  }

  promoteNext(
    runId: string,
    irrelevant: (a: ActionRecord) => string | null,
  ): { promoted?: ActionRecord; obsoleted: ActionRecord[] } {
    const moved: Array<{ id: string; status: ActionStatus }> = [];
    this.lifecycle.run((tx) => {
      if (this.queue.holder(runId)) return;
      for (let row = this.queue.first(runId); row; row = this.queue.first(runId)) {
        const why = irrelevant(rowToAction(row));
        const to: ActionStatus = why === null ? 'proposed' : 'obsolete';
        const reason = why ?? `its turn came: no action holds deployment "${runId}" any more`;
        tx.change({ id: row.id, from: ['queued'], to, reason });
        moved.push({ id: row.id, status: to });
        if (to === 'proposed') return;
      }
    });
    const promoted = moved.find((m) => m.status === 'proposed');
    return {
      ...(promoted ? { promoted: this.mustGet(promoted.id) } : {}),
      obsoleted: moved.filter((m) => m.status === 'obsolete').map((m) => this.mustGet(m.id)),
    };
  }

  queuedRuns(): string[] {
    return this.queue.runs();
  }

  get(id: string): ActionRecord | undefined {
    const row = this.s.get.get(id) as ActionRow | undefined;
    return row ? this.toAction(row) : undefined;
  }

  /** The row as a record, with its place in the deployment's queue when queued. */
  private toAction(row: ActionRow): ActionRecord {
    const a = rowToAction(row);
    if (a.status !== 'queued') return a;
    const { position, behind } = this.queue.position(row);
    return { ...a, queuePosition: position, queuedBehind: behind };
  }

  private mustGet(id: string): ActionRecord {
    const a = this.get(id);
    if (!a) throw new AppError('ERR_ACTION_NOT_FOUND', `action ${id} not found`);
    return a;
  }

  list(filter: ActionListFilter): { items: ActionRecord[]; total: number } {
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: filter.limit, offset: filter.offset };
    if (filter.status) {
      where.push('status = @status');
      params.status = filter.status;
    }
    if (filter.runId) {
      where.push('run_id = @runId');
      params.runId = filter.runId;
    }
    where.push(...windowConditions(filter));
    if (filter.since) params.since = filter.since;
    if (filter.until) params.until = filter.until;
    const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const rows = this.db
      .prepare(`SELECT * FROM actions ${w} ORDER BY created_at DESC, id DESC LIMIT @limit OFFSET @offset`)
      .all(params) as ActionRow[];
    const { n } = this.db.prepare(`SELECT COUNT(*) AS n FROM actions ${w}`).get(params) as { n: number };
    return { items: rows.map((r) => this.toAction(r)), total: n };
  }

  inStatus(statuses: readonly ActionStatus[]): ActionRecord[] {
    const marks = statuses.map(() => '?').join(',');
    const rows = this.db
      .prepare(`SELECT * FROM actions WHERE status IN (${marks}) ORDER BY created_at, id`)
      .all(...statuses) as ActionRow[];
    return rows.map((r) => this.toAction(r));
  }

  transition(
    id: string,
    from: readonly ActionStatus[],
    to: ActionStatus,
    reason: string | null,
    patch: ActionPatch = {},
  ): boolean {
    return this.lifecycle.change({ id, from, to, reason, patch });
  }

  patch(id: string, patch: ActionPatch): void {
    this.writer.patch(id, patch, isoAt(this.clock));
  }

  submitVerdict(input: VerdictRequest): VerdictResult {
    const out = this.verdicts.submit(input);
    if (out.recorded) {
      this.events.publish({
        type: 'approval.recorded',
        actionId: input.actionId,
        verdict: input.verdict,
        outcome: out.result.ok ? 'accepted' : 'refused',
        channel: input.channel,
      });
    }
    return out.result;
  }

  expireDue(): string[] {
    const now = isoAt(this.clock);
    const due = this.s.due.all(now) as Array<{ id: string }>;
    return due
      .filter((d) =>
        this.transition(d.id, ['awaiting_approval'], 'expired', 'nobody decided before the approval expired'),
      )
      .map((d) => d.id);
  }

  statusHistory(id: string): Array<{ status: ActionStatus; detail: string | null; at: string }> {
    return this.s.history.all(id) as Array<{ status: ActionStatus; detail: string | null; at: string }>;
  }

  approvals(id: string): ApprovalRow[] {
    return this.s.approvals.all(id) as ApprovalRow[];
  }

  latestRevision(runId: string): RevisionRow | undefined {
    return this.s.latestRevision.get(runId) as RevisionRow | undefined;
  }

  getRevision(id: string): RevisionRow | undefined {
    return this.s.revision.get(id) as RevisionRow | undefined;
  }

  insertRevision(r: RevisionRow): void {
    this.db.transaction(() => {
      this.s.insertRevision.run(
        r.id,
        r.runId,
        r.parentId,
        r.actionId,
        r.filesDir,
        r.planSha256,
        r.stateSerial,
        r.createdAt,
      );
      this.ledger.append({
        kind: 'revision.recorded',
        at: r.createdAt,
        actionId: r.actionId,
        runId: r.runId,
        data: { revisionId: r.id, parentId: r.parentId },
      });
    })();
  }

  forIncident(incidentId: string, statuses: readonly ActionStatus[]): ActionRecord[] {
    const marks = statuses.map(() => '?').join(',');
    const rows = this.db
      .prepare(`SELECT * FROM actions WHERE incident_id = ? AND status IN (${marks}) ORDER BY created_at, id`)
      .all(incidentId, ...statuses) as ActionRow[];
    return rows.map((r) => this.toAction(r));
  }
}
