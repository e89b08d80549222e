import { readFileSync } from 'node:fs';
import type { DecisionTrigger } from '../../src/alerts/ports.js';
import type { Db } from '../../src/db/connection/database.js';
import type { Service } from '../../src/main.js';
import { parseShowJson } from '../../src/registry/state-parser.js';

/** The `body` of a captured Alertmanager delivery in test/fixtures/alertmanager/. */
export function amFixture(name: 'group-firing' | 'group-partly-resolved' | 'group-truncated'): Record<string, unknown> {
  const raw = readFileSync(new URL(`../fixtures/alertmanager/${name}.json`, import.meta.url), 'utf8');
  return (JSON.parse(raw) as { body: Record<string, unknown> }).body;
}

/** Counts the enqueue calls, as the decision service would receive them. */
export class RecordingTrigger implements DecisionTrigger {
  readonly calls: string[] = [];
  enqueue(incidentId: string): void {
    this.calls.push(incidentId);
  }
  backlog(): number {
    return 0;
  }
}

export const ALERT_TABLES = [
  'notifications',
  'alerts',
  'alert_events',
  'incidents',
  'incident_alerts',
  'ledger',
] as const;

export function rowCounts(db: Db): Record<string, number> {
  return Object.fromEntries(
    ALERT_TABLES.map((t) => [t, (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n]),
  );
}

/**
 * Seeds the real registry through its own parser and store: a deployment "web" whose
 * terraform_data blocks are named after the fixtures' resource labels (web_pool has count 2).
 */
export function seedRegistry(service: Service, runId = 'web', names: string[] = ['api_pool', 'web_pool']): void {
  const resources = names.flatMap((name) =>
    (name === 'web_pool' ? [0, 1] : [undefined]).map((index) => ({
      address: index === undefined ? `terraform_data.${name}` : `terraform_data.${name}[${index}]`,
      mode: 'managed',
      type: 'terraform_data',
      name,
      ...(index === undefined ? {} : { index }),
      provider_name: 'terraform.io/builtin/terraform',
      values: { id: `${name}-${index ?? 0}`, input: { node_count: 2, machine_type: 'e2-small' } },
      sensitive_values: {},
    })),
  );
  const show = { format_version: '1.0', terraform_version: '1.11.0', values: { root_module: { resources } } };
  service.registry.applyState({
    runId,
    dir: `/tmp/${runId}`,
    serial: 1,
    lineage: 'lineage-1',
    state: parseShowJson(runId, show),
  });
}

/** A synthetic Alertmanager notification: `count` alerts spread over `resources` pools. */
export function stormNotification(
  batch: number,
  count: number,
  resources: number,
  status: 'firing' | 'resolved' = 'firing',
) {
  const alerts = Array.from({ length: count }, (_, i) => ({
    status,
    labels: {
      alertname: 'PodCPUHigh',
      resource_id: `pool${i % resources}`,
      pod: `p${batch}-${i}`,
      severity: 'warning',
    },
    annotations: { summary: 'cpu high' },
    startsAt: '2026-11-23T09:00:00Z',
    endsAt: status === 'firing' ? '0001-01-01T00:00:00Z' : '2026-11-23T09:10:00Z',
    generatorURL: '',
    fingerprint: `${batch.toString(16).padStart(8, '0')}${i.toString(16).padStart(8, '0')}`,
  }));
  return {
    version: '4',
    receiver: 'ops',
    status,
    alerts,
    groupLabels: { alertname: 'PodCPUHigh' },
    commonLabels: { alertname: 'PodCPUHigh' },
    commonAnnotations: {},
    externalURL: 'http://am:9093',
    groupKey: `{}:{alertname="PodCPUHigh", batch="${batch}"}`,
    truncatedAlerts: 0,
  };
}
