import { createHash } from 'node:crypto';
import { targetAddressOf, type LookupResult, type RegistryLookup } from '../registry/registry-port.js';
import type { AlertStatus } from './normalise.js';
import type { LookupStatus } from './ports.js';

/** Where an alert's resource label led in the registry. */
export interface Resolution {
  status: LookupStatus;
  reason: string | null;
  runId: string | null;
  /**
   * The target: a `for_each` instance's own address (`pool["web"]`); otherwise the owning block's
   * (count instances collapse onto their block).
   */
  resourceAddress: string | null;
  /** Set when the alert's labels took part (a key was ambiguous): the answer may differ for other labels. */
  labelDependent?: true;
}

/**
 * The notification's identity for deduplication: Alertmanager re-delivers the same group (on
 * retry, at repeat_interval), so the group key plus every alert's fingerprint, status and
 * start says "same notification". The start time keeps a resolved-then-refired alert (a new
 * episode, new startsAt) from being mistaken for an old delivery.
 */
export function dedupKey(
  groupKey: string,
  alerts: ReadonlyArray<{ fingerprint: string; status: AlertStatus; startsAt: string | null }>,
): string {
  const parts = alerts.map((a) => `${a.fingerprint}:${a.status}:${a.startsAt ?? ''}`).sort();
  // Hashed: a 1,000-alert group makes a 30 KB key, too big for a unique index.
  return createHash('sha256')
    .update(`${groupKey}\n${parts.join(',')}`)
    .digest('hex');
}

/**
 * Storm collapse: alerts with the same target and alertname share one incident. The target is
 * the block for count instances (interchangeable: one incident for `pool[0]` and `pool[1]`) and
 * the instance for for_each instances (`pool["web"]` and `pool["api"]` are two). Unmatched alerts
 * group by the raw resource key so that a human still sees one incident per thing.
 */
export function incidentKey(resolution: Resolution, resourceKey: string | null, alertname: string): string {
  if (resolution.status === 'matched' && resolution.runId !== null && resolution.resourceAddress !== null) {
    return `${resolution.runId}|${resolution.resourceAddress}|${alertname}`;
  }
  return `unmatched|${resourceKey ?? ''}|${alertname}`;
}

/**
 * Resolves an alert's resource keys through the registry. Every key is tried, in RESOURCE_LABELS
 * order, until one names a single resource (a node-exporter alert's `instance="10.1.2.3:9100"` does
 * not stop `pool="web-pool"` from matching). Per key:
 * - `run_id:address` (`prod:google_container_node_pool.web`) names the deployment explicitly;
 * - a key like `db-1:9100` (Prometheus' `instance` is host:port) is retried without the port when
 *   the full key is unknown;
 * - an ambiguous key (same name in `prod` and `staging`) is narrowed to the deployments whose
 *   infraai.yaml `labels` the alert all carries (`env="prod"`).
 * `keys` may be a single key (string) or null; `labels` are the alert's labels.
 */
export function resolveResource(
  registry: RegistryLookup,
  keys: string | null | readonly string[],
  labelOrder: readonly string[],
  labels: Readonly<Record<string, string>> = {},
): Resolution {
  const list = keys === null ? [] : typeof keys === 'string' ? [keys] : [...new Set(keys)];
  if (list.length === 0) {
    return {
      status: 'missing',
      reason: `no resource label (looked for ${labelOrder.join(', ')})`,
      runId: null,
      resourceAddress: null,
    };
  }
  let firstMiss: Resolution | undefined;
  let dependent = false;
  for (const key of list) {
    const one = lookupOne(registry, key, labels);
    dependent ||= one.dependent;
    const r = toResolution(one.result);
    if (r.status === 'matched') return dependent ? { ...r, labelDependent: true } : r;
    // An ambiguity is worth more to a human than an "unknown": keep the first one.
    if (firstMiss === undefined || (firstMiss.status === 'unknown' && r.status === 'ambiguous')) firstMiss = r;
  }
  return dependent ? { ...(firstMiss as Resolution), labelDependent: true } : (firstMiss as Resolution);
}

const RUN_ID_KEY = /^([A-Za-z0-9][A-Za-z0-9._-]{0,127}):(.+)$/;

function lookupOne(
  registry: RegistryLookup,
  key: string,
  labels: Readonly<Record<string, string>>,
): { result: LookupResult; dependent: boolean } {
  const explicit = RUN_ID_KEY.exec(key);
  if (explicit !== null) {
    const [, runId = '', address = ''] = explicit;
    const exact = registry.get(runId, address);
    const hit =
      exact?.status === 'present' && exact.mode === 'managed'
        ? exact
        : registry.listByDeployment(runId, 100_000).find((r) => r.blockAddress === address);
    if (hit !== undefined)
      return { result: { status: 'matched', resource: hit, matchedBy: 'run_id:address' }, dependent: false };
  }
  let raw = registry.lookup(key);
  const host = /^(.+):\d{1,5}$/.exec(key)?.[1];
  if (raw.status === 'unknown' && host !== undefined) {
    const again = registry.lookup(host);
    if (again.status !== 'unknown') raw = again;
  }
  return { result: narrowByLabels(registry, raw, labels), dependent: raw.status === 'ambiguous' };
}

/** An ambiguous answer kept to the candidates of the one deployment whose settings labels the alert carries. */
function narrowByLabels(
  registry: RegistryLookup,
  result: LookupResult,
  labels: Readonly<Record<string, string>>,
): LookupResult {
  if (result.status !== 'ambiguous' || registry.deploymentLabels === undefined) return result;
  const selected = (runId: string): boolean => {
    const want = Object.entries(registry.deploymentLabels?.(runId) ?? {});
    return want.length > 0 && want.every(([k, v]) => Object.hasOwn(labels, k) && labels[k] === v);
  };
  const kept = result.candidates.filter((c) => selected(c.runId));
  const blocks = new Set(kept.map((c) => `${c.runId}\u0000${c.blockAddress}`));
  const first = kept[0];
  if (first === undefined || blocks.size !== 1) return result;
  const names = Object.keys(registry.deploymentLabels(first.runId) ?? {}).sort();
  return { status: 'matched', resource: first, matchedBy: `deployment labels (${names.join(', ')})` };
}

function toResolution(result: LookupResult): Resolution {
  switch (result.status) {
    case 'matched':
      return {
        status: 'matched',
        reason: `matched by ${result.matchedBy}`,
        runId: result.resource.runId,
        resourceAddress: targetAddressOf(result.resource),
      };
    case 'ambiguous':
      return { status: 'ambiguous', reason: result.reason, runId: null, resourceAddress: null };
    default:
      return { status: 'unknown', reason: result.reason, runId: null, resourceAddress: null };
  }
}
