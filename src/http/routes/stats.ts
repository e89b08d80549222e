import { z } from 'zod';
import type { DayStats } from '../../db/ops/sqlite-ops-queries.js';
import type { Ledger } from '../../shared/ledger.js';
import type { Clock } from '../../shared/clock.js';
import type { RouteModule } from '../app.js';
import { responses } from '../wire/common.js';
import { LedgerRowWire, ledgerToWire } from '../wire/ledger.js';
import { StatsWire, UiConfigWire, statsToWire } from '../wire/ops.js';

export interface StatsRouteDeps {
  stats: { dayStats(sinceIso: string): DayStats };
  ledger: Ledger;
  clock: Clock;
  /** Whether API_TOKEN is set: then every route but the public ones needs a token (access.ts). */
  authRequired: boolean;
  version: string;
}

const idFilter = z.string().min(1).max(200).optional();

function startOfUtcDay(ms: number): string {
  const d = new Date(ms);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())).toISOString();
}

/** GET /ops/stats, GET /ops/ledger (reads) and GET /ops/ui-config (public: the page reads it before it has a token). */
export function statsRoutes(deps: StatsRouteDeps): RouteModule {
  return (app) => {
    app.get(
      '/ops/stats',
      {
        schema: {
          tags: ['dashboard'],
          summary: "Today's figures",
          querystring: z.object({ since: z.iso.datetime({ offset: true }).optional() }),
          response: responses({ 200: StatsWire }),
        },
      },
      async (req) => {
        const since = req.query.since ? new Date(req.query.since).toISOString() : startOfUtcDay(deps.clock.now());
        return statsToWire(deps.stats.dayStats(since));
      },
    );

    app.get(
      '/ops/ledger',
      {
        schema: {
          tags: ['dashboard'],
          summary: 'Ledger entries linked to an action, incident or decision (oldest first)',
          querystring: z.object({
            action_id: idFilter,
            incident_id: idFilter,
            decision_id: idFilter,
            kind: z.string().min(1).max(100).optional(),
            limit: z.coerce.number().int().min(1).max(1000).default(200),
          }),
          response: responses({ 200: z.strictObject({ items: z.array(LedgerRowWire) }) }),
        },
      },
      async (req) => {
        const q = req.query;
        const rows = deps.ledger.list({
          ...(q.action_id ? { actionId: q.action_id } : {}),
          ...(q.incident_id ? { incidentId: q.incident_id } : {}),
          ...(q.decision_id ? { decisionId: q.decision_id } : {}),
          ...(q.kind ? { kind: q.kind } : {}),
          limit: q.limit,
        });
        return { items: rows.map(ledgerToWire) };
      },
    );

    app.get(
      '/ops/ui-config',
      {
        schema: {
          tags: ['dashboard'],
          summary: 'What the dashboard needs to know before it starts',
          response: responses({ 200: UiConfigWire }),
        },
      },
      async () => ({ auth_required: deps.authRequired, version: deps.version }),
    );
  };
}
