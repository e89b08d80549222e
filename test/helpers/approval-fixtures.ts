/**
 * Seeds the rows an approval request reads (alert → incident → decision → action) straight into a
 * real SQLite database, and offers an ApprovalPort built on the production verdict
 * (SqliteActionStore.submitVerdict) for tests that do not run Terraform.
 */
import type { Db } from '../../src/db/connection/database.js';
import { SqliteActionStore } from '../../src/db/actions/sqlite-action-store.js';
import type { Ledger } from '../../src/db/ledger/sqlite-ledger.js';
import type { ApprovalPort, VerdictRequest, VerdictResult } from '../../src/approvals/ports.js';
import type { Clock } from '../../src/shared/clock.js';
import type { EventBus } from '../../src/shared/events.js';

let seq = 0;

export interface SeedOptions {
  status?: string;
  expiresAt?: string;
  alertName?: string;
  resource?: string;
  reason?: string;
  planSha256?: string;
  runId?: string;
}

export const PLAN_SHA = 'ab'.repeat(32);

/** Inserts a firing alert, its incident, a decision and an action; returns the ids. */
export function seedAction(db: Db, o: SeedOptions = {}): { actionId: string; decisionId: string; incidentId: string; runId: string } {
  seq += 1;
  const n = `${Date.now().toString(36)}${seq}`;
  const now = '2026-01-01T00:00:00.000Z';
  const incidentId = `inc_${n}`;
  const decisionId = `dec_${n}`;
  const actionId = `act_${n}`;
  const runId = o.runId ?? `web-${n}`;
  const fp = `fp${n}`;
  db.prepare(
    `INSERT INTO alerts (fingerprint, alertname, status, labels_json, annotations_json, value, starts_at, resource_key,
       run_id, resource_address, lookup_status, incident_id, first_seen_at, last_seen_at)
     VALUES (?, ?, 'firing', '{}', '{}', 0.93, '2025-12-31T23:50:00.000Z', 'pool', ?, ?, 'matched', ?, ?, ?)`,
  ).run(fp, o.alertName ?? 'HighCPU', runId, o.resource ?? 'terraform_data.pool', incidentId, now, now);
  db.prepare(
    `INSERT INTO incidents (id, incident_key, run_id, resource_address, alertname, status, alert_count, decision_id, opened_at, updated_at)
     VALUES (?, ?, ?, ?, ?, 'open', 1, ?, ?, ?)`,
  ).run(incidentId, `${runId}|pool|HighCPU`, runId, o.resource ?? 'terraform_data.pool', o.alertName ?? 'HighCPU', decisionId, now, now);
  db.prepare('INSERT INTO incident_alerts (incident_id, fingerprint, joined_at) VALUES (?, ?, ?)').run(incidentId, fp, now);
  db.prepare(
    `INSERT INTO decisions (id, incident_id, run_id, resource_address, action_type, resource_id, parameters_json, confidence,
       reason, source, status, created_at, updated_at)
     VALUES (?, ?, ?, 'terraform_data.pool', 'scale_up', 'pool', '{"input.node_count":4}', 0.92, ?, 'rules', 'accepted', ?, ?)`,
  ).run(decisionId, incidentId, runId, o.reason ?? 'CPU above 90% for 10 minutes; adding two nodes', now, now);
  const summary = [{ address: 'terraform_data.pool', action: 'update', changes: [{ path: 'input.node_count', before: '2', after: '4' }] }];
  db.prepare(
    `INSERT INTO actions (id, decision_id, incident_id, run_id, action_type, target_address, parameters_json, status,
       plan_sha256, plan_summary_json, expires_at, created_at, updated_at)
     VALUES (?, ?, ?, ?, 'scale_up', 'terraform_data.pool', '{"input.node_count":4}', ?, ?, ?, ?, ?, ?)`,
  ).run(actionId, decisionId, incidentId, runId, o.status ?? 'awaiting_approval', o.planSha256 ?? PLAN_SHA,
    JSON.stringify(summary), o.expiresAt ?? '2999-01-01T00:00:00.000Z', now, now);
  return { actionId, decisionId, incidentId, runId };
}

/** Sets an action's status (as the executor would) and publishes the event. */
export function moveAction(db: Db, events: EventBus, actionId: string, status: string, reason: string | null = null): void {
  db.prepare('UPDATE actions SET status = ?, status_reason = ?, updated_at = ? WHERE id = ?')
    .run(status, reason, new Date().toISOString(), actionId);
  const { run_id } = db.prepare('SELECT run_id FROM actions WHERE id = ?').get(actionId) as { run_id: string };
  events.publish({ type: 'action.status', actionId, status, runId: run_id });
}

/**
 * The production verdict (SqliteActionStore.submitVerdict) without the apply queue: single-use,
 * expiry and plan-hash checks, approvals row, ledger and events. Records every call.
 */
export class TransactionalApprovals implements ApprovalPort {
  readonly calls: VerdictRequest[] = [];
  private readonly store: SqliteActionStore;
  constructor(db: Db, ledger: Ledger, clock: Clock, events: EventBus) {
    this.store = new SqliteActionStore(db, ledger, events, clock);
  }

  async submitVerdict(request: VerdictRequest): Promise<VerdictResult> {
    this.calls.push(request);
    return this.store.submitVerdict(request);
  }
}

export function approvalRows(db: Db, actionId: string): Array<{ verdict: string; outcome: string; channel: string; actor: string }> {
  return db.prepare('SELECT verdict, outcome, channel, actor FROM approvals WHERE action_id = ? ORDER BY id').all(actionId) as never;
}

export function actionStatus(db: Db, actionId: string): string {
  return (db.prepare('SELECT status FROM actions WHERE id = ?').get(actionId) as { status: string }).status;
}
