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

export interface ActionRouteDeps {
  store: ActionStore;
  ledger: Ledger;
  /** API_TOKEN: decides who may read the plan of a POST /infra deployment before it is approved. */
  apiToken?: string | undefined;
}

/** Statuses an action only reaches after a human (or the policy) approved its plan. */
const APPROVED: readonly string[] = ['approved', 'applying', 'applied', 'failed', 'rolled_back', 'rollback_failed', 'interrupted', 'effective', 'ineffective'];

type Reader = 'authenticated' | 'anonymous' | 'open';

function readerOf(apiToken: string | undefined, authorization: string | undefined): Reader {
  if (apiToken === undefined) return 'open';
  return authorizationMatches(authorization, apiToken, false) ? 'authenticated' : 'anonymous';
}

/**
 * The plan of a submitted configuration (POST /infra) is secret until approved: a reader without
 * the token gets none of it; when no token is configured at all, only addresses and actions.
 */
function withholdUnapproved(a: ActionRecord, view: ReturnType<typeof detail>, reader: Reader) {
  if (a.actionType !== 'create_deployment' || APPROVED.includes(a.status) || reader === 'authenticated') return view;
  const items = Array.isArray(a.planSummary) ? (a.planSummary as Array<{ address?: unknown; action?: unknown }>) : null;
  return {
    ...view,
    plan_summary: reader === 'open' && items !== null ? items.map((i) => ({ address: i.address, action: i.action })) : null,
    plan_json: null, diff: null, terraform_output: [], fix_attempts: [],
    withheld: reader === 'open'
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

const IdParams = z.object({ id: z.string().min(1).max(100).regex(/^[A-Za-z0-9_-]+$/, 'must be an action id') });

/** The list view: no plan JSON or output (those can be large); the detail view has everything. */
function listItem(a: ActionRecord) {
  return {
    id: a.id, decision_id: a.decisionId, incident_id: a.incidentId, run_id: a.runId, action_type: a.actionType,
    target_address: a.targetAddress, parameters: a.parameters, status: a.status, status_reason: a.statusReason,
    plan_sha256: a.planSha256, expires_at: a.expiresAt, revision_id: a.revisionId, base_revision_id: a.baseRevisionId,
    decided_by: a.decidedBy, decided_via: a.decidedVia, decided_at: a.decidedAt, created_at: a.createdAt, updated_at: a.updatedAt,
    queue_position: a.queuePosition, queued_behind: a.queuedBehind,
  };
}

function detail(a: ActionRecord, deps: ActionRouteDeps) {
  return {
    ...listItem(a),
    status_history: deps.store.statusHistory(a.id),
    plan_summary: a.planSummary,
    plan_gate: a.gate,
    plan_json: a.planJson,
    diff: a.diff,
    changes: a.changes,
    files: a.files,
    source_files: a.sources,
    source_changes: a.sourceChanges,
    fix_attempts: a.fixAttempts,
    terraform_output: a.tfOutput,
    rollback: a.rollback,
    result: a.result,
    // What an interrupted apply left (checked at the restart), and the recovery proposed for it.
    interrupted_state: interruptedStateOf(a.result),
    approvals: deps.store.approvals(a.id),
    ledger: deps.ledger.list({ actionId: a.id, limit: 500 }),
  };
}

/**
 * GET /ops/actions and GET /ops/actions/:id. Everything stored is already redacted; an unapproved
 * POST /infra plan is further withheld by reader (withholdUnapproved). The list carries no plan
 * fields at all.
 */
export function actionRoutes(deps: ActionRouteDeps): RouteModule {
  return (app) => {
    app.get(
      '/ops/actions',
      { schema: { description: 'Actions, newest first; filter by status, run_id and creation time (since/until).', querystring: ListQuery } },
      async (req) => {
        const { status, run_id: runId, limit, offset } = req.query;
        const page = deps.store.list({ status, runId, limit, offset, ...timeWindow(req.query) });
        return { total: page.total, limit, offset, items: page.items.map(listItem) };
      },
    );
    app.get(
      '/ops/actions/:id',
      {
        schema: {
          description: 'One action: status history, plan summary, diff, fix attempts, Terraform output (redacted, truncated), rollback, revisions, approvals, result.',
          params: IdParams,
        },
      },
      async (req) => {
        const a = deps.store.get(req.params.id);
        if (!a) throw new AppError('ERR_ACTION_NOT_FOUND', `action ${req.params.id} not found`);
        return withholdUnapproved(a, detail(a, deps), readerOf(deps.apiToken, req.headers.authorization));
      },
    );
  };
}
