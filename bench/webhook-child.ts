/** The servers bench/webhook.ts measures, each run in its own child process (talks over IPC). */
import Fastify from 'fastify';
import type { DecisionTrigger } from '../src/alerts/ports.js';
import { loadConfig } from '../src/config/config.js';
import { compose } from '../src/main.js';
import { parseShowJson } from '../src/registry/state-parser.js';
import type { RegistryStore } from '../src/registry/registry-store.js';

const TABLES = ['notifications', 'alerts', 'alert_events', 'incidents', 'incident_alerts', 'ledger'];

export async function runChild(role: 'service' | 'bare', resources: number): Promise<void> {
  if (role === 'bare') {
    const app = Fastify({ logger: false, bodyLimit: 1_048_576 });
    app.post('/ops/webhook', async (_req, reply) => reply.code(202).send({ ok: true }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    process.send?.({ port: (app.server.address() as { port: number }).port });
    return;
  }
  let enqueued = 0;
  const trigger: DecisionTrigger = { enqueue: () => { enqueued += 1; }, backlog: () => 0 };
  const service = await compose(loadConfig(process.env), { decisionTrigger: trigger });
  await service.start();
  seed(service.registry, resources);
  await service.app.listen({ port: 0, host: '127.0.0.1' });
  process.send?.({ port: (service.app.server.address() as { port: number }).port });
  const exists = service.db.prepare('SELECT 1 FROM notifications WHERE id = ?').pluck();
  process.on('message', (m: string | { missing: string[] }) => {
    if (typeof m === 'object') {
      process.send?.({ missing: m.missing.filter((id) => exists.get(id) === undefined).length });
    } else if (m === 'counts') {
      const counts = Object.fromEntries(TABLES.map((t) => [t, (service.db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n]));
      process.send?.({ counts, enqueued });
    } else if (m === 'stop') {
      void service.stop().then(() => {
        process.send?.({});
        process.exit(0);
      });
    }
  });
}

/** A deployment with one terraform_data block per pool, so every bench alert is matched. */
function seed(registry: RegistryStore, count: number): void {
  const resources = Array.from({ length: count }, (_, i) => ({
    address: `terraform_data.pool${i}`, mode: 'managed', type: 'terraform_data', name: `pool${i}`,
    provider_name: 'terraform.io/builtin/terraform', values: { id: `pool${i}`, input: { node_count: 2 } }, sensitive_values: {},
  }));
  const show = { format_version: '1.0', terraform_version: '1.11.0', values: { root_module: { resources } } };
  const state = parseShowJson('bench', show);
  registry.applyState({ runId: 'bench', dir: '/tmp/bench', serial: 1, lineage: 'bench', state });
}
