/**
 * Lookup keys for the real resource types, as the labels real exporters put on their series would
 * name them (pool and cluster names, `namespace/deployment`, ASG and ECS service names, a node
 * exporter's `instance="vm-a:9100"`), through the real parser, store and alert-path resolution.
 * States are hand-made `terraform show -json` documents with the attributes those providers store.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { resolveResource } from '../../src/alerts/collapse.js';
import { DEFAULT_RESOURCE_LABELS, pickResourceKey } from '../../src/alerts/normalise.js';
import { openDatabase } from '../../src/db/connection/database.js';
import { SqliteRegistryStore } from '../../src/db/registry/sqlite-registry-store.js';
import { lookupKeysFor } from '../../src/registry/lookup-keys.js';
import { parseShowJson } from '../../src/registry/state-parser.js';
import { FakeClock } from '../../src/shared/clock.js';

type Attrs = Record<string, unknown>;
const res = (type: string, name: string, values: Attrs, sensitive: Attrs = {}) => ({
  address: `${type}.${name}`,
  mode: 'managed',
  type,
  name,
  provider_name: `registry.terraform.io/hashicorp/${type.split('_')[0] === 'kubernetes' ? 'kubernetes' : type.split('_')[0]}`,
  values,
  sensitive_values: sensitive,
});
const show = (resources: unknown[]) => ({
  format_version: '1.0',
  terraform_version: '1.11.4',
  values: { root_module: { resources } },
});

/** One deployment of every real type, named the way a team would name them. */
const CLOUD = [
  res('google_container_cluster', 'main', { id: 'projects/p/locations/europe-west1/clusters/web', name: 'web' }),
  res('google_container_node_pool', 'workers', {
    id: 'projects/p/locations/europe-west1/clusters/web/nodePools/default-pool',
    name: 'default-pool',
    cluster: 'projects/p/locations/europe-west1/clusters/web',
    node_count: 2,
    autoscaling: [{ min_node_count: 1, max_node_count: 3 }],
  }),
  res('google_compute_instance', 'vm', {
    id: 'projects/p/zones/europe-west1-b/instances/vm-a',
    name: 'vm-a',
    machine_type: 'e2-small',
    network_interface: [{ network_ip: '10.0.0.5', access_config: [{ nat_ip: '34.1.2.3' }] }],
  }),
  res('aws_autoscaling_group', 'web', { id: 'web-asg', name: 'web-asg', desired_capacity: 2 }),
  res('aws_ecs_service', 'api', {
    id: 'arn:aws:ecs:eu-west-1:123456789012:service/prod/api',
    name: 'api',
    cluster: 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod',
    desired_count: 2,
  }),
  res('aws_instance', 'bastion', {
    id: 'i-0abc',
    tags: { Name: 'bastion-1', team: 'ops' },
    private_ip: '10.1.0.7',
    private_dns: 'ip-10-1-0-7.eu-west-1.compute.internal',
  }),
  res('kubernetes_deployment', 'web', {
    id: 'shop/frontend',
    metadata: [{ name: 'frontend', namespace: 'shop', labels: { app: 'frontend' } }],
    spec: [{ replicas: '3' }],
  }),
];

