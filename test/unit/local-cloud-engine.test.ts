/**
 * The local cloud's value encoding and planner, below Terraform: msgpack unknowns (ext 0, refined
 * ext 12), Optional+Computed values kept or unknown, ForceNew paths inside nested blocks, and the
 * install layout Terraform's filesystem mirror needs (idempotent).
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import { conform, fillUnknowns, planValue } from '../../cloud/provider/engine.js';
import { google } from '../../cloud/provider/google.js';
import { installLocalCloud } from '../../cloud/provider/install.js';
import { decodeValue, encodeValue, Unknown, UNKNOWN } from '../../cloud/provider/values.js';

const pool = google.resources['google_container_node_pool']!.schema;

describe('local cloud values', () => {
  it('decodes ext 0 and refined unknowns (ext 12) as unknown and encodes unknown as ext 0', () => {
    const refined = Buffer.from([0x82, 0xa1, 0x61, 0xd4, 0x00, 0x00, 0xa1, 0x62, 0xc7, 0x02, 0x0c, 0x01, 0x02]);
    const v = decodeValue(refined) as Record<string, unknown>;
    expect(v['a']).toBeInstanceOf(Unknown);
    expect(v['b']).toBeInstanceOf(Unknown);
    expect([...encodeValue({ a: UNKNOWN })]).toEqual([0x81, 0xa1, 0x61, 0xd4, 0x00, 0x00]);
  });

  it('reads numbers Terraform sends as decimal strings', () => {
    const v = conform(pool, decodeValue(encode({ node_count: '3' })));
    expect(v['node_count']).toBe(3);
    expect(v['autoscaling']).toEqual([]);
  });
});

describe('local cloud planner', () => {
  const config = (extra: Record<string, unknown>) =>
    conform(pool, decodeValue(encode({ name: 'web', cluster: 'prod', location: 'europe-west1', ...extra })));

  it('makes computed values unknown on create and keeps them on update', () => {
    const create = planValue(pool, null, config({ autoscaling: [{ min_node_count: 1, max_node_count: 5 }] }));
    expect(create.planned['node_count']).toBe(UNKNOWN);
    expect(create.planned['id']).toBe(UNKNOWN);
    const prior = fillUnknowns(pool, { ...create.planned, id: 'x', node_count: 4, initial_node_count: 1 });
    const update = planValue(
      pool,
      conform(pool, prior),
      config({ autoscaling: [{ min_node_count: 1, max_node_count: 9 }] }),
    );
    expect(update.planned['node_count']).toBe(4); // the autoscaler's size is kept, not fought
    expect(update.replace).toEqual([]);
  });

  it('reports a ForceNew change inside a nested block by its full path, and re-plans computed values', () => {
    const prior = conform(pool, {
      ...config({}),
      id: 'x',
      node_count: 2,
      initial_node_count: 2,
      node_config: [{ machine_type: 'e2-medium', spot: false, preemptible: false }],
    });
    const r = planValue(pool, prior, config({ node_config: [{ machine_type: 'e2-medium', spot: true }] }));
    expect(r.replace).toEqual([
      { steps: [{ attribute_name: 'node_config' }, { element_key_int: 0 }, { attribute_name: 'spot' }] },
    ]);
    expect(r.planned['id']).toBe(UNKNOWN);
    const inPlace = planValue(pool, prior, config({ node_config: [{ machine_type: 'e2-standard-4' }] }));
    expect(inPlace.replace).toEqual([]);
  });
});

describe('installLocalCloud', () => {
  it('writes the mirror layout and CLI config, and a second call changes nothing', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'local-cloud-install-'));
    try {
      const a = installLocalCloud(dir);
      const script = path.join(
        a.mirrorDir,
        'registry.terraform.io/hashicorp/kubernetes/2.99.0/linux_amd64/terraform-provider-kubernetes_v2.99.0',
      );
      const text = readFileSync(script, 'utf8');
      expect(text.split('\n')[0]).toBe('#!/bin/sh');
      expect(text).toMatch(/^exec ".*node[^"]*" "\/.*dist\/cloud\/provider\/main\.js" kubernetes "\$@"$/m);
      expect(statSync(script).mode & 0o111).not.toBe(0);
      const rc = readFileSync(a.cliConfigFile, 'utf8');
      expect(rc).toContain(`filesystem_mirror {\n    path    = ${JSON.stringify(a.mirrorDir)}`);
      expect(rc).toContain('direct {\n    exclude = ["registry.terraform.io/hashicorp/google"');
      expect(a.env).toEqual({ TF_CLI_CONFIG_FILE: a.cliConfigFile });
      const before = statSync(script).mtimeMs;
      const b = installLocalCloud(dir);
      expect(b).toEqual(a);
      expect(statSync(script).mtimeMs).toBe(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
