import type { ActionRecord } from '../../actions/action-store.js';
import { isActionStatus, type ActionStatus } from '../../actions/status.js';
import { AppError } from '../../shared/errors.js';

/** The actions table row as better-sqlite3 returns it. */
export interface ActionRow {
  id: string;
  decision_id: string;
  incident_id: string | null;
  run_id: string;
  action_type: string;
  target_address: string;
  parameters_json: string;
  status: ActionStatus;
  status_reason: string | null;
  staging_dir: string | null;
  base_revision_id: string | null;
  revision_id: string | null;
  plan_sha256: string | null;
  plan_summary_json: string | null;
  plan_json: string | null;
  diff: string | null;
  changes_json: string | null;
  files_json: string | null;
  gate_json: string | null;
  fix_attempts_json: string;
  tf_output: string | null;
  rollback_json: string | null;
  result_json: string | null;
  expires_at: string | null;
  decided_by: string | null;
  decided_via: string | null;
  decided_at: string | null;
  queue_seq: number | null;
  sources_json: string | null;
  source_changes_json: string | null;
  created_at: string;
  updated_at: string;
}

function parse(text: string | null): unknown {
  return text === null ? null : JSON.parse(text);
}

export function rowToAction(r: ActionRow): ActionRecord {
  if (!isActionStatus(r.status)) throw new AppError('ERR_DATABASE', `action ${r.id} has unknown status "${r.status}"`);
  return {
    id: r.id,
    decisionId: r.decision_id,
    incidentId: r.incident_id,
    runId: r.run_id,
    actionType: r.action_type,
    targetAddress: r.target_address,
    parameters: parse(r.parameters_json) as Record<string, unknown>,
    status: r.status,
    statusReason: r.status_reason,
    stagingDir: r.staging_dir,
    baseRevisionId: r.base_revision_id,
    revisionId: r.revision_id,
    planSha256: r.plan_sha256,
    planSummary: parse(r.plan_summary_json),
    planJson: parse(r.plan_json),
    diff: r.diff,
    changes: parse(r.changes_json),
    files: parse(r.files_json) as ActionRecord['files'],
    gate: parse(r.gate_json),
    fixAttempts: (parse(r.fix_attempts_json) as unknown[] | null) ?? [],
    tfOutput: (parse(r.tf_output) as unknown[] | null) ?? [],
    rollback: parse(r.rollback_json),
    result: parse(r.result_json),
    expiresAt: r.expires_at,
    decidedBy: r.decided_by,
    decidedVia: r.decided_via,
    decidedAt: r.decided_at,
    sources: parse(r.sources_json) as ActionRecord['sources'],
    sourceChanges: (parse(r.source_changes_json) as ActionRecord['sourceChanges'] | null) ?? [],
    // Filled in by the store (they depend on the other actions of the deployment).
    queuePosition: null,
    queuedBehind: null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
