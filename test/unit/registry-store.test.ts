import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/db/connection/database.js';
import { SqliteRegistryStore } from '../../src/db/registry/sqlite-registry-store.js';
import { resolveRunDir } from '../../src/registry/run-id.js';
import { parseShowJson } from '../../src/registry/state-parser.js';
import { FakeClock } from '../../src/shared/clock.js';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../fixtures/states/${name}`, import.meta.url), 'utf8'));

describe('SqliteRegistryStore lookups and history', () => {
  let db: Db;
  let store: SqliteRegistryStore;
  const clock = new FakeClock();
  const sync = (runId: string, name = 'full.show.json', serial = 1) =>
    store.applyState({
      runId,
      dir: `/runs/${runId}`,
      serial,
      lineage: 'l-1',
      state: parseShowJson(runId, fixture(name)),
    });

  beforeEach(() => {
    const dir = mkdtempSync(path.join(tmpdir(), 'infraai-regstore-'));
    db = openDatabase(path.join(dir, 'db.sqlite'));
    store = new SqliteRegistryStore(db, clock);
  });

  it('matches all instances of one count block as its first instance', () => {
    sync('a');
    expect(store.lookup('web-pool')).toMatchObject({
      status: 'matched',
      matchedBy: 'pool',
      resource: { runId: 'a', address: 'terraform_data.pool[0]', blockAddress: 'terraform_data.pool' },
    });
    expect(store.lookup('terraform_data.pool')).toMatchObject({ status: 'matched', matchedBy: 'block' });
  });

  it('says ambiguous, naming both, when two blocks share a key', () => {
    sync('a');
    // team=sre is on both for_each instances of svc: they are distinct targets (issue 14), so
    // ambiguous naming both; svc-api names one. "inner-a" is in two module instances: ambiguous.
    const shared = store.lookup('team=sre');
    expect(shared.status).toBe('ambiguous');
    if (shared.status === 'ambiguous') {
      expect(shared.reason).toMatch(/2 for_each instances of a:terraform_data\.svc/);
      expect(shared.candidates.map((c) => c.address)).toEqual([
        'terraform_data.svc["api"]',
        'terraform_data.svc["worker"]',
      ]);
    }
    expect(store.lookup('svc-api')).toMatchObject({
      status: 'matched',
      resource: { address: 'terraform_data.svc["api"]' },
    });
    const r = store.lookup('inner-a');
    expect(r.status).toBe('ambiguous');
    if (r.status === 'ambiguous') {
      expect(r.reason).toMatch(/2 different resources in deployment "a"/);
      expect(r.candidates.map((c) => c.address)).toEqual([
        'module.outer.module.inner[0].terraform_data.inner["a"]',
        'module.outer.module.inner[1].terraform_data.inner["a"]',
      ]);
    }
  });

  it('says ambiguous when the same key is in two deployments', () => {
    sync('a');
    sync('b');
    const r = store.lookup('db-1');
    expect(r).toMatchObject({ status: 'ambiguous' });
    if (r.status === 'ambiguous') expect(r.reason).toMatch(/2 deployments \(a, b\)/);
  });

  it('prefers a strong key (cloud id, self_link) over weak ones and never matches data sources', () => {
    sync('m', 'multi-provider.show.json');
    const vm = store.get('m', 'google_compute_instance.vm');
    expect(store.lookup(String(vm?.attributes['self_link']))).toMatchObject({
      status: 'matched',
      matchedBy: 'self_link',
    });
    expect(store.lookup('i-0abc123def4567890')).toMatchObject({ status: 'matched', matchedBy: 'cloud_id' });
    expect(store.lookup('current').status).toBe('unknown');
    expect(store.listByDeployment('m').map((r) => r.mode)).toEqual(['managed', 'managed', 'managed']);
  });

  it('writes nothing for an unchanged snapshot, only the deployment row for a new serial', () => {
    expect(sync('a').added).toBe(13);
    const n = () => (db.prepare('SELECT total_changes() AS n').get() as { n: number }).n;
    const before = n();
    clock.advance(1000);
    expect(sync('a')).toMatchObject({ changed: false });
    expect(n()).toBe(before);
    expect(sync('a', 'full.show.json', 2)).toMatchObject({ changed: true, added: 0, updated: 0, gone: 0 });
    expect(n()).toBe(before + 1);
    expect(store.getDeployment('a')?.stateSerial).toBe(2);
  });

  it('generation() moves on writes through the store and on commits by another connection (e.g. the CLI)', () => {
    const g0 = store.generation();
    expect(store.generation()).toBe(g0);
    sync('a');
    const g1 = store.generation();
    expect(g1).not.toBe(g0);
    const other = openDatabase(db.name);
    new SqliteRegistryStore(other, clock).applyState({
      runId: 'b',
      dir: '/runs/b',
      serial: 1,
      lineage: 'l-1',
      state: parseShowJson('b', fixture('full.show.json')),
    });
    other.close();
    expect(store.generation()).not.toBe(g1);
  });

  it('isCurrent holds only for the stored serial+lineage of a healthy deployment', () => {
    expect(store.isCurrent('a', '/runs/a', { serial: 1, lineage: 'l-1' })).toBe(false);
    sync('a');
    expect(store.isCurrent('a', '/runs/a', { serial: 1, lineage: 'l-1' })).toBe(true);
    expect(store.isCurrent('a', '/runs/a', { serial: 2, lineage: 'l-1' })).toBe(false);
    expect(store.isCurrent('a', '/runs/a', { serial: 1, lineage: 'other' })).toBe(false);
    expect(store.isCurrent('a', '/elsewhere', { serial: 1, lineage: 'l-1' })).toBe(false);
    store.recordFailure('a', '/runs/a', 'failed', 'boom');
    expect(store.isCurrent('a', '/runs/a', { serial: 1, lineage: 'l-1' })).toBe(false);
  });

  it('marks resources gone when the state empties, and the deployment destroyed', () => {
    sync('a');
    const out = store.applyState({
      runId: 'a',
      dir: '/runs/a',
      serial: 3,
      lineage: 'l-1',
      state: parseShowJson('a', { format_version: '1.0', values: { root_module: {} } }),
    });
    expect(out).toMatchObject({ status: 'destroyed', gone: 13 });
    expect(store.searchResources({ runId: 'a', status: 'present', limit: 50, offset: 0 }).total).toBe(0);
    expect(store.searchResources({ runId: 'a', status: 'gone', limit: 50, offset: 0 }).total).toBe(13);
  });

  it('records failures once and keeps resources', () => {
    sync('a');
    expect(store.recordFailure('a', '/runs/a', 'failed', 'boom')).toBe(true);
    expect(store.recordFailure('a', '/runs/a', 'failed', 'boom')).toBe(false);
    expect(store.getDeployment('a')).toMatchObject({ status: 'failed', lastError: 'boom', resourceCount: 13 });
    // The next good sync clears the error even though the state did not change.
    expect(sync('a')).toMatchObject({ changed: true, status: 'active' });
    expect(store.getDeployment('a')?.lastError).toBeNull();
  });
});

describe('resolveRunDir', () => {
  const runs = mkdtempSync(path.join(tmpdir(), 'infraai-runs-'));
  mkdirSync(path.join(runs, 'ok'));
  const outside = mkdtempSync(path.join(tmpdir(), 'infraai-out-'));
  writeFileSync(path.join(outside, 'main.tf'), '');
  symlinkSync(outside, path.join(runs, 'evil'));

  it.each(['..', '.hidden', '/etc', 'a/b', 'a\\b', '', 'x'.repeat(129)])('refuses %j', (name) => {
    expect(() => resolveRunDir(runs, name)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_RUN_ID' }));
  });

  it('refuses a symlink resolving outside RUNS_DIR and accepts a plain directory', () => {
    expect(() => resolveRunDir(runs, 'evil')).toThrow(/outside RUNS_DIR/);
    expect(resolveRunDir(runs, 'ok')).toMatch(/ok$/);
    expect(() => resolveRunDir(runs, 'missing')).toThrow(expect.objectContaining({ code: 'ERR_DEPLOYMENT_NOT_FOUND' }));
  });
});
