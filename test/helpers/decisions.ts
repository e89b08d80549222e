import type { ActionPreparer } from '../../src/decisions/decision-service.js';
import type { Service } from '../../src/main.js';
import { parseShowJson } from '../../src/registry/state-parser.js';

/** Records which decisions were handed to the executor. */
export class RecordingPreparer implements ActionPreparer {
  readonly prepared: string[] = [];
  prepare(decisionId: string): void {
    this.prepared.push(decisionId);
  }
}

/** Seeds the real registry (parser + store) with the demo deployment's shape. */
export function seedDemoRegistry(service: Service, runId = 'demo'): void {
  const tf = (address: string, name: string, input: Record<string, unknown>, index?: number) => ({
    address,
    mode: 'managed',
    type: 'terraform_data',
    name,
    ...(index === undefined ? {} : { index }),
    provider_name: 'terraform.io/builtin/terraform',
    values: { id: address, input, output: input },
    sensitive_values: {},
  });
  const resources = [
    tf('terraform_data.pool[0]', 'pool', { pool: 'web-pool', machine_type: 'e2-small' }, 0),
    tf('terraform_data.pool[1]', 'pool', { pool: 'web-pool', machine_type: 'e2-small' }, 1),
    tf('terraform_data.vm', 'vm', { name: 'vm-1', machine_type: 'e2-small', node_count: 2, labels: { team: 'sre' } }),
    tf('terraform_data.web', 'web', { name: 'web', replicas: 2 }),
  ];
  const show = { format_version: '1.0', terraform_version: '1.11.0', values: { root_module: { resources } } };
  service.registry.applyState({
    runId,
    dir: `/tmp/${runId}`,
    serial: 1,
    lineage: 'lineage-1',
    state: parseShowJson(runId, show),
  });
}

/** Posts the simple alert form and waits until the decision service is idle. */
export async function alertAndDecide(service: Service, body: Record<string, unknown>): Promise<void> {
  const res = await service.app.inject({ method: 'POST', url: '/ops/webhook', payload: body });
  if (res.statusCode >= 300) throw new Error(`webhook answered ${res.statusCode}: ${res.body}`);
  await service.decisions.idle();
}
