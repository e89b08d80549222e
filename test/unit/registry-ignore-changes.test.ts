/**
 * `lifecycle { ignore_changes }` read from a deployment's files (HCL and JSON syntax), stored per
 * block by the registry and returned by get / lookup / listByDeployment; re-read only when a file
 * changes.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/connection/database.js';
import { SCHEMA_VERSION } from '../../src/db/connection/migrations.js';
import { SqliteRegistryStore } from '../../src/db/registry/sqlite-registry-store.js';
import { normalisePath, readAllIgnoreChanges } from '../../src/hcl/ignore-changes.js';
import { HclParser } from '../../src/hcl/parser.js';
import { ConfigReader, configSignature, withIgnoredChanges } from '../../src/registry/config-lifecycle.js';
import { parseShowJson } from '../../src/registry/state-parser.js';
import { FakeClock } from '../../src/shared/clock.js';

let parser: HclParser;
beforeAll(async () => {
  parser = await HclParser.create();
});

const MAIN_TF = `resource "aws_autoscaling_group" "web" {
  name             = "web-asg"
  desired_capacity = 2
  lifecycle {
    create_before_destroy = true
    ignore_changes = [
      desired_capacity, # a scaling policy owns it
      tags["Name"],
    ]
  }
}

resource "kubernetes_deployment" "app" {
  metadata {
    name = "app"
  }
  lifecycle {
    ignore_changes = [spec[0].replicas, metadata.0.annotations["deployment.kubernetes.io/revision"]]
  }
}

resource "google_compute_instance" "vm" {
  name = "vm-a"
  lifecycle {
    ignore_changes = all
  }
}

resource "google_container_node_pool" "plain" {
  name = "p"
}

data "aws_ami" "x" {
  lifecycle {
    ignore_changes = [name]
  }
}
`;

describe('readAllIgnoreChanges', () => {
  it('reads HCL: lists, comments, indexes and map keys normalised to dotted paths, `all`, none', () => {
    const r = readAllIgnoreChanges({ 'main.tf': MAIN_TF }, parser);
    expect(r.problems).toEqual([]);
    expect(r.blocks).toEqual({
      'aws_autoscaling_group.web': ['desired_capacity', 'tags.Name'],
      'kubernetes_deployment.app': ['spec.replicas', 'metadata.annotations.deployment.kubernetes.io/revision'],
      'google_compute_instance.vm': ['all'],
      'google_container_node_pool.plain': [],
    });
  });

  it('reads JSON syntax (object or list forms, "all" as a string)', () => {
    const json = {
      resource: {
        aws_ecs_service: { api: { name: 'api', lifecycle: { ignore_changes: ['desired_count', 'tags["x"]'] } } },
        aws_instance: [{ a: [{ lifecycle: [{ ignore_changes: 'all' }] }] }],
        aws_launch_template: { lt: { name: 'lt' } },
      },
    };
    const r = readAllIgnoreChanges({ 'main.tf.json': JSON.stringify(json) }, parser);
    expect(r.blocks).toEqual({
      'aws_ecs_service.api': ['desired_count', 'tags.x'],
      'aws_instance.a': ['all'],
      'aws_launch_template.lt': [],
    });
  });

  it('lets an override file replace the argument, and only when it sets it', () => {
    const r = readAllIgnoreChanges(
      {
        'main.tf': MAIN_TF,
        'override.tf': `resource "aws_autoscaling_group" "web" {
  lifecycle {
    ignore_changes = [max_size]
  }
}
resource "google_compute_instance" "vm" {
  machine_type = "e2-medium"
}
`,
      },
      parser,
    );
    expect(r.blocks['aws_autoscaling_group.web']).toEqual(['max_size']);
    expect(r.blocks['google_compute_instance.vm']).toEqual(['all']);
  });

  it('reports a file that does not parse and leaves its blocks unknown; other files still count', () => {
    const r = readAllIgnoreChanges(
      {
        'broken.tf': 'resource "aws_instance" "b" {\n  lifecycle {\n',
        'ok.tf.json': '{"resource":{"aws_instance":{"c":{}}}}',
        'modules/x/main.tf': MAIN_TF,
      },
      parser,
    );
    expect(r.problems).toEqual(['broken.tf: syntax error']);
    expect(r.blocks).toEqual({ 'aws_instance.c': [] });
  });

  it.each([
    ['spec[0].template[0].metadata[0].annotations', 'spec.template.metadata.annotations'],
    ['tags["Name"]', 'tags.Name'],
    ['network_interface.0.network_ip', 'network_interface.network_ip'],
    ['  desired_capacity ', 'desired_capacity'],
    ['tags[var.key]', 'tags'],
    ['"legacy_quoted"', '"legacy_quoted"'],
    ['[not a path]', '[not a path]'],
  ])('normalisePath(%j) = %j', (input, out) => {
    expect(normalisePath(input)).toBe(out);
  });
});

const SHOW = {
  format_version: '1.0',
  terraform_version: '1.11.4',
  values: {
    root_module: {
      resources: [
        {
          address: 'aws_autoscaling_group.web',
          mode: 'managed',
          type: 'aws_autoscaling_group',
          name: 'web',
          provider_name: 'registry.terraform.io/hashicorp/aws',
          values: { id: 'web-asg', name: 'web-asg', desired_capacity: 2 },
          sensitive_values: {},
        },
        {
          address: 'google_container_node_pool.plain',
          mode: 'managed',
          type: 'google_container_node_pool',
          name: 'plain',
          provider_name: 'registry.terraform.io/hashicorp/google',
          values: { id: 'pool-p', name: 'p' },
          sensitive_values: {},
        },
      ],
      child_modules: [
        {
          address: 'module.m',
          resources: [
            {
              address: 'module.m.aws_autoscaling_group.web',
              mode: 'managed',
              type: 'aws_autoscaling_group',
              name: 'web',
              provider_name: 'registry.terraform.io/hashicorp/aws',
              values: { id: 'inner-asg', name: 'inner-asg' },
              sensitive_values: {},
            },
          ],
        },
      ],
    },
  },
};

describe('ignoredChanges through the registry store', () => {
  it('is stored per block, returned by get, lookup and listByDeployment, absent for module blocks, and updated when the files change', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'infraai-ign-'));
    writeFileSync(path.join(dir, 'main.tf'), MAIN_TF);
    const db = openDatabase(path.join(dir, 'db.sqlite'));
    const store = new SqliteRegistryStore(db, new FakeClock());
    const reader = new ConfigReader();
    const sync = async () => {
      const { facts } = await reader.read(dir);
      const state = withIgnoredChanges(parseShowJson('d', SHOW), facts);
      return store.applyState({ runId: 'd', dir, serial: 1, lineage: 'l', state, configSignature: facts.signature });
    };
    expect((await sync()).added).toBe(3);
    expect(store.get('d', 'aws_autoscaling_group.web')?.ignoredChanges).toEqual(['desired_capacity', 'tags.Name']);
    expect(store.get('d', 'google_container_node_pool.plain')?.ignoredChanges).toEqual([]);
    expect(store.get('d', 'module.m.aws_autoscaling_group.web')).not.toHaveProperty('ignoredChanges');
    const found = store.lookup('web-asg');
    expect(found.status === 'matched' && found.resource.ignoredChanges).toEqual(['desired_capacity', 'tags.Name']);
    expect(store.listByDeployment('d').find((r) => r.name === 'web')?.ignoredChanges).toEqual([
      'desired_capacity',
      'tags.Name',
    ]);

    // Same files, same state: nothing to write, and the stored signature says "current".
    const { facts } = await reader.read(dir);
    expect((await sync()).changed).toBe(false);
    expect(store.isCurrent('d', dir, { serial: 1, lineage: 'l' }, facts.signature)).toBe(true);

    // The file changes (state does not): the signature moves, isCurrent no longer holds, the row follows.
    writeFileSync(path.join(dir, 'main.tf'), MAIN_TF.replace('tags["Name"],', 'max_size,'));
    expect(configSignature(dir)).not.toBe(facts.signature);
    expect(store.isCurrent('d', dir, { serial: 1, lineage: 'l' }, configSignature(dir))).toBe(false);
    expect(await sync()).toMatchObject({ changed: true, updated: 1, added: 0 });
    expect(store.get('d', 'aws_autoscaling_group.web')?.ignoredChanges).toEqual(['desired_capacity', 'max_size']);
    db.close();
  });

  it('ConfigReader re-reads only when a file changed', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'infraai-ign-'));
    writeFileSync(path.join(dir, 'main.tf'), MAIN_TF);
    const reader = new ConfigReader();
    expect((await reader.read(dir)).fresh).toBe(true);
    expect((await reader.read(dir)).fresh).toBe(false);
    writeFileSync(path.join(dir, 'extra.tf'), 'resource "aws_instance" "n" {}\n');
    const again = await reader.read(dir);
    expect(again.fresh).toBe(true);
    expect(again.facts.ignoredChanges['aws_instance.n']).toEqual([]);
  });

  it('migration 7 adds the columns to a version-6 database, whose rows then read as unknown', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'infraai-mig7-')), 'db.sqlite');
    const db = openDatabase(file);
    new SqliteRegistryStore(db, new FakeClock()).applyState({
      runId: 'd',
      dir: '/d',
      serial: 1,
      lineage: 'l',
      state: parseShowJson('d', SHOW),
    });
    // Back to what version 6 had: no ignore_changes column, no config signature.
    db.exec(
      'ALTER TABLE resources DROP COLUMN ignored_changes_json; ALTER TABLE deployments DROP COLUMN config_signature;',
    );
    db.pragma('user_version = 6');
    db.close();
    const again = openDatabase(file);
    expect(again.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    const store = new SqliteRegistryStore(again, new FakeClock());
    expect(store.get('d', 'aws_autoscaling_group.web')).toMatchObject({ name: 'web', status: 'present' });
    expect(store.get('d', 'aws_autoscaling_group.web')).not.toHaveProperty('ignoredChanges');
    again.close();
  });
});
