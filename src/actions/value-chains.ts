/**
 * The value chains of an action, as the approver sees them (GET /ops/actions, Telegram, dashboard):
 * for each edited attribute, the path from the resource instance back to the one literal a person
 * wrote (`…node_count ← each.value.node_count ← module.gke var.node_pools ← prod.tfvars … (line 12)`),
 * and that literal's value before → after.
 *
 * The tracer (hcl/value-chain.ts) stores each chain with the action's change: `changes.edit.chain`
 * for a one-attribute action, `changes.edits[i].chain` for several. Older actions have none. Both
 * shapes are read here, tolerantly: a malformed chain is left out, never an error.
 *
 * Values are redacted like the rest of the action: the stored change was already scrubbed of the
 * configuration's known secrets (executor/prepare.ts); on top of that a value is shown as
 * `[REDACTED]` when it looks like a secret, when a step names a secret-looking variable or key,
 * or when the plan summary shows the attribute it reaches as sensitive. Pure; never throws.
 */
import { REDACTED, isSecretKey, isSecretValue } from '../shared/redact.js';

/** The step kinds of hcl/value-chain.ts (the shared format of issue 14). */
export const CHAIN_STEP_KINDS = [
  'attribute',
  'for_each',
  'count',
  'module_argument',
  'variable_default',
  'tfvars',
  'local',
] as const;
export type ChainStepKind = (typeof CHAIN_STEP_KINDS)[number];

export interface ValueChainStepView {
  kind: ChainStepKind;
  /** As a person reads it: `module.gke var.node_pools`, `prod.tfvars node_pools.default.node_count`. */
  where: string;
  /** Deployment-relative path of the file holding this step. */
  file: string | null;
  /** 1-based. */
  line: number | null;
}

export interface ValueChainView {
  steps: ValueChainStepView[];
  from: unknown;
  to: unknown;
  /** The whole chain in one line: `a ← b ← c (line 12): 3 → 4`. */
  text: string;
  /** Resource blocks that read the same literal and change with it (policy `shared_values: allow`). */
  shared_with?: string[];
}

const KINDS: ReadonlySet<string> = new Set(CHAIN_STEP_KINDS);

function record(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function parseStep(v: unknown): ValueChainStepView | undefined {
  const o = record(v);
  if (o === undefined) return undefined;
  const { kind, where, file, line } = o;
  if (typeof kind !== 'string' || !KINDS.has(kind) || typeof where !== 'string' || where === '') return undefined;
  return {
    kind: kind as ChainStepKind,
    where,
    file: typeof file === 'string' && file !== '' ? file : null,
    line: typeof line === 'number' && Number.isInteger(line) && line > 0 ? line : null,
  };
}

/** A literal as it reads in the chain (as hcl/value-chain.ts formatChain writes it): numbers and booleans bare, strings quoted, the rest as JSON, none as null. */
export function chainValueText(v: unknown): string {
  if (v === REDACTED) return REDACTED;
  return JSON.stringify(v ?? null) ?? String(v);
}

/** `a ← b ← c (line 12): 3 → 4` — the line is the last step's (the literal that is edited). */
export function formatValueChain(steps: readonly ValueChainStepView[], from: unknown, to: unknown): string {
  const last = steps[steps.length - 1];
  const line = last?.line != null ? ` (line ${last.line})` : '';
  return `${steps.map((s) => s.where).join(' ← ')}${line}: ${chainValueText(from)} → ${chainValueText(to)}`;
}

/** Names a step mentions: `module.gke var.db_password` → module, gke, var, db_password. */
function names(where: string): string[] {
  return where.split(/[^A-Za-z0-9_-]+/).filter((n) => n !== '');
}

function looksSecret(v: unknown): boolean {
  if (typeof v === 'string') return v.includes(REDACTED) || isSecretValue(v);
  if (Array.isArray(v)) return v.some(looksSecret);
  const o = record(v);
  return o !== undefined && Object.entries(o).some(([k, x]) => isSecretKey(k) || looksSecret(x));
}

/** Attribute names the plan summary shows as sensitive (`[REDACTED]` before or after). */
function sensitiveAttributes(planSummary: unknown): Set<string> {
  const out = new Set<string>();
  const list = Array.isArray(planSummary) ? planSummary : [];
  for (const item of list) {
    const changes = record(item)?.['changes'] ?? record(item)?.['attributes'];
    if (!Array.isArray(changes)) continue;
    for (const c of changes) {
      const o = record(c);
      if (o === undefined || typeof o['path'] !== 'string') continue;
      if (looksSecret(o['before']) || looksSecret(o['after'])) out.add(o['path']);
    }
  }
  return out;
}

/** The attribute path the chain's first step (the resource's attribute) names: `x.y["k"].node_count` → node_count. */
function reachesSensitive(steps: readonly ValueChainStepView[], sensitive: ReadonlySet<string>): boolean {
  if (sensitive.size === 0) return false;
  const first = steps[0]?.where ?? '';
  return [...sensitive].some((p) => first === p || first.endsWith(`.${p}`) || first.endsWith(`.${p.split('.').pop()}`));
}

function parseChain(v: unknown, sensitive: ReadonlySet<string>): ValueChainView | undefined {
  const o = record(v);
  if (o === undefined || !Array.isArray(o['steps'])) return undefined;
  const steps = o['steps'].map(parseStep);
  if (steps.length === 0 || steps.some((s) => s === undefined)) return undefined;
  const ok = steps as ValueChainStepView[];
  const secret =
    ok.some((s) => names(s.where).some(isSecretKey)) ||
    looksSecret(o['from']) ||
    looksSecret(o['to']) ||
    reachesSensitive(ok, sensitive);
  const from = secret ? REDACTED : o['from'];
  const to = secret ? REDACTED : o['to'];
  const shared = Array.isArray(o['sharedWith']) ? o['sharedWith'].filter((x) => typeof x === 'string') : [];
  const text = formatValueChain(ok, from, to);
  if (shared.length === 0) return { steps: ok, from, to, text };
  return {
    steps: ok,
    from,
    to,
    text: `${text}; shared with ${shared.join(', ')}, which change with it`,
    shared_with: shared,
  };
}

/**
 * The chains stored with an action's change (`changes` as the executor stored it), in edit order;
 * `planSummary` is the stored plan summary, whose sensitive attributes redact the chains reaching them.
 */
export function storedValueChains(changes: unknown, planSummary?: unknown): ValueChainView[] {
  const c = record(changes);
  if (c === undefined) return [];
  const sensitive = sensitiveAttributes(planSummary);
  const edits = Array.isArray(c['edits']) && c['edits'].length > 0 ? c['edits'] : [c['edit']];
  return edits
    .map((e) => parseChain(record(e)?.['chain'], sensitive))
    .filter((x): x is ValueChainView => x !== undefined);
}