describe('lookup keys of the real resource types', () => {
  const parsed = parseShowJson('cloud', show(CLOUD));
  const keysOf = (address: string) =>
    parsed.managed.find((m) => m.address === address)!.keys.map((k) => `${k.kind}:${k.key}`);

  it('indexes nested Kubernetes metadata: name, namespace/name, labels', () => {
    expect(keysOf('kubernetes_deployment.web')).toEqual(
      expect.arrayContaining(['name:frontend', 'scoped_name:shop/frontend', 'label:app=frontend']),
    );
  });

  it('scopes a node pool and an ECS service by their cluster (id or ARN counts by its last segment)', () => {
    expect(keysOf('google_container_node_pool.workers')).toEqual(
      expect.arrayContaining(['name:default-pool', 'scoped_name:web/default-pool']),
    );
    expect(keysOf('aws_ecs_service.api')).toEqual(expect.arrayContaining(['name:api', 'scoped_name:prod/api']));
  });

  it('indexes machine addresses and the Name tag', () => {
    expect(keysOf('google_compute_instance.vm')).toEqual(
      expect.arrayContaining(['name:vm-a', 'ip:10.0.0.5', 'ip:34.1.2.3']),
    );
    expect(keysOf('aws_instance.bastion')).toEqual(
      expect.arrayContaining(['tag:bastion-1', 'tag:Name=bastion-1', 'ip:10.1.0.7']),
    );
  });

  it('a Kubernetes object without a namespace is in `default`; a redacted cluster makes no scoped key', () => {
    const keys = lookupKeysFor({
      address: 'kubernetes_deployment.x',
      blockAddress: 'kubernetes_deployment.x',
      name: 'x',
      cloudId: null,
      attributes: { metadata: [{ name: 'api' }], cluster: '[REDACTED]' },
    }).map((k) => `${k.kind}:${k.key}`);
    expect(keys).toContain('scoped_name:default/api');
    expect(keys.some((k) => k.includes('REDACTED'))).toBe(false);
  });
});

describe('provider-sensitive values (sensitive_values masks) in nested blocks', () => {
  it('removes a value marked only by the mask in a nested block, and every copy of it elsewhere', () => {
    const key = 'dk0123456789abcdefq'; // not secret-looking by key or shape: only the mask says so
    const state = parseShowJson(
      'cloud',
      show([
        res(
          'google_compute_instance',
          'vm',
          { id: 'vm-1', name: 'vm-1', boot_disk: [{ disk_encryption_key_raw: key, device_name: 'd0' }] },
          { boot_disk: [{ disk_encryption_key_raw: true }] },
        ),
        res(
          'google_container_cluster',
          'c',
          {
            id: 'c-1',
            name: 'c',
            master_auth: [{ client_key: 'QkVHSU4gUlNBIFBSSVZBVEUgS0VZ' }],
            description: `built with ${key}`,
          },
          { master_auth: [{ client_key: true }] },
        ),
      ]),
    );
    const text = JSON.stringify(state.managed);
    expect(text).not.toContain(key);
    expect(text).not.toContain('QkVHSU4gUlNBIFBSSVZBVEUgS0VZ');
    const vm = state.managed.find((m) => m.name === 'vm')!;
    expect(vm.attributes['boot_disk']).toEqual([{ disk_encryption_key_raw: '[REDACTED]', device_name: 'd0' }]);
    expect(state.managed.find((m) => m.name === 'c')!.attributes['description']).toBe('built with [REDACTED]');
  });
});

