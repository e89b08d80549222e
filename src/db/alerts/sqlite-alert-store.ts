import type { Statement } from 'better-sqlite3';
import type { AlertStatus } from '../../alerts/normalise.js';
import type { AlertRow, AlertWriteStore, IncidentRow, NotificationRow, StoredAlertState } from '../../alerts/ports.js';
import type {
  ActiveAlertView,
  AlertQueries,
  AlertView,
  IncidentDecisionLink,
  IncidentView,
} from '../../alerts/views.js';
import type { Db } from '../connection/database.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- rows come back untyped from SQLite and are mapped right here */
type Raw = Record<string, any>;

const ALERT_COLS = `a.fingerprint, a.alertname, a.status, a.severity, a.labels_json, a.annotations_json, a.value, a.starts_at,
  a.ends_at, a.generator_url, a.resource_key, a.run_id, a.resource_address, a.lookup_status, a.lookup_reason,
  a.incident_id, a.first_seen_at, a.last_seen_at, a.resolved_at`;

/**
 * SQLite storage for notifications, alerts, their history and incidents. Every statement is
 * prepared once: intake runs them thousands of times a second.
 */
export class SqliteAlertStore implements AlertWriteStore, AlertQueries, IncidentDecisionLink {
  private readonly s: Record<string, Statement>;

