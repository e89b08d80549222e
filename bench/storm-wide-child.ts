/**
 * The service bench/storm-wide.ts measures, in its own process (talks over IPC): the real
 * compose() graph on a fresh SQLite file with the real decision service (rules agent), whose
 * proposed decisions stop before Terraform (a counting preparer: no plans are made here).
 */
import { loadConfig } from '../src/config/config.js';
import { compose } from '../src/main.js';
import { parseShowJson } from '../src/registry/state-parser.js';
import type { RegistryStore } from '../src/registry/registry-store.js';

/** Resource `i` of the registry: `terraform_data.p<i>` in deployment `d<i / perDeployment>`. */
export const resourceName = (i: number) => `p${i}`;

export interface ChildCounts {
  alerts: number;
  incidents: number;
  decisions: number;
  backlog: number;
  prepared: number;
}

export async function runStormChild(resources: number, perDeployment: number): Promise<void> {
  let prepared = 0;
  const service = await compose(loadConfig(process.env), {
    actionPreparer: {
      prepare: () => {
        prepared += 1;
      },
    },
  });
  await service.start();
  const seeded = performance.now();
  seed(service.registry, resources, perDeployment);
  const seedMs = Math.round(performance.now() - seeded);
  await service.app.listen({ port: 0, host: '127.0.0.1' });
  process.send?.({ port: (service.app.server.address() as { port: number }).port, seedMs });
  const count = (table: string) => (service.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  process.on('message', (m: string) => {
    if (m === 'counts') {
      const counts: ChildCounts = {
        alerts: count('alerts'),
        incidents: count('incidents'),
        decisions: count('decisions'),
        backlog: service.decisions.backlog(),
        prepared,
      };
      process.send?.({ counts });
    } else if (m === 'stop') {
      void service.stop().then(() => {
        process.send?.({});
        process.exit(0);
      });
    }
  });
}

/**
 * `resources` terraform_data blocks in deployments of `perDeployment` each, stored through the
 * registry's own parser and write path (what a sync of their `terraform show -json` stores).
 */
function seed(registry: RegistryStore, resources: number, perDeployment: number): void {
  for (let first = 0; first < resources; first += perDeployment) {
    const runId = `d${first / perDeployment}`;
    const items = Array.from({ length: Math.min(perDeployment, resources - first) }, (_, k) => {
      const name = resourceName(first + k);
      return {
        address: `terraform_data.${name}`,
        mode: 'managed',
        type: 'terraform_data',
        name,
        provider_name: 'terraform.io/builtin/terraform',
        values: { id: `id-${name}`, input: { node_count: 2 } },
        sensitive_values: {},
      };
    });
    const show = { format_version: '1.0', terraform_version: '1.11.4', values: { root_module: { resources: items } } };
    registry.applyState({
      runId,
      dir: `/nonexistent/${runId}`,
      serial: 1,
      lineage: runId,
      state: parseShowJson(runId, show),
    });
  }
}
