import { createHash } from 'node:crypto';
import { targetAddressOf, type RegistryLookup } from '../registry/registry-port.js';
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
 * Resolves a resource key through the registry. A key like `db-1:9100` (Prometheus' `instance`
 * label is host:port) is retried without the port when the full key is unknown.
 */
export function resolveResource(
  registry: RegistryLookup,
  resourceKey: string | null,
  labelOrder: readonly string[],
): Resolution {
  if (resourceKey === null) {
    return {
      status: 'missing',
      reason: `no resource label (looked for ${labelOrder.join(', ')})`,
      runId: null,
      resourceAddress: null,
    };
  }
  let result = registry.lookup(resourceKey);
  const host = /^(.+):\d{1,5}$/.exec(resourceKey)?.[1];
  if (result.status === 'unknown' && host !== undefined) {
    const again = registry.lookup(host);
    if (again.status !== 'unknown') result = again;
  }
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