  constructor(private readonly db: Db) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      insertNotification:
        p(`INSERT INTO notifications (id, dedup_key, format, receiver, group_key, status, alert_count, truncated_alerts, received_at)
        VALUES (@id, @dedupKey, @format, @receiver, @groupKey, @status, @alertCount, @truncatedAlerts, @receivedAt)
        ON CONFLICT (dedup_key) DO NOTHING`),
      notificationByKey: p('SELECT id FROM notifications WHERE dedup_key = ?'),
      alertState: p(`SELECT a.fingerprint, a.status, a.starts_at, a.incident_id, i.status AS incident_status
        FROM alerts a LEFT JOIN incidents i ON i.id = a.incident_id WHERE a.fingerprint = ?`),
      upsertAlert:
        p(`INSERT INTO alerts (fingerprint, alertname, status, severity, labels_json, annotations_json, value, starts_at, ends_at,
          generator_url, resource_key, run_id, resource_address, lookup_status, lookup_reason, incident_id, first_seen_at, last_seen_at, resolved_at)
        VALUES (@fingerprint, @alertname, @status, @severity, @labels, @annotations, @value, @startsAt, @endsAt, @generatorUrl, @resourceKey,
          @runId, @resourceAddress, @lookupStatus, @lookupReason, @incidentId, @seenAt, @seenAt, @resolvedAt)
        ON CONFLICT (fingerprint) DO UPDATE SET alertname = excluded.alertname, status = excluded.status, severity = excluded.severity,
          labels_json = excluded.labels_json, annotations_json = excluded.annotations_json, value = excluded.value,
          starts_at = excluded.starts_at, ends_at = excluded.ends_at, generator_url = excluded.generator_url,
          resource_key = excluded.resource_key, run_id = excluded.run_id, resource_address = excluded.resource_address,
          lookup_status = excluded.lookup_status, lookup_reason = excluded.lookup_reason, incident_id = excluded.incident_id,
          last_seen_at = excluded.last_seen_at, resolved_at = excluded.resolved_at`),
      touchAlert:
        p(`UPDATE alerts SET labels_json = @labels, annotations_json = @annotations, value = @value, severity = @severity,
        last_seen_at = @seenAt WHERE fingerprint = @fingerprint`),
      alertEvent: p('INSERT INTO alert_events (fingerprint, notification_id, status, at) VALUES (?, ?, ?, ?)'),
      openIncident: p(`SELECT id FROM incidents WHERE incident_key = ? AND status = 'open' LIMIT 1`),
      insertIncident:
        p(`INSERT INTO incidents (id, incident_key, run_id, resource_address, resource_key, lookup_status, lookup_reason,
          alertname, status, alert_count, opened_at, updated_at)
        VALUES (@id, @incidentKey, @runId, @resourceAddress, @resourceKey, @lookupStatus, @lookupReason, @alertname, 'open', 0, @openedAt, @openedAt)`),
      joinIncident: p(
        'INSERT INTO incident_alerts (incident_id, fingerprint, joined_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
      ),
      bumpIncident: p('UPDATE incidents SET alert_count = alert_count + ?, updated_at = ? WHERE id = ?'),
      // Through incident_alerts (keyed by incident) rather than an (incident_id, status) index on
      // alerts: that index was one more scattered B-tree write per stored alert.
      countFiring: p(`SELECT count(*) AS n FROM incident_alerts ia JOIN alerts a ON a.fingerprint = ia.fingerprint
        WHERE ia.incident_id = ? AND a.incident_id = ia.incident_id AND a.status = 'firing'`),
      resolveIncident: p(
        `UPDATE incidents SET status = 'resolved', resolved_at = @at, updated_at = @at WHERE id = @id AND status = 'open'`,
      ),
      // Trigger-kept (schema.sql alert_counts): counting firing alerts per request grew with the table.
      activeCount: p(`SELECT COALESCE(SUM(n), 0) AS n FROM alert_counts WHERE status = 'firing'`),
      activePage:
        p(`SELECT ${ALERT_COLS}, i.status AS i_status, i.alert_count AS i_alert_count, i.decision_id AS i_decision_id,
          i.opened_at AS i_opened_at, d.dir AS d_dir, d.status AS d_status
        FROM alerts a LEFT JOIN incidents i ON i.id = a.incident_id LEFT JOIN deployments d ON d.run_id = a.run_id
        WHERE a.status = 'firing' ORDER BY a.first_seen_at DESC, a.fingerprint LIMIT ? OFFSET ?`),
      getAlert: p(`SELECT ${ALERT_COLS} FROM alerts a WHERE a.fingerprint = ?`),
      getIncident: p('SELECT * FROM incidents WHERE id = ?'),
      incidentAlerts: p(`SELECT ${ALERT_COLS} FROM incident_alerts ia JOIN alerts a ON a.fingerprint = ia.fingerprint
        WHERE ia.incident_id = ? ORDER BY ia.joined_at, a.fingerprint`),
      attachDecision: p('UPDATE incidents SET decision_id = ?, updated_at = ? WHERE id = ?'),
    };
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  insertNotification(row: NotificationRow): boolean {
    return this.s.insertNotification!.run(row).changes === 1;
  }

  notificationIdByDedupKey(dedupKey: string): string | undefined {
    return (this.s.notificationByKey!.get(dedupKey) as Raw | undefined)?.id as string | undefined;
  }

  getAlertState(fingerprint: string): StoredAlertState | undefined {
    const r = this.s.alertState!.get(fingerprint) as Raw | undefined;
    if (r === undefined) return undefined;
    return {
      fingerprint: r.fingerprint,
      status: r.status as AlertStatus,
      startsAt: r.starts_at,
      incidentId: r.incident_id,
      incidentOpen: r.incident_status === 'open',
    };
  }

  upsertAlert(row: AlertRow): void {
    this.s.upsertAlert!.run({
      ...row,
      labels: JSON.stringify(row.labels),
      annotations: JSON.stringify(row.annotations),
    });
  }

  touchAlert(row: Pick<AlertRow, 'fingerprint' | 'labels' | 'annotations' | 'value' | 'severity' | 'seenAt'>): void {
    this.s.touchAlert!.run({
      ...row,
      labels: JSON.stringify(row.labels),
      annotations: JSON.stringify(row.annotations),
    });
  }

  addAlertEvent(fingerprint: string, notificationId: string, status: AlertStatus, at: string): void {
    this.s.alertEvent!.run(fingerprint, notificationId, status, at);
  }

  findOpenIncident(incidentKey: string): string | undefined {
    return (this.s.openIncident!.get(incidentKey) as Raw | undefined)?.id as string | undefined;
  }

  insertIncident(row: IncidentRow): void {
    this.s.insertIncident!.run(row);
  }

  joinIncident(incidentId: string, fingerprints: readonly string[], at: string): number {
    let joined = 0;
    for (const fp of fingerprints) joined += this.s.joinIncident!.run(incidentId, fp, at).changes;
    if (joined > 0) this.s.bumpIncident!.run(joined, at, incidentId);
    return joined;
  }

  countFiringAlerts(incidentId: string): number {
    return (this.s.countFiring!.get(incidentId) as Raw).n as number;
  }

  resolveIncident(incidentId: string, at: string): void {
    this.s.resolveIncident!.run({ id: incidentId, at });
  }

  listActiveAlerts(page: { limit: number; offset: number }): { total: number; items: ActiveAlertView[] } {
    const total = (this.s.activeCount!.get() as Raw).n as number;
    const rows = this.s.activePage!.all(page.limit, page.offset) as Raw[];
    return {
      total,
      items: rows.map((r) => ({
        ...toAlert(r),
        incident:
          r.incident_id === null || r.i_status === null
            ? null
            : {
                id: r.incident_id,
                status: r.i_status,
                alertCount: r.i_alert_count,
                decisionId: r.i_decision_id,
                openedAt: r.i_opened_at,
              },
        deployment:
          r.run_id === null || r.d_dir === null ? null : { runId: r.run_id, dir: r.d_dir, status: r.d_status },
      })),
    };
  }

  getAlert(fingerprint: string): AlertView | undefined {
    const r = this.s.getAlert!.get(fingerprint) as Raw | undefined;
    return r === undefined ? undefined : toAlert(r);
  }

  getIncident(incidentId: string): IncidentView | undefined {
    const r = this.s.getIncident!.get(incidentId) as Raw | undefined;
    return r === undefined ? undefined : toIncident(r);
  }

  getIncidentWithAlerts(incidentId: string): { incident: IncidentView; alerts: AlertView[] } | undefined {
    const incident = this.getIncident(incidentId);
    if (incident === undefined) return undefined;
    return { incident, alerts: (this.s.incidentAlerts!.all(incidentId) as Raw[]).map(toAlert) };
  }

  listIncidents(filter: { status?: 'open' | 'resolved'; limit: number; offset: number }): {
    total: number;
    items: IncidentView[];
  } {
    const where = filter.status === undefined ? '' : 'WHERE status = @status';
    const rows = this.db
      .prepare(`SELECT * FROM incidents ${where} ORDER BY opened_at DESC, id DESC LIMIT @limit OFFSET @offset`)
      .all({ status: filter.status, limit: filter.limit, offset: filter.offset }) as Raw[];
    const { total } = this.db
      .prepare(`SELECT COUNT(*) AS total FROM incidents ${where}`)
      .get({ status: filter.status }) as { total: number };
    return { total, items: rows.map(toIncident) };
  }

  attachDecision(incidentId: string, decisionId: string, at: string): boolean {
    return this.s.attachDecision!.run(decisionId, at, incidentId).changes === 1;
  }
}

