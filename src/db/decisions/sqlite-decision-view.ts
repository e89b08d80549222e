import { windowConditions } from '../../shared/time-window.js';
import type { DecisionSource } from '../../agent/decision-schema.js';
import type { Statement } from 'better-sqlite3';
import type { Db } from '../connection/database.js';
import type { Ledger, LedgerRow } from '../ledger/sqlite-ledger.js';

/** A decision as the API shows it (prompt and response were redacted before storage). */
export interface DecisionRecordView {
  id: string;
  incident_id: string;
  run_id: string | null;
  resource_address: string | null;
  action_type: string;
  resource_id: string;
  parameters: Record<string, unknown>;
  confidence: number;
  reason: string;
  source: DecisionSource;
  status: string;
  error: string | null;
  created_at: string;
  updated_at: string;
}

export interface DecisionDetail {
  decision: DecisionRecordView;
  policy_verdict: unknown;
  llm: {
    model: string | null;
    prompt: string | null;
    response: string | null;
    latency_ms: number | null;
    prompt_tokens: number | null;
    output_tokens: number | null;
    error: string | null;
  } | null;
  incident: Record<string, unknown> | null;
  alerts: Array<Record<string, unknown>>;
  ledger: LedgerRow[];
}

interface Raw {
  id: string;
  incident_id: string;
  run_id: string | null;
  resource_address: string | null;
  action_type: string;
  resource_id: string;
  parameters_json: string;
  confidence: number;
  reason: string;
  source: DecisionSource;
  status: string;
  policy_verdict_json: string | null;
  model: string | null;
  prompt: string | null;
  response: string | null;
  latency_ms: number | null;
  prompt_tokens: number | null;
  output_tokens: number | null;
  error: string | null;
  created_at: string;
  updated_at: string;
}

const LIST_COLUMNS = `id, incident_id, run_id, resource_address, action_type, resource_id, parameters_json, confidence,
  reason, source, status, error, created_at, updated_at`;

function view(r: Raw): DecisionRecordView {
  return {
    id: r.id,
    incident_id: r.incident_id,
    run_id: r.run_id,
    resource_address: r.resource_address,
    action_type: r.action_type,
    resource_id: r.resource_id,
    parameters: JSON.parse(r.parameters_json) as Record<string, unknown>,
    confidence: r.confidence,
    reason: r.reason,
    source: r.source,
    status: r.status,
    error: r.error,
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

/** Read-only queries behind GET /ops/decisions. */
export class SqliteDecisionView {
  private readonly s: Record<'decision' | 'incident' | 'alerts', Statement>;

  constructor(
    private readonly db: Db,
    private readonly ledger: Ledger,
  ) {
    this.s = {
      decision: db.prepare('SELECT * FROM decisions WHERE id = ?'),
      incident: db.prepare('SELECT * FROM incidents WHERE id = ?'),
      alerts: db.prepare(
        `SELECT a.fingerprint, a.alertname, a.status, a.severity, a.labels_json, a.annotations_json, a.value, a.starts_at,
           a.ends_at, a.resource_key, a.lookup_status, a.lookup_reason
         FROM incident_alerts ia JOIN alerts a ON a.fingerprint = ia.fingerprint WHERE ia.incident_id = ?
         ORDER BY ia.joined_at LIMIT 100`,
      ),
    };
  }

  /** Newest first. Reads only. */
  list(filter: { status?: string; since?: string; until?: string; limit: number; offset: number }): {
    items: DecisionRecordView[];
    total: number;
  } {
    const conds = [...(filter.status === undefined ? [] : ['status = @status']), ...windowConditions(filter)];
    const where = conds.length > 0 ? `WHERE ${conds.join(' AND ')}` : '';
    const params = {
      status: filter.status,
      since: filter.since,
      until: filter.until,
      limit: filter.limit,
      offset: filter.offset,
    };
    const rows = this.db
      .prepare(
        `SELECT ${LIST_COLUMNS} FROM decisions ${where} ORDER BY created_at DESC, id DESC LIMIT @limit OFFSET @offset`,
      )
      .all(params) as Raw[];
    const { n } = this.db.prepare(`SELECT COUNT(*) AS n FROM decisions ${where}`).get(params) as { n: number };
    return { items: rows.map(view), total: n };
  }

  /** Everything about one decision, or undefined. Reads only. */
  get(id: string): DecisionDetail | undefined {
    const r = this.s.decision.get(id) as Raw | undefined;
    if (!r) return undefined;
    const incident = (this.s.incident.get(r.incident_id) as Record<string, unknown> | undefined) ?? null;
    const alerts = (
      this.s.alerts.all(r.incident_id) as Array<
        Record<string, unknown> & { labels_json: string; annotations_json: string }
      >
    ).map(({ labels_json, annotations_json, ...rest }) => ({
      ...rest,
      labels: JSON.parse(labels_json) as unknown,
      annotations: JSON.parse(annotations_json) as unknown,
    }));
    const llm =
      r.model === null && r.prompt === null && r.error === null
        ? null
        : {
            model: r.model,
            prompt: r.prompt,
            response: r.response,
            latency_ms: r.latency_ms,
            prompt_tokens: r.prompt_tokens,
            output_tokens: r.output_tokens,
            error: r.error,
          };
    return {
      decision: view(r),
      policy_verdict: r.policy_verdict_json === null ? null : (JSON.parse(r.policy_verdict_json) as unknown),
      llm,
      incident,
      alerts,
      ledger: this.ledger.list({ decisionId: id, incidentId: r.incident_id, limit: 200 }),
    };
  }
}
