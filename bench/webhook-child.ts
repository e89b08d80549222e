/** The servers bench/webhook.ts measures, each run in its own child process (talks over IPC). */
import Fastify from 'fastify';
import { monitorEventLoopDelay } from 'node:perf_hooks';
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
  const trigger: DecisionTrigger = {
    enqueue: () => {
      enqueued += 1;
    },
    backlog: () => 0,
  };
  const service = await compose(loadConfig(process.env), { decisionTrigger: trigger });
  await service.start();
  seed(service.registry, resources);
  await service.app.listen({ port: 0, host: '127.0.0.1' });
  process.send?.({ port: (service.app.server.address() as { port: number }).port });
  // Where the time goes: commit batch sizes and durations, and event-loop stalls.
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const batches: Array<[number, number]> = [];
  const receiveMany = service.intake.receiveMany.bind(service.intake);
  service.intake.receiveMany = (b) => {
    const t = performance.now();
    try {
      return receiveMany(b);
    } finally {
      batches.push([b.length, performance.now() - t]);
    }
  };
  const exists = service.db.prepare('SELECT 1 FROM notifications WHERE id = ?').pluck();
  process.on('message', (m: string | { missing: string[] }) => {
    if (typeof m === 'object') {
      process.send?.({ missing: m.missing.filter((id) => exists.get(id) === undefined).length });
    } else if (m === 'counts') {
      const counts = Object.fromEntries(
        TABLES.map((t) => [t, (service.db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n]),
      );
      const sorted = batches.map(([, ms]) => ms).sort((a, b) => a - b);
      const pct = (p: number) => Number((sorted[Math.floor((sorted.length - 1) * p)] ?? 0).toFixed(2));
      const intake = {
        batches: batches.length,
        meanBatch: Number((batches.reduce((n, [k]) => n + k, 0) / Math.max(1, batches.length)).toFixed(1)),
        commitMsP50: pct(0.5),
        commitMsP99: pct(0.99),
        commitMsMax: pct(1),
        loopDelayMsP99: Number((loop.percentile(99) / 1e6).toFixed(1)),
        loopDelayMsMax: Number((loop.max / 1e6).toFixed(1)),
      };
      batches.length = 0;
      loop.reset();
      process.send?.({ counts, enqueued, intake });
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
    address: `terraform_data.pool${i}`,
    mode: 'managed',
    type: 'terraform_data',
    name: `pool${i}`,
    provider_name: 'terraform.io/builtin/terraform',
    values: { id: `pool${i}`, input: { node_count: 2 } },
    sensitive_values: {},
  }));
  const show = { format_version: '1.0', terraform_version: '1.11.0', values: { root_module: { resources } } };
  const state = parseShowJson('bench', show);
  registry.applyState({ runId: 'bench', dir: '/tmp/bench', serial: 1, lineage: 'bench', state });
}
