import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  blockAddressOf,
  parseShowJson,
  parseStatePullMeta,
  type ParsedInstance,
} from '../../src/registry/state-parser.js';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../fixtures/states/${name}`, import.meta.url), 'utf8'));
const CANARY = 'canary-Zq9xV7pL3mK2';
const byAddress = (list: ParsedInstance[], address: string): ParsedInstance => {
  const found = list.find((i) => i.address === address);
  if (!found) throw new Error(`no ${address} in ${list.map((i) => i.address).join(', ')}`);
  return found;
};

describe('parseShowJson on real terraform show -json output', () => {
  const state = parseShowJson('fx', fixture('full.show.json'));

  it('walks nested child modules (two levels, module count) with their module paths', () => {
    const inner = byAddress(state.managed, 'module.outer.module.inner[1].terraform_data.inner["b"]');
    expect(inner.modulePath).toBe('module.outer.module.inner[1]');
    expect(inner.blockAddress).toBe('module.outer.module.inner[1].terraform_data.inner');
    expect(inner.indexKey).toBe('b');
    expect(byAddress(state.managed, 'module.outer.terraform_data.outer').modulePath).toBe('module.outer');
    expect(state.managed.filter((i) => i.type === 'terraform_data' && i.name === 'inner')).toHaveLength(4);
  });

  it('keeps count indexes numeric and for_each keys as strings', () => {
    const pool1 = byAddress(state.managed, 'terraform_data.pool[1]');
    expect(pool1.indexKey).toBe(1);
    expect(pool1.blockAddress).toBe('terraform_data.pool');
    const svc = byAddress(state.managed, 'terraform_data.svc["api"]');
    expect(svc.indexKey).toBe('api');
    expect(svc.blockAddress).toBe('terraform_data.svc');
    expect(byAddress(state.managed, 'terraform_data.db').indexKey).toBeNull();
  });

  it('keeps data sources apart from managed resources', () => {
    expect(state.data.map((d) => d.address)).toEqual(['data.terraform_remote_state.base']);
    expect(state.data[0]?.mode).toBe('data');
    expect(state.managed.every((m) => m.mode === 'managed')).toBe(true);
    expect(state.data[0]?.keys).toEqual([]);
  });

  it('records provider, cloud id and terraform version', () => {
    const db = byAddress(state.managed, 'terraform_data.db');
    expect(db.provider).toBe('terraform.io/builtin/terraform');
    expect(db.cloudId).toMatch(/^[0-9a-f-]{36}$/);
    expect(state.terraformVersion).toBe('1.11.4');
    expect(state.hasState).toBe(true);
  });

  it('redacts the marked sensitive value and every unmarked copy of it', () => {
    const db = byAddress(state.managed, 'terraform_data.db');
    expect((db.attributes['input'] as Record<string, unknown>)['password']).toBe('[REDACTED]');
    // terraform_data.output carries the secret without a sensitivity mark.
    expect((db.attributes['output'] as Record<string, unknown>)['password']).toBe('[REDACTED]');
    const leak = byAddress(state.managed, 'terraform_data.leak');
    expect((leak.attributes['input'] as Record<string, unknown>)['note']).toBe('conn=[REDACTED]');
    expect(JSON.stringify([...state.managed, ...state.data])).not.toContain(CANARY);
    expect(JSON.stringify(fixture('full.show.json'))).toContain(CANARY);
  });

  it('derives lookup keys from label, address, cloud id and input name/pool/labels/tags', () => {
    const keys = (a: string) => byAddress(state.managed, a).keys.map((k) => `${k.kind}:${k.key}`);
    expect(keys('terraform_data.pool[0]')).toEqual(
      expect.arrayContaining([
        'address:terraform_data.pool[0]',
        'block:terraform_data.pool',
        'label_name:pool',
        'pool:web-pool',
      ]),
    );
    expect(keys('terraform_data.svc["api"]')).toEqual(
      expect.arrayContaining(['name:svc-api', 'label:team=sre', 'label:sre', 'label:api']),
    );
    expect(keys('terraform_data.db')).toEqual(expect.arrayContaining(['name:db-1', 'tag:env=prod', 'tag:prod']));
    const cloudId = byAddress(state.managed, 'terraform_data.db').cloudId;
    expect(keys('terraform_data.db')).toContain(`cloud_id:${String(cloudId)}`);
  });
});

describe('parseShowJson on other shapes', () => {
  it('treats a show without values as no state', () => {
    const s = parseShowJson('fx', fixture('empty.show.json'));
    expect(s).toMatchObject({ hasState: false, managed: [], data: [] });
  });

  it('covers several providers, self_link, labels, tags and secret-looking values', () => {
    const s = parseShowJson('fx', fixture('multi-provider.show.json'));
    expect(new Set(s.managed.map((m) => m.provider)).size).toBe(2);
    const vm = byAddress(s.managed, 'google_compute_instance.vm');
    expect(vm.keys.map((k) => k.key)).toEqual(
      expect.arrayContaining([vm.attributes['self_link'], 'vm-1', 'service=checkout', 'checkout']),
    );
    const app = byAddress(s.managed, 'aws_instance.app');
    expect(app.attributes['private_key_pem']).toBe('[REDACTED]');
    // The raw disk key is marked sensitive on the VM and reappears unmarked in the app's user_data.
    expect(app.attributes['user_data']).toContain('postgres://app:[REDACTED]@db/app');
    const text = JSON.stringify(s);
    expect(text).not.toContain('cmF3LWtleS1jYW5hcnktOTk5');
    expect(text).not.toContain('ya29.canary-token-value');
    expect(s.data[0]?.attributes['project']).toBe('demo');
  });

  it('rejects malformed output naming the field', () => {
    const bad = { format_version: '1.0', values: { root_module: { resources: [{ address: 'x', mode: 'bogus' }] } } };
    expect(() => parseShowJson('web', bad)).toThrow(/"web".*values\.root_module\.resources\.0\.mode/);
  });
});

describe('helpers', () => {
  it('blockAddressOf strips only the instance key', () => {
    expect(blockAddressOf('module.m[0].a.b["k"]', 'k')).toBe('module.m[0].a.b');
    expect(blockAddressOf('module.m[0].a.b', undefined)).toBe('module.m[0].a.b');
  });

  it('parseStatePullMeta reads serial and lineage of real state pull output, null for no state', () => {
    const text = readFileSync(new URL('../fixtures/states/full.pull.json', import.meta.url), 'utf8');
    expect(parseStatePullMeta('fx', text)).toEqual({ serial: 14, lineage: '09929512-098b-aa64-97fa-d5b9c60ce582' });
    expect(parseStatePullMeta('fx', '')).toBeNull();
    expect(() => parseStatePullMeta('fx', '{"version":4}')).toThrow(/serial\/lineage/);
  });
});
