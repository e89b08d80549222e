import { describe, expect, it } from 'vitest';
import { resolveResource } from '../../src/alerts/collapse.js';
import { DEFAULT_RESOURCE_LABELS, pickResourceKeys } from '../../src/alerts/normalise.js';
import { parseDeploymentSettings } from '../../src/registry/deployment-settings.js';
import type { LookupResult, RegistryLookup, RegistryResource } from '../../src/registry/registry-port.js';

function res(runId: string, address: string): RegistryResource {
  return {
    runId,
    address,
    blockAddress: address.replace(/\[[^\]]*\]$/, ''),
    modulePath: '',
    mode: 'managed',
    type: address.split('.')[0] ?? '',
    name: address.split('.')[1] ?? '',
    indexKey: null,
    provider: 'p',
    cloudId: null,
    attributes: {},
    status: 'present',
  };
}

/** A registry answering from a key → resources table (lookup semantics kept trivial on purpose). */
function registry(table: Record<string, RegistryResource[]>, labels: Record<string, Record<string, string>> = {}) {
  const all = Object.values(table).flat();
  const r: RegistryLookup = {
    lookup(key: string): LookupResult {
      const hits = table[key] ?? [];
      if (hits.length === 0) return { status: 'unknown', reason: `no present managed resource has the key "${key}"` };
      if (hits.length === 1) return { status: 'matched', resource: hits[0]!, matchedBy: 'name' };
      return { status: 'ambiguous', candidates: hits, reason: `key "${key}" matches several` };
    },
    get: (runId, address) => all.find((x) => x.runId === runId && x.address === address),
    listByDeployment: (runId) => all.filter((x) => x.runId === runId),
    deploymentLabels: (runId) => labels[runId],
  };
  return r;
}

describe('infraai.yaml schema', () => {
  it('accepts the documented fields and fills defaults', () => {
    const r = parseDeploymentSettings(
      'var_files: [prod.tfvars, extra.tfvars.json]\nworkspace: prod\nlabels: { env: prod }\n',
    );
    expect(r).toEqual({
      ok: true,
      present: true,
      settings: {
        var_files: ['prod.tfvars', 'extra.tfvars.json'],
        workspace: 'prod',
        owners: [],
        labels: { env: 'prod' },
      },
    });
    expect(parseDeploymentSettings('')).toMatchObject({ ok: true, settings: { var_files: [], labels: {} } });
  });

  it.each([
    ['varfiles: [a.tfvars]\n', 'varfiles'],
    ['var_files: [../other/prod.tfvars]\n', 'var_files.0'],
    ['var_files: [prod.txt]\n', 'var_files.0'],
    ['workspace: "prod env"\n', 'workspace'],
    ['labels: { "bad-name": x }\n', 'labels'],
    ['owners: team\n', 'owners'],
    ['var_files: [a.tfvars\n', 'not valid YAML'],
  ])('refuses %j naming %s', (text, field) => {
    const r = parseDeploymentSettings(text);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toMatch(/^infraai\.yaml: /);
      expect(r.error).toContain(field);
    }
  });
});

describe('alert → resource: every RESOURCE_LABELS key is tried', () => {
  it('pickResourceKeys lists every present entry in order', () => {
    expect(
      pickResourceKeys({ instance: '10.1.2.3:9100', pool: 'web-pool', cluster: 'c1' }, DEFAULT_RESOURCE_LABELS),
    ).toEqual(['c1/web-pool', 'web-pool', '10.1.2.3:9100']);
  });

  it('a node-exporter alert matches by pool although instance names nothing', () => {
    const reg = registry({ 'web-pool': [res('prod', 'google_container_node_pool.web')] });
    const labels = { instance: '10.1.2.3:9100', pool: 'web-pool' };
    const keys = pickResourceKeys(labels, DEFAULT_RESOURCE_LABELS);
    expect(resolveResource(reg, keys, DEFAULT_RESOURCE_LABELS, labels)).toMatchObject({
      status: 'matched',
      runId: 'prod',
      resourceAddress: 'google_container_node_pool.web',
    });
    // Only the first key (the old rule) would have given "unknown".
    expect(resolveResource(reg, ['10.1.2.3:9100'], DEFAULT_RESOURCE_LABELS, labels).status).toBe('unknown');
  });

  it('an earlier key that matches wins over a later one; :port stripped as fallback', () => {
    const reg = registry({
      'web-pool': [res('prod', 'google_container_node_pool.web')],
      'vm-a': [res('prod', 'google_compute_instance.a')],
    });
    expect(resolveResource(reg, ['vm-a:9100', 'web-pool'], DEFAULT_RESOURCE_LABELS, {})).toMatchObject({
      resourceAddress: 'google_compute_instance.a',
    });
  });

  it('twins are narrowed by deployment labels; run_id:address picks explicitly; no label → ambiguous', () => {
    const twins = [res('prod', 'terraform_data.web'), res('staging', 'terraform_data.web')];
    const reg = registry({ web: twins }, { prod: { env: 'prod', cluster: 'prod-gke' }, staging: { env: 'staging' } });
    expect(resolveResource(reg, ['web'], DEFAULT_RESOURCE_LABELS, { env: 'prod', cluster: 'prod-gke' })).toMatchObject({
      status: 'matched',
      runId: 'prod',
    });
    // Every label of the settings must match: env alone does not select prod (cluster missing).
    expect(resolveResource(reg, ['web'], DEFAULT_RESOURCE_LABELS, { env: 'prod' }).status).toBe('ambiguous');
    expect(resolveResource(reg, ['web'], DEFAULT_RESOURCE_LABELS, { env: 'staging' })).toMatchObject({
      runId: 'staging',
    });
    expect(resolveResource(reg, ['staging:terraform_data.web'], DEFAULT_RESOURCE_LABELS, {})).toMatchObject({
      status: 'matched',
      runId: 'staging',
    });
    expect(resolveResource(reg, ['nope:terraform_data.web'], DEFAULT_RESOURCE_LABELS, {}).status).toBe('unknown');
  });
});
