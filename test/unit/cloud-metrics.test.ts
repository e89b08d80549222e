import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startExporter, type Exporter } from '../../cloud/metrics/exporter.js';

/** One sample line of the exposition, parsed: `name{a="b",...} value`. */
interface Line {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parse(text: string): Line[] {
  const out: Line[] = [];
  for (const raw of text.split('\n')) {
    if (raw === '' || raw.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(raw);
    if (!m) throw new Error(`not an exposition line: ${raw}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: m[3] === '+Inf' ? Infinity : Number(m[3]) });
  }
  return out;
}

function one(lines: Line[], name: string, labels: Record<string, string>): number | undefined {
  const hits = lines.filter((l) => l.name === name && Object.entries(labels).every(([k, v]) => l.labels[k] === v));
  if (hits.length > 1) throw new Error(`${hits.length} series for ${name} ${JSON.stringify(labels)}`);
  return hits[0]?.value;
}

const STATE = {
  version: 1,
  resources: {
    google_container_cluster: {
      'projects/demo/locations/europe-west1/clusters/shop': { name: 'shop', location: 'europe-west1' },
    },
    google_container_node_pool: {
      'projects/demo/locations/europe-west1/clusters/shop/nodePools/web': {
        name: 'web',
        cluster: 'projects/demo/locations/europe-west1/clusters/shop',
        location: 'europe-west1',
        node_count: 2,
        initial_node_count: 1,
        autoscaling: [],
      },
      'projects/demo/locations/europe-west1/clusters/shop/nodePools/batch': {
        name: 'batch',
        cluster: 'shop',
        location: 'europe-west1',
        node_count: 1,
        autoscaling: [{ min_node_count: 1, max_node_count: 3, location_policy: 'BALANCED' }],
      },
    },
    aws_autoscaling_group: { 'api-asg': { name: 'api-asg', min_size: 1, max_size: 4, desired_capacity: 2 } },
    aws_ecs_service: {
      'arn:aws:ecs:eu-west-1:1:service/prod/worker': {
        name: 'worker',
        cluster: 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod',
        desired_count: 4,
      },
    },
    kubernetes_deployment: {
      'shop/frontend': { metadata: [{ name: 'frontend', namespace: 'shop' }], spec: [{ replicas: '3' }] },
    },
    google_compute_instance: {
      'projects/demo/zones/europe-west1-b/instances/vm-a': { name: 'vm-a', machine_type: 'e2-small' },
    },
    aws_instance: { 'i-0abc': { id: 'i-0abc', instance_type: 't3.micro', tags: { Name: 'bastion' } } },
  },
};

describe('local cloud /metrics', () => {
  let dir: string;
  let statePath: string;
  let loadPath: string;
  let exporter: Exporter;
  const scrape = async () => {
    const r = await fetch(exporter.url);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    return parse(await r.text());
  };
  const writeJson = (file: string, value: unknown) => {
    // Atomic like the provider's writes: temp file + rename.
    writeFileSync(`${file}.tmp`, JSON.stringify(value));
    renameSync(`${file}.tmp`, file);
  };

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'cloud-metrics-'));
    statePath = path.join(dir, 'cloud-state.json');
    loadPath = path.join(dir, 'load.json');
    exporter = await startExporter({ port: 0, statePath, loadPath });
  });
  afterEach(async () => {
    await exporter.close();
  });

  it('answers with no series while the cloud has no state file yet', async () => {
    const lines = await scrape();
    expect(lines).toEqual([]);
  });

  it('node pool utilisation is demand / node_count and falls when node_count rises (names, not addresses)', async () => {
    writeJson(statePath, STATE);
    writeJson(loadPath, { demand: { web: 1.8 } });
    let lines = await scrape();
    const web = { cluster: 'shop', pool: 'web', location: 'europe-west1' };
    expect(one(lines, 'localcloud_node_pool_cpu_utilization', web)).toBeCloseTo(0.9);
    expect(one(lines, 'localcloud_node_pool_nodes', web)).toBe(2);
    expect(JSON.stringify(lines)).not.toContain('google_container_node_pool.');

    const grown = structuredClone(STATE);
    grown.resources.google_container_node_pool[
      'projects/demo/locations/europe-west1/clusters/shop/nodePools/web'
    ]!.node_count = 3;
    writeJson(statePath, grown);
    lines = await scrape();
    expect(one(lines, 'localcloud_node_pool_cpu_utilization', web)).toBeCloseTo(0.6);
  });

  it('the load file is re-read on every scrape; cluster/pool keys win over the bare pool name', async () => {
    writeJson(statePath, STATE);
    writeJson(loadPath, { demand: { web: 1, 'shop/web': 3 } });
    expect(one(await scrape(), 'localcloud_node_pool_cpu_utilization', { pool: 'web' })).toBeCloseTo(1.5);
    writeJson(loadPath, { demand: { web: 1 } });
    expect(one(await scrape(), 'localcloud_node_pool_cpu_utilization', { pool: 'web' })).toBeCloseTo(0.5);
  });

  it('an autoscaling pool is sized within its bounds: only raising max_node_count relieves it', async () => {
    writeJson(statePath, STATE);
    writeJson(loadPath, { demand: { batch: 3.5 } });
    let lines = await scrape();
    // 3.5 nodes of work wants ceil(3.5 / 0.7) = 5 nodes; the pool may grow to 3.
    expect(one(lines, 'localcloud_node_pool_nodes', { pool: 'batch' })).toBe(3);
    expect(one(lines, 'localcloud_node_pool_cpu_utilization', { pool: 'batch' })).toBeCloseTo(3.5 / 3);
    const raised = structuredClone(STATE);
    const batch =
      raised.resources.google_container_node_pool[
        'projects/demo/locations/europe-west1/clusters/shop/nodePools/batch'
      ]!;
    batch.autoscaling = [{ min_node_count: 1, max_node_count: 6, location_policy: 'BALANCED' }];
    writeJson(statePath, raised);
    lines = await scrape();
    expect(one(lines, 'localcloud_node_pool_nodes', { pool: 'batch' })).toBe(5);
    expect(one(lines, 'localcloud_node_pool_cpu_utilization', { pool: 'batch' })).toBeCloseTo(0.7);
  });

  it('ASG, ECS service and Deployment (spec.replicas as a string) get utilisation from their capacity', async () => {
    writeJson(statePath, STATE);
    writeJson(loadPath, { demand: { 'api-asg': 3, worker: 2, 'shop/frontend': 2.7 } });
    const lines = await scrape();
    expect(one(lines, 'localcloud_autoscaling_group_cpu_utilization', { autoscaling_group: 'api-asg' })).toBeCloseTo(
      1.5,
    );
    expect(one(lines, 'localcloud_autoscaling_group_instances', { autoscaling_group: 'api-asg' })).toBe(2);
    expect(one(lines, 'localcloud_ecs_service_cpu_utilization', { cluster: 'prod', service: 'worker' })).toBeCloseTo(
      0.5,
    );
    expect(
      one(lines, 'localcloud_deployment_cpu_utilization', { namespace: 'shop', deployment: 'frontend' }),
    ).toBeCloseTo(0.9);
    expect(one(lines, 'localcloud_deployment_replicas', { namespace: 'shop', deployment: 'frontend' })).toBe(3);
    // Nothing in the load file: half busy.
    expect(one(lines, 'localcloud_node_pool_cpu_utilization', { pool: 'web' })).toBeCloseTo(0.5);
  });

  it('instances: memory from the machine type and load, an up gauge the load file can fail', async () => {
    writeJson(statePath, STATE);
    writeJson(loadPath, { memory: { 'vm-a': 0.95 } });
    let lines = await scrape();
    const vm = { instance: 'vm-a:9100', job: 'node' };
    expect(one(lines, 'localcloud_instance_up', vm)).toBe(1);
    expect(one(lines, 'localcloud_instance_memory_total_bytes', vm)).toBe(2 * 1024 ** 3);
    expect(one(lines, 'localcloud_instance_memory_utilization', vm)).toBeCloseTo(0.95);
    expect(one(lines, 'localcloud_instance_up', { instance: 'bastion:9100', job: 'node' })).toBe(1);
    expect(one(lines, 'localcloud_instance_memory_total_bytes', { instance: 'bastion:9100' })).toBe(1024 ** 3);

    writeJson(loadPath, { down: ['vm-a'] });
    lines = await scrape();
    expect(one(lines, 'localcloud_instance_up', vm)).toBe(0);
    expect(one(lines, 'localcloud_instance_memory_utilization', vm)).toBeUndefined();
    expect(one(lines, 'localcloud_instance_up', { instance: 'bastion:9100' })).toBe(1);
  });

  it('a malformed load file fails the scrape with a message naming the field', async () => {
    writeJson(statePath, STATE);
    writeJson(loadPath, { demand: { web: 'lots' } });
    const r = await fetch(exporter.url);
    expect(r.status).toBe(500);
    expect(await r.text()).toContain('demand.web must be a number');
  });
});
