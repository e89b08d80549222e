import { z } from 'zod';
import type { ActiveAlertView, AlertQueries, AlertView, IncidentView } from '../../alerts/views.js';
import type { Ledger } from '../../shared/ledger.js';
import { AppError } from '../../shared/errors.js';
import type { RouteModule } from '../app.js';

export interface AlertRouteDeps {
  queries: AlertQueries;
  ledger: Ledger;
}

const Page = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
});

/** GET /ops/alerts/active, GET /ops/incidents and GET /ops/incidents/:id (read-only). */
export function alertRoutes(deps: AlertRouteDeps): RouteModule {
  return (app) => {
    app.get(
      '/ops/alerts/active',
      { schema: { description: 'Firing alerts with their incident, resource and deployment, newest first.', querystring: Page } },
      async (req) => {
        const { limit, offset } = req.query;
        const page = deps.queries.listActiveAlerts({ limit, offset });
        return { total: page.total, limit, offset, items: page.items.map(activeAlertJson) };
      },
    );
    app.get(
      '/ops/incidents',
      {
        schema: {
          description: 'Incidents, newest first.',
          querystring: Page.extend({ status: z.enum(['open', 'resolved']).optional() }),
        },
      },
      async (req) => {
        const { limit, offset, status } = req.query;
        const page = deps.queries.listIncidents({ limit, offset, ...(status ? { status } : {}) });
        return { total: page.total, limit, offset, items: page.items.map(incidentJson) };
      },
    );
    app.get(
      '/ops/incidents/:id',
      { schema: { description: 'One incident with its alerts and ledger.', params: z.object({ id: z.string().min(1).max(64) }) } },
      async (req) => {
        const found = deps.queries.getIncidentWithAlerts(req.params.id);
        if (found === undefined) throw new AppError('ERR_INCIDENT_NOT_FOUND', `no incident "${req.params.id}"`);
        return {
          incident: incidentJson(found.incident),
          alerts: found.alerts.map(alertJson),
          ledger: deps.ledger.list({ incidentId: found.incident.id, limit: 500 }),
        };
      },
    );
  };
}

export function alertJson(a: AlertView) {
  return {
    fingerprint: a.fingerprint, alertname: a.alertname, status: a.status, severity: a.severity, labels: a.labels,
    annotations: a.annotations, value: a.value, starts_at: a.startsAt, ends_at: a.endsAt, generator_url: a.generatorUrl,
    first_seen_at: a.firstSeenAt, last_seen_at: a.lastSeenAt, resolved_at: a.resolvedAt, incident_id: a.incidentId,
    resource: {
      key: a.resourceKey, run_id: a.runId, address: a.resourceAddress, lookup_status: a.lookupStatus, lookup_reason: a.lookupReason,
    },
  };
}

function activeAlertJson(a: ActiveAlertView) {
  return {
    ...alertJson(a),
    incident: a.incident && {
      id: a.incident.id, status: a.incident.status, alert_count: a.incident.alertCount,
      decision_id: a.incident.decisionId, opened_at: a.incident.openedAt,
    },
    deployment: a.deployment && { run_id: a.deployment.runId, dir: a.deployment.dir, status: a.deployment.status },
  };
}

export function incidentJson(i: IncidentView) {
  return {
    id: i.id, incident_key: i.incidentKey, status: i.status, alertname: i.alertname, alert_count: i.alertCount,
    decision_id: i.decisionId, opened_at: i.openedAt, updated_at: i.updatedAt, resolved_at: i.resolvedAt,
    resource: {
      key: i.resourceKey, run_id: i.runId, address: i.resourceAddress, lookup_status: i.lookupStatus, lookup_reason: i.lookupReason,
    },
  };
}
