import { z } from 'zod';
import type { AlertQueries } from '../../alerts/views.js';
import type { Ledger } from '../../shared/ledger.js';
import { AppError } from '../../shared/errors.js';
import type { RouteModule } from '../app.js';
import {
  ActiveAlertWire,
  IncidentDetailWire,
  IncidentWire,
  activeAlertToWire,
  alertToWire,
  incidentToWire,
} from '../wire/alert.js';
import { pageOf, responses } from '../wire/common.js';
import { ledgerToWire } from '../wire/ledger.js';

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
      {
        schema: {
          description: 'Firing alerts with their incident, resource and deployment, newest first.',
          querystring: Page,
          response: responses({ 200: pageOf(ActiveAlertWire) }),
        },
      },
      async (req) => {
        const { limit, offset } = req.query;
        const page = deps.queries.listActiveAlerts({ limit, offset });
        return { total: page.total, limit, offset, items: page.items.map(activeAlertToWire) };
      },
    );
    app.get(
      '/ops/incidents',
      {
        schema: {
          description: 'Incidents, newest first.',
          querystring: Page.extend({ status: z.enum(['open', 'resolved']).optional() }),
          response: responses({ 200: pageOf(IncidentWire) }),
        },
      },
      async (req) => {
        const { limit, offset, status } = req.query;
        const page = deps.queries.listIncidents({ limit, offset, ...(status ? { status } : {}) });
        return { total: page.total, limit, offset, items: page.items.map(incidentToWire) };
      },
    );
    app.get(
      '/ops/incidents/:id',
      {
        schema: {
          description: 'One incident with its alerts and ledger.',
          params: z.object({ id: z.string().min(1).max(64) }),
          response: responses({ 200: IncidentDetailWire }),
        },
      },
      async (req) => {
        const found = deps.queries.getIncidentWithAlerts(req.params.id);
        if (found === undefined) throw new AppError('ERR_INCIDENT_NOT_FOUND', `no incident "${req.params.id}"`);
        return {
          incident: incidentToWire(found.incident),
          alerts: found.alerts.map(alertToWire),
          ledger: deps.ledger.list({ incidentId: found.incident.id, limit: 500 }).map(ledgerToWire),
        };
      },
    );
  };
}
