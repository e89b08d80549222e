import { z } from 'zod';
import type { DayStats } from '../../db/ops/sqlite-ops-queries.js';
import type { Ledger } from '../../shared/ledger.js';
import type { Clock } from '../../shared/clock.js';
import type { RouteModule } from '../app.js';

export interface StatsRouteDeps {
  stats: { dayStats(sinceIso: string): DayStats };
  ledger: Ledger;
  clock: Clock;
  /** Whether API_TOKEN is set: then every route but the public ones needs a token (access.ts). */
  authRequired: boolean;
  version: string;
}

const figure = z.number().int().nullable().describe('null when the figure could not be computed');

const StatsSchema = z.object({
  since: z.string().describe('start of the window (ISO-8601 UTC); default: today 00:00 UTC'),
  alerts_received: figure.describe('distinct alerts that fired'),
  alerts_analysed: figure.describe('distinct alerts whose incident got a decision'),
  decisions: figure,
  actions_approved: figure,
  actions_rejected: figure,
  applied: figure,
  failed: figure,
  rolled_back: figure,
  rollback_failed: figure,
  effective: figure,
  ineffective: figure,
  pending_approvals: figure.describe('now, not since'),
  active_alerts: figure.describe('now, not since'),
});

const LedgerRowSchema = z.object({
  id: z.number().int(),
  at: z.string(),
  kind: z.string(),
  fingerprint: z.string().nullable(),
  incident_id: z.string().nullable(),
  decision_id: z.string().nullable(),
  action_id: z.string().nullable(),
  run_id: z.string().nullable(),
  actor: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
});

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
          response: { 200: StatsSchema },
        },
      },
      async (req) => {
        const since = req.query.since ? new Date(req.query.since).toISOString() : startOfUtcDay(deps.clock.now());
        return deps.stats.dayStats(since);
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
          response: { 200: z.object({ items: z.array(LedgerRowSchema) }) },
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
        return {
          items: rows.map((r) => ({
            id: r.id, at: r.at, kind: r.kind, fingerprint: r.fingerprint, incident_id: r.incidentId,
            decision_id: r.decisionId, action_id: r.actionId, run_id: r.runId, actor: r.actor, data: r.data,
          })),
        };
      },
    );

    app.get(
      '/ops/ui-config',
      {
        schema: {
          tags: ['dashboard'],
          summary: 'What the dashboard needs to know before it starts',
          response: { 200: z.object({ auth_required: z.boolean(), version: z.string() }) },
        },
      },
      async () => ({ auth_required: deps.authRequired, version: deps.version }),
    );
  };
}
