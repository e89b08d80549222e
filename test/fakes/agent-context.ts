import type { DecisionContext, IncidentAlert } from '../../src/agent/context.js';
import { DEFAULT_POLICY, type Policy } from '../../src/policy/policy-schema.js';
import { demoResources } from './demo-registry.js';

/** A firing alert with sensible defaults. */
export function alert(alertname: string, extra: Partial<IncidentAlert> = {}): IncidentAlert {
  return {
    fingerprint: `fp-${alertname}`,
    alertname,
    status: 'firing',
    severity: 'warning',
    labels: {},
    annotations: {},
    value: null,
    startsAt: '2026-01-01T00:00:00Z',
    resourceKey: 'vm-1',
    lookupStatus: 'matched',
    lookupReason: null,
    ...extra,
  };
}

/** A decision context on one of `neighbours` (the demo deployment by default). */
export function ctxFor(
  address: string,
  alerts: IncidentAlert[],
  policy: Policy = DEFAULT_POLICY,
  neighbours = demoResources(),
): DecisionContext {
  const r = neighbours.find((n) => n.address === address)!;
  return {
    incident: {
      id: 'inc_1',
      runId: r.runId,
      resourceAddress: r.address,
      alertname: alerts[0]?.alertname ?? 'x',
      status: 'open',
      alertCount: alerts.length,
      openedAt: '2026-01-01T00:00:00Z',
    },
    alerts,
    resource: r,
    targetId: r.blockAddress,
    acceptedIds: [r.blockAddress, r.address],
    neighbours,
    currentValues: {},
    history: [],
    policy,
  };
}
