import { z } from 'zod';
import { TimeWindowQuery, timeWindow } from '../../shared/time-window.js';
import { DECISION_STATUSES } from '../../decisions/decision-store.js';
import type { SqliteDecisionView } from '../../db/decisions/sqlite-decision-view.js';
import { AppError } from '../../shared/errors.js';
import type { RouteModule } from '../app.js';
import { pageOf, responses } from '../wire/common.js';
import { DecisionDetailWire, DecisionWire, decisionDetailToWire, decisionToWire } from '../wire/decision.js';

export interface DecisionRouteDeps {
  view: Pick<SqliteDecisionView, 'list' | 'get'>;
}

const ListQuery = z.object({
  ...TimeWindowQuery,
  status: z.enum(DECISION_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
});

const IdParams = z.object({
  id: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z0-9_-]+$/, 'must be a decision id'),
});

/** GET /ops/decisions and GET /ops/decisions/:id (read-only; prompts were redacted before storage). */
export function decisionRoutes(deps: DecisionRouteDeps): RouteModule {
  return (app) => {
    app.get(
      '/ops/decisions',
      {
        schema: {
          description: 'Decisions, newest first; filter by status and creation time (since/until).',
          querystring: ListQuery,
          response: responses({ 200: pageOf(DecisionWire) }),
        },
      },
      async (req) => {
        const { status, limit, offset } = req.query;
        const page = deps.view.list({ limit, offset, ...(status ? { status } : {}), ...timeWindow(req.query) });
        return { total: page.total, limit, offset, items: page.items.map(decisionToWire) };
      },
    );
    app.get(
      '/ops/decisions/:id',
      {
        schema: {
          description: 'One decision with its incident, alerts, policy verdict, LLM exchange (redacted) and ledger.',
          params: IdParams,
          response: responses({ 200: DecisionDetailWire }),
        },
      },
      async (req) => {
        const detail = deps.view.get(req.params.id);
        if (!detail) throw new AppError('ERR_DECISION_NOT_FOUND', `decision ${req.params.id} not found`);
        return decisionDetailToWire(detail);
      },
    );
  };
}
