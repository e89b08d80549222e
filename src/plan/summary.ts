/**
 * The human summary of a plan shown to approvers (Telegram, dashboard, REST): one item per
 * resource that changes, with attribute before → after. Values are redacted with Terraform's
 * sensitivity masks, secret-looking keys and values, and every sensitive string found anywhere
 * in the plan is scrubbed from the result.
 */
import { REDACTED, redactValue, scrubKnownSecrets, type SensitiveMask } from '../shared/redact.js';
import type { PlanJson, ResourceChange } from './plan-json.js';
import { changedLeaves, formatPath, type PlanPath } from './diff.js';
import { planSecrets } from './redact.js';
import { disruptionOf, type DisruptionKind } from './disruption.js';

export interface PlanSummaryItem {
  address: string;
  action: 'create' | 'update' | 'delete' | 'replace' | 'read' | 'no-op' | 'forget' | string;
  changes: Array<{ path: string; before: string; after: string }>;
  /** Terraform's `action_reason`, e.g. `replace_by_request`, `delete_because_count_index`. */
  reason?: string;
  /** Present when the change interrupts what runs: a replacement, or a stop/start of the instance. */
  disruption?: DisruptionKind;
  /** With `disruption`: one sentence for humans ("destroys and recreates the whole node pool (every node) …"). */
  warning?: string;
}

/** More leaves than this per resource are summarised as one "… n more" line. */
const MAX_CHANGES_PER_ITEM = 25;
const ABSENT = '(none)';
const UNKNOWN = '(known after apply)';

/** Collapses Terraform's action list into one word; unknown combinations stay visible. */
export function changeKindOf(actions: readonly string[]): string {
  const key = actions.join(',');
  if (key === 'delete,create' || key === 'create,delete') return 'replace';
  if (actions.length === 1) return actions[0] ?? 'unknown';
  return actions.join('+');
}

function render(value: unknown): string {
  if (value === undefined) return ABSENT;
  if (value === REDACTED) return REDACTED;
  return JSON.stringify(value);
}

function valueAt(root: unknown, path: PlanPath): unknown {
  let cur = root;
  for (const key of path) {
    // A redacted ancestor hides everything below it.
    if (cur === REDACTED) return REDACTED;
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[key];
  }
  return cur;
}

function mask(v: unknown): SensitiveMask | undefined {
  return typeof v === 'boolean' || (v !== null && typeof v === 'object') ? (v as SensitiveMask) : undefined;
}

function summariseChange(rc: ResourceChange, secrets: Set<string>): PlanSummaryItem {
  const { change } = rc;
  // Leaves are found on the raw values (so a changed secret still shows as changed), but what is
  // displayed comes from the redacted copies.
  const before = redactValue(change.before ?? null, mask(change.before_sensitive), secrets);
  const after = redactValue(change.after ?? null, mask(change.after_sensitive), secrets);
  const leaves = changedLeaves(change);
  const changes = leaves.slice(0, MAX_CHANGES_PER_ITEM).map((leaf) => ({
    path: formatPath(leaf.path) || '(whole value)',
    before: render(valueAt(before, leaf.path)),
    after: leaf.afterUnknown ? UNKNOWN : render(valueAt(after, leaf.path)),
  }));
  if (leaves.length > MAX_CHANGES_PER_ITEM) {
    changes.push({ path: `… ${leaves.length - MAX_CHANGES_PER_ITEM} more`, before: '', after: '' });
  }
  const item: PlanSummaryItem = { address: rc.address, action: changeKindOf(change.actions), changes };
  if (rc.action_reason !== undefined) item.reason = rc.action_reason;
  const disruption = disruptionOf(rc);
  if (disruption !== undefined) {
    item.disruption = disruption.kind;
    item.warning = disruption.warning;
  }
  return item;
}

/**
 * One item per resource change that is not a no-op (reads included: a data source re-read is
 * worth showing). Pure; never throws; contains no sensitive value.
 */
export function summarisePlan(plan: PlanJson): PlanSummaryItem[] {
  const secrets = planSecrets(plan);
  const items = (plan.resource_changes ?? [])
    .filter((rc) => changeKindOf(rc.change.actions) !== 'no-op')
    .map((rc) => summariseChange(rc, secrets));
  return scrubKnownSecrets(items, secrets) as PlanSummaryItem[];
}

/**
 * One item per `resource_drift` entry: what Terraform's refresh found changed outside Terraform,
 * `before` = the value in state, `after` = the value in the cloud. Redacted like the summary.
 */
export function driftItems(plan: PlanJson): PlanSummaryItem[] {
  const secrets = planSecrets(plan);
  const items = (plan.resource_drift ?? [])
    .filter((rc) => changeKindOf(rc.change.actions) !== 'no-op')
    .map((rc) => {
      const item = summariseChange(rc, secrets);
      // A drift entry describes what already happened; it is not a planned disruption.
      delete item.disruption;
      delete item.warning;
      return item;
    });
  return scrubKnownSecrets(items, secrets) as PlanSummaryItem[];
}

/** One line per item, for Telegram messages and logs: `terraform_data.pool update input.node_count: 2 → 3`. */
export function formatSummary(items: PlanSummaryItem[]): string {
  if (items.length === 0) return 'No changes.';
  return items
    .map((i) => {
      const detail = i.changes.map((c) => `${c.path}: ${c.before} → ${c.after}`).join('; ');
      const warning = i.warning === undefined ? '' : `\n  ⚠ ${i.warning}`;
      return `${i.address} ${i.action}${i.reason === undefined ? '' : ` (${i.reason})`}${detail ? ` — ${detail}` : ''}${warning}`;
    })
    .join('\n');
}
