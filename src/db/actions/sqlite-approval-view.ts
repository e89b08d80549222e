/**
 * Read-only SQL view for approval messages and lists: actions joined with their decision and
 * the alerts of the decision's incident. Writes nothing.
 */
import type Database from 'better-sqlite3';
import type { DecisionSource } from '../../agent/decision-schema.js';
import type {
  ApprovalAlertView,
  ApprovalRequestView,
  ApprovalView,
  BlockedDecisionView,
  ApprovalDecisionView,
  PlanChangeView,
} from '../../approvals/ports.js';
import type { ActionStatus } from '../../actions/status.js';
import { storedValueChains } from '../../actions/value-chains.js';
import { SqliteActionQueue } from './sqlite-action-queue.js';

interface ActionRow {
  id: string;
  decision_id: string;
  run_id: string;
  action_type: string;
  target_address: string;
  parameters_json: string;
  status: ActionStatus;
  status_reason: string | null;
  plan_sha256: string | null;
  plan_summary_json: string | null;
  changes_json: string | null;
  expires_at: string | null;
  decided_by: string | null;
  decided_via: string | null;
  decided_at: string | null;
  revision_id: string | null;
  queue_seq: number | null;
  created_at: string;
  updated_at: string;
}

interface DecisionRow {
  id: string;
  incident_id: string;
  run_id: string | null;
  resource_address: string | null;
  action_type: string;
  parameters_json: string;
  confidence: number;
  reason: string;
  source: DecisionSource;
  status: string;
  policy_verdict_json: string | null;
}

interface AlertRow {
  fingerprint: string;
  alertname: string;
  status: string;
  value: number | null;
  starts_at: string | null;
  first_seen_at: string;
  resource_address: string | null;
  resource_key: string | null;
}

