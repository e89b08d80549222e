import type { LookupResult, RegistryLookup, RegistryResource } from '../../src/registry/registry-port.js';

/** A resource as the registry returns it, with defaults for a terraform_data instance. */
export function resource(
  address: string,
  attributes: Record<string, unknown>,
  extra: Partial<RegistryResource> = {},
): RegistryResource {
  const m = /^(?:(.*)\.)?([a-z0-9_]+)\.([A-Za-z0-9_-]+)(?:\[(.+)\])?$/.exec(address);
  const index = m?.[4] === undefined ? null : /^\d+$/.test(m[4]) ? Number(m[4]) : m[4].replace(/"/g, '');
  const block = address.replace(/\[[^\]]+\]$/, '');
  return {
    runId: 'demo',
    address,
    blockAddress: block,
    modulePath: m?.[1] ?? '',
    mode: 'managed',
    type: m?.[2] ?? 'terraform_data',
    name: m?.[3] ?? address,
    indexKey: index,
    provider: 'terraform.io/builtin/terraform',
    cloudId: null,
    attributes,
    status: 'present',
    ...extra,
  };
}

/** The demo deployment (terraform-runs/demo) as the registry sees it. */
export function demoResources(): RegistryResource[] {
  return [
    resource('terraform_data.pool[0]', { id: 'p0', input: { pool: 'web-pool', machine_type: 'e2-small' } }),
    resource('terraform_data.pool[1]', { id: 'p1', input: { pool: 'web-pool', machine_type: 'e2-small' } }),
    resource('terraform_data.vm', {
      id: 'v',
      input: { name: 'vm-1', machine_type: 'e2-small', node_count: 2, labels: { team: 'sre' } },
    }),
    resource('terraform_data.web', { id: 'w', input: { name: 'web', replicas: 2 } }),
  ];
}

/** In-memory RegistryLookup over a fixed resource list (lookup by name attribute or address). */
export class FakeRegistry implements RegistryLookup {
  constructor(public resources: RegistryResource[] = demoResources()) {}

  lookup(key: string): LookupResult {
    const hits = this.resources.filter((r) => {
      const input = r.attributes.input as Record<string, unknown> | undefined;
      return r.address === key || r.blockAddress === key || input?.name === key || input?.pool === key;
    });
    const blocks = new Set(hits.map((h) => `${h.runId} ${h.blockAddress}`));
    if (hits.length === 0) return { status: 'unknown', reason: `no resource matches "${key}"` };
    if (blocks.size > 1)
      return { status: 'ambiguous', candidates: hits, reason: `"${key}" matches ${blocks.size} resources` };
    return { status: 'matched', resource: hits[0]!, matchedBy: 'name' };
  }

  get(runId: string, address: string): RegistryResource | undefined {
    return this.resources.find((r) => r.runId === runId && r.address === address);
  }

  listByDeployment(runId: string, limit = 200): RegistryResource[] {
    return this.resources.filter((r) => r.runId === runId).slice(0, limit);
  }
}