describe('an alert from a real exporter finds its resource', () => {
  let store: SqliteRegistryStore;
  const labels = DEFAULT_RESOURCE_LABELS;
  /** What intake does: the key from the labels, then the registry resolution. */
  const resolve = (alertLabels: Record<string, string>) =>
    resolveResource(store, pickResourceKey(alertLabels, labels), labels);

  beforeEach(() => {
    const db = openDatabase(path.join(mkdtempSync(path.join(tmpdir(), 'infraai-realtypes-')), 'db.sqlite'));
    store = new SqliteRegistryStore(db, new FakeClock());
    store.applyState({
      runId: 'cloud',
      dir: '/runs/cloud',
      serial: 1,
      lineage: 'l',
      state: parseShowJson('cloud', show(CLOUD)),
    });
  });

  // Prometheus adds the scrape target's instance/job to every series: they must not hijack the key.
  const target = { instance: '127.0.0.1:9464', job: 'localcloud' };
  it.each([
    [
      'GKE node pool',
      { ...target, cluster: 'web', pool: 'default-pool', location: 'europe-west1' },
      'google_container_node_pool.workers',
    ],
    ['Deployment', { ...target, namespace: 'shop', deployment: 'frontend' }, 'kubernetes_deployment.web'],
    ['ASG', { ...target, autoscaling_group: 'web-asg' }, 'aws_autoscaling_group.web'],
    ['ECS service', { ...target, cluster: 'prod', service: 'api' }, 'aws_ecs_service.api'],
    ['GCE instance (node exporter host:port)', { instance: 'vm-a:9100', job: 'node' }, 'google_compute_instance.vm'],
    ['GCE instance by IP', { instance: '10.0.0.5:9100', job: 'node' }, 'google_compute_instance.vm'],
    ['EC2 instance by its Name tag', { instance: 'bastion-1:9100', job: 'node' }, 'aws_instance.bastion'],
  ])('%s', (_what, alertLabels, address) => {
    expect(resolve(alertLabels)).toMatchObject({ status: 'matched', runId: 'cloud', resourceAddress: address });
  });

  it('the pair key comes first: two clusters with a pool of the same name stay apart', () => {
    store.applyState({
      runId: 'other',
      dir: '/runs/other',
      serial: 1,
      lineage: 'l',
      state: parseShowJson(
        'other',
        show([
          res('google_container_node_pool', 'workers', {
            id: 'projects/p/locations/us-east1/clusters/batch/nodePools/default-pool',
            name: 'default-pool',
            cluster: 'batch',
          }),
        ]),
      ),
    });
    expect(resolve({ cluster: 'batch', pool: 'default-pool' })).toMatchObject({ status: 'matched', runId: 'other' });
    expect(resolve({ cluster: 'web', pool: 'default-pool' })).toMatchObject({ status: 'matched', runId: 'cloud' });
    // The bare pool name names two resources: ambiguous, never a pick.
    const bare = resolve({ pool: 'default-pool' });
    expect(bare.status).toBe('ambiguous');
    expect(bare.reason).toMatch(/2 deployments \(cloud, other\)/);
  });

  it('strips the port only when the whole value matched nothing', () => {
    store.applyState({
      runId: 'odd',
      dir: '/runs/odd',
      serial: 1,
      lineage: 'l',
      state: parseShowJson('odd', show([res('google_compute_instance', 'literal', { id: 'x-1', name: 'vm-a:9100' })])),
    });
    // A resource really named "vm-a:9100" is what the whole value names.
    expect(resolve({ instance: 'vm-a:9100' })).toMatchObject({
      status: 'matched',
      runId: 'odd',
      resourceAddress: 'google_compute_instance.literal',
    });
    expect(resolve({ instance: 'nothing-here:9100' })).toMatchObject({ status: 'unknown' });
  });

  it('an ambiguous whole value stays ambiguous (no fallback to the host part)', () => {
    for (const runId of ['x', 'y']) {
      store.applyState({
        runId,
        dir: `/runs/${runId}`,
        serial: 1,
        lineage: 'l',
        state: parseShowJson(runId, show([res('google_compute_instance', 'n', { id: `${runId}-1`, name: 'db:5432' })])),
      });
    }
    expect(resolve({ instance: 'db:5432' }).status).toBe('ambiguous');
  });
});

describe('pickResourceKey with label pairs', () => {
  it('joins a pair when both labels are present, else falls to the next entry', () => {
    const order = ['cluster/pool', 'pool', 'instance'];
    expect(pickResourceKey({ cluster: 'web', pool: 'p1', instance: 'h:1' }, order)).toBe('web/p1');
    expect(pickResourceKey({ pool: 'p1', instance: 'h:1' }, order)).toBe('p1');
    expect(pickResourceKey({ cluster: '', pool: 'p1' }, order)).toBe('p1');
    expect(pickResourceKey({ instance: 'h:1' }, order)).toBe('h:1');
    expect(pickResourceKey({ job: 'x' }, order)).toBeNull();
  });
});