function parseJson(text: string | null): unknown {
  if (text === null) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function obj(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function attributesOf(item: Record<string, unknown>): PlanChangeView['attributes'] {
  const list = item['attributes'] ?? item['changes'] ?? item['changed'];
  if (Array.isArray(list)) {
    return list.map((a) => {
      const o = obj(a);
      return { path: String(o['path'] ?? o['attribute'] ?? o['name'] ?? '?'), before: o['before'], after: o['after'] };
    });
  }
  // Object form: { "input.node_count": { before, after } }.
  return Object.entries(obj(list)).map(([path, v]) => ({ path, before: obj(v)['before'], after: obj(v)['after'] }));
}

/**
 * The executor owns plan_summary_json; accept its likely shapes (an array of changes, or an
 * object holding one under `changes`/`resource_changes`) rather than failing the message.
 */
export function parsePlanSummary(text: string | null): PlanChangeView[] {
  const raw = parseJson(text);
  const o = obj(raw);
  const list = Array.isArray(raw) ? raw : (o['changes'] ?? o['resource_changes'] ?? o['resources']);
  if (!Array.isArray(list)) return [];
  return list.map((entry) => {
    const item = obj(entry);
    const actions = item['actions'];
    const action = Array.isArray(actions) ? actions.join('+') : String(item['action'] ?? 'change');
    const view: PlanChangeView = { address: String(item['address'] ?? '?'), action, attributes: attributesOf(item) };
    // plan/summary.ts marks a replacement or a stop/start with `disruption` and its sentence `warning`.
    if (typeof item['disruption'] === 'string') {
      const warning = typeof item['warning'] === 'string' ? item['warning'] : item['disruption'];
      view.disruption = { kind: item['disruption'], warning };
    }
    return view;
  });
}

function policyReason(text: string | null): string | null {
  const v = obj(parseJson(text));
  // What policy/evaluate.ts records for a refusal: { allowed: false, rule, message }.
  if (typeof v['message'] === 'string')
    return typeof v['rule'] === 'string' ? `${v['message']} (rule ${v['rule']})` : v['message'];
  const reasons = v['reasons'] ?? v['violations'];
  if (Array.isArray(reasons)) return reasons.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('; ');
  if (typeof v['reason'] === 'string') return v['reason'];
  return text;
}

export class SqliteApprovalView implements ApprovalView {
  private readonly queue: SqliteActionQueue;

  private readonly s: Record<'alert' | 'decision' | 'action' | 'pending' | 'recent', Database.Statement>;

  constructor(db: Database.Database) {
    this.queue = new SqliteActionQueue(db);
    this.s = {
      alert: db.prepare(
        `SELECT a.* FROM incident_alerts ia JOIN alerts a ON a.fingerprint = ia.fingerprint
         WHERE ia.incident_id = ? ORDER BY (a.status = 'firing') DESC, ia.joined_at LIMIT 1`,
      ),
      decision: db.prepare('SELECT * FROM decisions WHERE id = ?'),
      action: db.prepare('SELECT * FROM actions WHERE id = ?'),
      pending: db.prepare("SELECT * FROM actions WHERE status = 'awaiting_approval' ORDER BY created_at LIMIT 100"),
      recent: db.prepare('SELECT * FROM actions ORDER BY updated_at DESC, id DESC LIMIT ?'),
    };
  }

  private decisionView(d: DecisionRow): ApprovalDecisionView {
    return {
      id: d.id,
      actionType: d.action_type,
      parameters: obj(parseJson(d.parameters_json)),
      confidence: d.confidence,
      reason: d.reason,
      source: d.source,
      status: d.status,
    };
  }

  private alertFor(incidentId: string): ApprovalAlertView | null {
    // The firing alert that joined first names the problem; a resolved one is second best.
    const row = this.s.alert.get(incidentId) as AlertRow | undefined;
    if (row === undefined) return null;
    return {
      name: row.alertname,
      fingerprint: row.fingerprint,
      status: row.status,
      resource: row.resource_address ?? row.resource_key,
      value: row.value,
      since: row.starts_at ?? row.first_seen_at,
    };
  }

  private toView(a: ActionRow): ApprovalRequestView | undefined {
    const d = this.s.decision.get(a.decision_id) as DecisionRow | undefined;
    if (d === undefined) return undefined;
    const place = a.status === 'queued' ? this.queue.position(a) : undefined;
    return {
      ...(place ? { queuePosition: place.position, queuedBehind: place.behind } : {}),
      actionId: a.id,
      status: a.status,
      statusReason: a.status_reason,
      runId: a.run_id,
      actionType: a.action_type,
      targetAddress: a.target_address,
      parameters: obj(parseJson(a.parameters_json)),
      planSha256: a.plan_sha256,
      planChanges: parsePlanSummary(a.plan_summary_json),
      valueChains: storedValueChains(parseJson(a.changes_json), parseJson(a.plan_summary_json)),
      expiresAt: a.expires_at,
      decidedBy: a.decided_by,
      decidedVia: a.decided_via,
      decidedAt: a.decided_at,
      revisionId: a.revision_id,
      createdAt: a.created_at,
      updatedAt: a.updated_at,
      decision: this.decisionView(d),
      alert: this.alertFor(d.incident_id),
    };
  }

  private many(stmt: Database.Statement, ...params: unknown[]): ApprovalRequestView[] {
    const rows = stmt.all(...params) as ActionRow[];
    return rows.map((r) => this.toView(r)).filter((v): v is ApprovalRequestView => v !== undefined);
  }

  async getRequest(actionId: string): Promise<ApprovalRequestView | undefined> {
    const row = this.s.action.get(actionId) as ActionRow | undefined;
    return row === undefined ? undefined : this.toView(row);
  }

  async listPending(): Promise<ApprovalRequestView[]> {
    return this.many(this.s.pending);
  }

  async listRecent(limit: number): Promise<ApprovalRequestView[]> {
    const n = Math.max(1, Math.min(Math.trunc(limit), 100));
    return this.many(this.s.recent, n);
  }

  async getDecision(decisionId: string): Promise<BlockedDecisionView | undefined> {
    const d = this.s.decision.get(decisionId) as DecisionRow | undefined;
    if (d === undefined) return undefined;
    return {
      decision: this.decisionView(d),
      runId: d.run_id,
      resourceAddress: d.resource_address,
      policyReason: policyReason(d.policy_verdict_json),
      alert: this.alertFor(d.incident_id),
    };
  }
}
