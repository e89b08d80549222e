import type { Db } from '../connection/database.js';

import type { Ledger, LedgerEntry, LedgerRow } from '../../shared/ledger.js';

export type { Ledger, LedgerEntry, LedgerRow } from '../../shared/ledger.js';

interface RawRow {
  id: number;
  at: string;
  kind: string;
  fingerprint: string | null;
  incident_id: string | null;
  decision_id: string | null;
  action_id: string | null;
  run_id: string | null;
  actor: string | null;
  data_json: string;
}

export class SqliteLedger implements Ledger {
  private readonly insert;

  constructor(private readonly db: Db) {
    this.insert = db.prepare(
      `INSERT INTO ledger (at, kind, fingerprint, incident_id, decision_id, action_id, run_id, actor, data_json)
       VALUES (@at, @kind, @fingerprint, @incidentId, @decisionId, @actionId, @runId, @actor, @data)`,
    );
  }

  append(entry: LedgerEntry): void {
    this.insert.run({
      at: entry.at,
      kind: entry.kind,
      fingerprint: entry.fingerprint ?? null,
      incidentId: entry.incidentId ?? null,
      decisionId: entry.decisionId ?? null,
      actionId: entry.actionId ?? null,
      runId: entry.runId ?? null,
      actor: entry.actor ?? null,
      data: JSON.stringify(entry.data ?? {}),
    });
  }

  list(filter: {
    actionId?: string;
    incidentId?: string;
    decisionId?: string;
    kind?: string;
    limit?: number;
  }): LedgerRow[] {
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: Math.min(filter.limit ?? 500, 5000) };
    const ors: string[] = [];
    if (filter.actionId) {
      ors.push('action_id = @actionId');
      params.actionId = filter.actionId;
    }
    if (filter.incidentId) {
      ors.push('incident_id = @incidentId');
      params.incidentId = filter.incidentId;
    }
    if (filter.decisionId) {
      ors.push('decision_id = @decisionId');
      params.decisionId = filter.decisionId;
    }
    if (ors.length > 0) where.push(`(${ors.join(' OR ')})`);
    if (filter.kind) {
      where.push('kind = @kind');
      params.kind = filter.kind;
    }
    const sql = `SELECT * FROM ledger ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT @limit`;
    return (this.db.prepare(sql).all(params) as RawRow[]).map((r) => ({
      id: r.id,
      at: r.at,
      kind: r.kind,
      fingerprint: r.fingerprint,
      incidentId: r.incident_id,
      decisionId: r.decision_id,
      actionId: r.action_id,
      runId: r.run_id,
      actor: r.actor,
      data: JSON.parse(r.data_json) as Record<string, unknown>,
    }));
  }
}
