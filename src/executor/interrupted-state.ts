/**
 * What an interrupted apply left behind, read from a plan of the deployment's files against its
 * state: a tainted instance (created, but its create or provisioner was cut short), an instance in
 * the state that the files do not have (created by the apply that never finished), one the files
 * have and the state lost, attributes that differ. Pure; the shape is stored on the action and
 * shown as `interrupted_state` on GET /ops/actions/:id (snake_case, no attribute values).
 */
import type { PlanJson, ResourceChange } from '../plan/plan-json.js';
import { changedLeaves, formatPath } from '../plan/diff.js';
import { changeKindOf } from '../plan/summary.js';

export interface InterruptedDifference {
  address: string;
  /** create | update | delete | replace (Terraform's planned action to converge). */
  action: string;
  /** Terraform's `action_reason`, e.g. `replace_because_tainted`, `delete_because_count_index`. */
  terraform_reason: string | null;
  /** The state marks the instance tainted: its create (or a create-time provisioner) did not finish. */
  tainted: boolean;
  /** What it means after an interrupted apply, in words. */
  meaning: string;
  /** Attribute paths that differ (names only, never values). */
  attributes: string[];
}

export interface InterruptedState {
  checked_at: string;
  /** differs: state and files disagree; matches: they agree (nothing was left half-done); unknown: no plan could be made. */
  outcome: 'differs' | 'matches' | 'unknown';
  /** The revision whose files were compared (the last one applied), when known. */
  revision_id: string | null;
  differences: InterruptedDifference[];
  /** One line per difference (or why the check failed): for the log, Telegram and the reason texts. */
  summary: string;
  /** Why no recovery was proposed, or the check's failure. */
  note: string | null;
  /** The proposed recovery decision (a rollback pinned to `revision_id`), when one was. */
  recovery_decision_id: string | null;
}

const MAX_ATTRIBUTES = 25;

const LEFT_BY_APPLY =
  'in the state but not in the configuration: created by the interrupted apply; re-applying the files deletes it';

/** Meaning of Terraform's reasons after an interrupted apply (the files are the last applied ones). */
const MEANINGS: Record<string, string> = {
  replace_because_tainted:
    'tainted: created by the interrupted apply, whose create or provisioner did not finish; re-applying replaces it',
  delete_because_count_index: LEFT_BY_APPLY,
  delete_because_each_key: LEFT_BY_APPLY,
  delete_because_no_resource_config: LEFT_BY_APPLY,
  delete_because_no_module: LEFT_BY_APPLY,
  delete_because_wrong_repetition: LEFT_BY_APPLY,
  replace_because_cannot_update: 'attributes differ from the configuration in a way that forces a replacement',
};

function meaningOf(action: string, reason: string | undefined, tainted: boolean): string {
  if (tainted && action === 'delete') return `tainted and ${LEFT_BY_APPLY}`;
  if (reason !== undefined && MEANINGS[reason] !== undefined) return MEANINGS[reason];
  if (action === 'create')
    return 'in the configuration but not in the state: destroyed (or never created) by the interrupted apply; re-applying creates it';
  if (action === 'update')
    return 'attributes differ from the configuration: changed by the interrupted apply; re-applying sets them back';
  if (action === 'delete') return LEFT_BY_APPLY;
  return `${action}${reason === undefined ? '' : ` (${reason})`}`;
}

function attributesOf(rc: ResourceChange, action: string): string[] {
  if (action !== 'update' && action !== 'replace') return [];
  const paths = changedLeaves(rc.change)
    .filter((l) => !l.afterUnknown)
    .map((l) => formatPath(l.path) || '(whole value)');
  return paths.length > MAX_ATTRIBUTES
    ? [...paths.slice(0, MAX_ATTRIBUTES), `… ${paths.length - MAX_ATTRIBUTES} more`]
    : paths;
}

interface StateModule {
  resources?: Array<{ address?: unknown; tainted?: unknown }>;
  child_modules?: StateModule[];
}

/** Addresses the plan's prior state marks tainted (root and child modules). */
function taintedIn(plan: PlanJson): Set<string> {
  const out = new Set<string>();
  const walk = (m: StateModule | undefined, depth: number): void => {
    if (!m || depth > 100) return;
    for (const r of m.resources ?? []) if (r.tainted === true && typeof r.address === 'string') out.add(r.address);
    for (const c of m.child_modules ?? []) walk(c, depth + 1);
  };
  walk((plan.prior_state as { values?: { root_module?: StateModule } } | undefined)?.values?.root_module, 0);
  return out;
}

/** The plan's changes (no-ops and reads left out), as differences. */
export function differencesOf(plan: PlanJson): InterruptedDifference[] {
  const tainted = taintedIn(plan);
  return (plan.resource_changes ?? [])
    .map((rc) => ({ rc, action: changeKindOf(rc.change.actions) }))
    .filter(({ action }) => action !== 'no-op' && action !== 'read')
    .map(({ rc, action }) => {
      const isTainted = tainted.has(rc.address) || rc.action_reason === 'replace_because_tainted';
      return {
        address: rc.address,
        action,
        terraform_reason: rc.action_reason ?? null,
        tainted: isTainted,
        meaning: meaningOf(action, rc.action_reason, isTainted),
        attributes: attributesOf(rc, action),
      };
    });
}

export function summaryOf(differences: readonly InterruptedDifference[]): string {
  if (differences.length === 0) return 'state matches the files: nothing was left half-applied';
  return differences
    .map(
      (d) =>
        `${d.address}: ${d.action} — ${d.meaning}${d.attributes.length > 0 ? ` (${d.attributes.join(', ')})` : ''}`,
    )
    .join('\n');
}

/** The stored state of an action (its `result.interrupted_state`), or null. Reads only. */
export function interruptedStateOf(result: unknown): InterruptedState | null {
  if (result === null || typeof result !== 'object') return null;
  const s = (result as { interrupted_state?: unknown }).interrupted_state;
  return s !== null && typeof s === 'object' ? (s as InterruptedState) : null;
}
