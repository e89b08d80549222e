import { z } from 'zod';
import type { ActiveAlertView, AlertView, IncidentView } from '../../alerts/views.js';
import { DataMap } from './common.js';
import { LedgerRowWire } from './ledger.js';

const ResourceRefWire = z.strictObject({
  key: z.string().nullable(),
  run_id: z.string().nullable(),
  address: z.string().nullable(),
  lookup_status: z.string().nullable(),
  lookup_reason: z.string().nullable(),
});

export const AlertWire = z.strictObject({
  fingerprint: z.string(),
  alertname: z.string(),
  status: z.string(),
  severity: z.string().nullable(),
  labels: DataMap,
  annotations: DataMap,
  value: z.number().nullable(),
  starts_at: z.string().nullable(),
  ends_at: z.string().nullable(),
  generator_url: z.string().nullable(),
  first_seen_at: z.string(),
  last_seen_at: z.string(),
  resolved_at: z.string().nullable(),
  incident_id: z.string().nullable(),
  resource: ResourceRefWire,
});

export const ActiveAlertWire = AlertWire.extend({
  incident: z
    .strictObject({
      id: z.string(),
      status: z.string(),
      alert_count: z.number(),
      decision_id: z.string().nullable(),
      opened_at: z.string(),
    })
    .nullable(),
  deployment: z.strictObject({ run_id: z.string(), dir: z.string(), status: z.string() }).nullable(),
});

export const IncidentWire = z.strictObject({
  id: z.string(),
  incident_key: z.string(),
  status: z.enum(['open', 'resolved']),
  alertname: z.string().nullable(),
  alert_count: z.number(),
  decision_id: z.string().nullable(),
  opened_at: z.string(),
  updated_at: z.string(),
  resolved_at: z.string().nullable(),
  resource: ResourceRefWire,
});

export const IncidentDetailWire = z.strictObject({
  incident: IncidentWire,
  alerts: z.array(AlertWire),
  ledger: z.array(LedgerRowWire),
});

export function alertToWire(a: AlertView): z.infer<typeof AlertWire> {
  return {
    fingerprint: a.fingerprint,
    alertname: a.alertname,
    status: a.status,
    severity: a.severity ?? null,
    labels: a.labels,
    annotations: a.annotations,
    value: a.value ?? null,
    starts_at: a.startsAt ?? null,
    ends_at: a.endsAt ?? null,
    generator_url: a.generatorUrl ?? null,
    first_seen_at: a.firstSeenAt,
    last_seen_at: a.lastSeenAt,
    resolved_at: a.resolvedAt,
    incident_id: a.incidentId ?? null,
    resource: {
      key: a.resourceKey ?? null,
      run_id: a.runId ?? null,
      address: a.resourceAddress ?? null,
      lookup_status: a.lookupStatus ?? null,
      lookup_reason: a.lookupReason ?? null,
    },
  };
}

export function activeAlertToWire(a: ActiveAlertView): z.infer<typeof ActiveAlertWire> {
  return {
    ...alertToWire(a),
    incident: a.incident && {
      id: a.incident.id,
      status: a.incident.status,
      alert_count: a.incident.alertCount,
      decision_id: a.incident.decisionId,
      opened_at: a.incident.openedAt,
    },
    deployment: a.deployment && { run_id: a.deployment.runId, dir: a.deployment.dir, status: a.deployment.status },
  };
}

export function incidentToWire(i: IncidentView): z.infer<typeof IncidentWire> {
  return {
    id: i.id,
    incident_key: i.incidentKey,
    status: i.status,
    alertname: i.alertname ?? null,
    alert_count: i.alertCount,
    decision_id: i.decisionId,
    opened_at: i.openedAt,
    updated_at: i.updatedAt,
    resolved_at: i.resolvedAt,
    resource: {
      key: i.resourceKey ?? null,
      run_id: i.runId ?? null,
      address: i.resourceAddress ?? null,
      lookup_status: i.lookupStatus ?? null,
      lookup_reason: i.lookupReason ?? null,
    },
  };
}