function toAlert(r: Raw): AlertView {
  return {
    fingerprint: r.fingerprint,
    alertname: r.alertname,
    status: r.status,
    severity: r.severity,
    labels: JSON.parse(r.labels_json),
    annotations: JSON.parse(r.annotations_json),
    value: r.value,
    startsAt: r.starts_at,
    endsAt: r.ends_at,
    generatorUrl: r.generator_url,
    resourceKey: r.resource_key,
    runId: r.run_id,
    resourceAddress: r.resource_address,
    lookupStatus: r.lookup_status,
    lookupReason: r.lookup_reason,
    incidentId: r.incident_id,
    firstSeenAt: r.first_seen_at,
    lastSeenAt: r.last_seen_at,
    resolvedAt: r.resolved_at,
  };
}

function toIncident(r: Raw): IncidentView {
  return {
    id: r.id,
    incidentKey: r.incident_key,
    status: r.status,
    runId: r.run_id,
    resourceAddress: r.resource_address,
    resourceKey: r.resource_key,
    alertname: r.alertname,
    lookupStatus: r.lookup_status,
    lookupReason: r.lookup_reason,
    alertCount: r.alert_count,
    decisionId: r.decision_id,
    openedAt: r.opened_at,
    updatedAt: r.updated_at,
    resolvedAt: r.resolved_at,
  };
}
