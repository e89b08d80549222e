import type { AlertView, AlertQueries } from '../../alerts/views.js';
import type { HistoryItem, IncidentAlert } from '../../agent/context.js';
import type {
  CooldownGuard,
  DecisionRecord,
  DecisionStore,
  IncidentForDecision,
  InsertResult,
} from '../../decisions/decision-store.js';
import type { DecisionSource } from '../../agent/decision-schema.js';
import type { Statement } from 'better-sqlite3';
import type { ActionStatus } from '../../actions/status.js';
import type { Db } from '../connection/database.js';
import type { Ledger, LedgerEntry } from '../ledger/sqlite-ledger.js';
import { SqliteDecisionWriter } from './sqlite-decision-writer.js';

/** Statuses that do not count for the cooldown: nothing was (or will be) changed by them. */
const INERT = `('no_action', 'llm_rejected', 'needs_human', 'suppressed_cooldown', 'blocked_by_policy')`;

/** Alerts beyond this many (a storm on one resource) add nothing to a decision. */
const MAX_ALERTS = 50;

function toAlert(a: AlertView): IncidentAlert {
  return {
    fingerprint: a.fingerprint,
    alertname: a.alertname,
    status: a.status,
    severity: a.severity,
    labels: a.labels,
    annotations: a.annotations,
    value: a.value,
    startsAt: a.startsAt,
    resourceKey: a.resourceKey,
    lookupStatus: a.lookupStatus,
    lookupReason: a.lookupReason,
  };
}

/** The part of intake's store the decision path uses: its reader and the incident → decision link. */
export interface IncidentAccess extends Pick<AlertQueries, 'getIncidentWithAlerts'> {
  /** Sets incidents.decision_id; must run on the same connection (joins our transaction). */
  attachDecision(incidentId: string, decisionId: string, at: string): boolean;
}

/** Decisions on SQLite. Incidents and alerts are intake's: read through its store, never written here. */
export class SqliteDecisionStore implements DecisionStore {
  // Prepared once: each runs for every incident decided, and a wide storm decides thousands in a row
  // (re-preparing them was ~7% of the service's CPU in bench/storm-wide.ts).
  private readonly s: Record<'decisionFor' | 'recentActionable' | 'history' | 'undecided', Statement>;
  private readonly writer: SqliteDecisionWriter;

  constructor(
    private readonly db: Db,
    private readonly ledger: Ledger,
    private readonly incidents: IncidentAccess,
  ) {
    this.writer = new SqliteDecisionWriter(db);
    this.s = {
      decisionFor: db.prepare('SELECT id FROM decisions WHERE incident_id = ? ORDER BY created_at LIMIT 1'),
      recentActionable: db.prepare(
        `SELECT id, created_at AS createdAt FROM decisions
         WHERE run_id = ? AND resource_address = ? AND created_at > ? AND action_type != 'no_action' AND status NOT IN ${INERT}
         ORDER BY created_at DESC LIMIT 1`,
      ),
      history: db.prepare(
        `SELECT d.id, d.created_at, d.action_type, d.parameters_json, d.status, d.source, a.status AS action_status,
           json_extract(a.result_json, '$.verification.time_to_resolve_seconds') AS ttr
         FROM decisions d LEFT JOIN actions a ON a.decision_id = d.id
         WHERE d.run_id = ? AND d.resource_address = ? ORDER BY d.created_at DESC LIMIT ?`,
      ),
      undecided: db.prepare(
        `SELECT i.id FROM incidents i WHERE i.status = 'open'
         AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.incident_id = i.id) ORDER BY i.opened_at LIMIT ?`,
      ),
    };
  }

  readIncident(incidentId: string): { incident: IncidentForDecision; alerts: IncidentAlert[] } | undefined {
    const found = this.incidents.getIncidentWithAlerts(incidentId);
    if (!found) return undefined;
    const i = found.incident;
    return {
      incident: {
        id: i.id,
        runId: i.runId,
        resourceAddress: i.resourceAddress,
        alertname: i.alertname,
        status: i.status,
        alertCount: i.alertCount,
        openedAt: i.openedAt,
        resourceKey: i.resourceKey,
        lookupStatus: i.lookupStatus,
        lookupReason: i.lookupReason,
        decisionId: i.decisionId,
      },
      // Firing alerts first: they are what the decision is about.
      alerts: [...found.alerts]
        .sort((a, b) => Number(a.status !== 'firing') - Number(b.status !== 'firing'))
        .slice(0, MAX_ALERTS)
        .map(toAlert),
    };
  }

  decisionFor(incidentId: string): string | undefined {
    const r = this.s.decisionFor.get(incidentId) as { id: string } | undefined;
    return r?.id;
  }

  recentActionable(g: CooldownGuard): { id: string; createdAt: string } | undefined {
    return this.s.recentActionable.get(g.runId, g.resourceAddress, g.sinceIso) as
      { id: string; createdAt: string } | undefined;
  }

  history(runId: string, resourceAddress: string, limit: number): HistoryItem[] {
    const rows = this.s.history.all(runId, resourceAddress, limit) as Array<{
      id: string;
      created_at: string;
      action_type: string;
      parameters_json: string;
      status: string;
      source: DecisionSource;
      action_status: ActionStatus | null;
      ttr: number | null;
    }>;
    return rows.map((r) => ({
      decisionId: r.id,
      createdAt: r.created_at,
      actionType: r.action_type,
      parameters: JSON.parse(r.parameters_json) as Record<string, unknown>,
      status: r.status,
      source: r.source,
      actionStatus: r.action_status,
      timeToResolveSeconds: r.ttr,
    }));
  }

  undecidedOpenIncidents(limit: number): string[] {
    const rows = this.s.undecided.all(limit) as Array<{ id: string }>;
    return rows.map((r) => r.id);
  }

  insert(d: DecisionRecord, ledger: LedgerEntry[], guard?: CooldownGuard): InsertResult {
    return this.db.transaction((): InsertResult => {
      const existing = this.decisionFor(d.incidentId);
      if (existing) return { kind: 'duplicate', existingId: existing };
      if (guard) {
        const recent = this.recentActionable(guard);
        if (recent) return { kind: 'cooldown', recentId: recent.id, recentAt: recent.createdAt };
      }
      this.writer.insert(d);
      this.incidents.attachDecision(d.incidentId, d.id, d.createdAt);
      for (const entry of ledger) this.ledger.append(entry);
      return { kind: 'inserted' };
    })();
  }
}
