import { z } from 'zod';
import { TimeWindowQuery, timeWindow } from '../../shared/time-window.js';
import { ACTION_STATUSES } from '../../actions/status.js';
import type { ActionRecord, ActionStore } from '../../actions/action-store.js';
import { interruptedStateOf } from '../../executor/interrupted-state.js';
import type { Ledger } from '../../shared/ledger.js';
import { AppError } from '../../shared/errors.js';
import { RUN_ID_PATTERN } from '../../registry/run-id.js';
import type { RouteModule } from '../app.js';
import { authorizationMatches } from '../auth.js';
import {
  ActionDetailWire,
  ActionListItemWire,
  actionDetailToWire,
  actionListItemToWire,
  type ActionDetail,
} from '../wire/action.js';
import { pageOf, responses } from '../wire/common.js';

export interface ActionRouteDeps {
  store: ActionStore;
  ledger: Ledger;
  /** API_TOKEN: decides who may read the plan of a POST /infra deployment before it is approved. */
  apiToken?: string | undefined;
}

/** Statuses an action only reaches after a human (or the policy) approved its plan. */
const APPROVED: readonly string[] = [
  'approved',
  'applying',
  'applied',
  'failed',
  'rolled_back',
  'rollback_failed',
  'interrupted',
  'effective',
  'ineffective',
];

type Reader = 'authenticated' | 'anonymous' | 'open';

function readerOf(apiToken: string | undefined, authorization: string | undefined): Reader {
  if (apiToken === undefined) return 'open';
  return authorizationMatches(authorization, apiToken, false) ? 'authenticated' : 'anonymous';
}

/**
 * The plan of a submitted configuration (POST /infra) is secret until approved: a reader without
 * the token gets none of it; when no token is configured at all, only addresses and actions.
 */
function withholdUnapproved(a: ActionRecord, view: ActionDetail, reader: Reader): ActionDetail {
  if (a.actionType !== 'create_deployment' || APPROVED.includes(a.status) || reader === 'authenticated') return view;
  const items = view.plan_summary;
  return {
    ...view,
    plan_summary:
      reader === 'open' && items !== null ? items.map((i) => ({ address: i.address, action: i.action })) : null,
    plan_json: null,
    diff: null,
    terraform_output: [],
    fix_attempts: [],
    withheld:
      reader === 'open'
        ? 'plan values, plan JSON, diff and Terraform output of a POST /infra deployment are withheld until it is approved (no API_TOKEN is configured: only addresses and actions are shown)'
        : 'plan summary, plan JSON, diff and Terraform output of a POST /infra deployment are withheld until it is approved; send the API token to see them',
  };
}

const ListQuery = z.object({
  ...TimeWindowQuery,
  status: z.enum(ACTION_STATUSES).optional(),
  run_id: z.string().regex(RUN_ID_PATTERN, 'must be a run_id').optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

const IdParams = z.object({
  id: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z0-9_-]+$/, 'must be an action id'),
});

/**
 * GET /ops/actions and GET /ops/actions/:id. Everything stored is already redacted; an unapproved
 * POST /infra plan is further withheld by reader (withholdUnapproved). The list carries no plan
 * fields at all; both carry the value chains of what is edited (`value_chains`, redacted; a POST
 * /infra deployment edits nothing, so it has none).
 */
export function actionRoutes(deps: ActionRouteDeps): RouteModule {
  return (app) => {
    app.get(
      '/ops/actions',
      {
        schema: {
          description: 'Actions, newest first; filter by status, run_id and creation time (since/until).',
          querystring: ListQuery,
          response: responses({ 200: pageOf(ActionListItemWire) }),
        },
      },
      async (req) => {
        const { status, run_id: runId, limit, offset } = req.query;
        const page = deps.store.list({ status, runId, limit, offset, ...timeWindow(req.query) });
        return { total: page.total, limit, offset, items: page.items.map(actionListItemToWire) };
      },
    );
    app.get(
      '/ops/actions/:id',
      {
        schema: {
          description:
            'One action: status history, plan summary, diff, fix attempts, Terraform output (redacted, truncated), rollback, revisions, approvals, result.',
          params: IdParams,
          response: responses({ 200: ActionDetailWire }),
        },
      },
      async (req) => {
        const a = deps.store.get(req.params.id);
        if (!a) throw new AppError('ERR_ACTION_NOT_FOUND', `action ${req.params.id} not found`);
        const view = actionDetailToWire(a, {
          history: deps.store.statusHistory(a.id),
          approvals: deps.store.approvals(a.id),
          ledger: deps.ledger.list({ actionId: a.id, limit: 500 }),
          // What an interrupted apply left (checked at the restart), and the recovery proposed for it.
          interruptedState: interruptedStateOf(a.result),
        });
        return withholdUnapproved(a, view, readerOf(deps.apiToken, req.headers.authorization));
      },
    );
  };
}
