import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../src/main.js';
import { startTestService, tempWorkspace, testConfig } from '../helpers/service.js';

const DEMO = new URL('../../terraform-runs/demo/', import.meta.url).pathname;
const CANARY = 'canary-Rg7Kp2Wq9Xz4';
const API_TOKEN = 'test-api-token-123';
const auth = { authorization: `Bearer ${API_TOKEN}` };

const SECRET_TF = `
variable "db_password" {
  type      = string
  sensitive = true
  default   = "${CANARY}"
}
resource "terraform_data" "db" {
  input = { name = "db-1", password = var.db_password }
}
# An unmarked copy: terraform does not carry the sensitivity mark through nonsensitive().
resource "terraform_data" "copy" {
  input = { name = "copy", dsn = "postgres://app:\${nonsensitive(var.db_password)}@db" }
}
`;

describe('registry sync against real terraform', () => {
  let service: Service;
  let ws: ReturnType<typeof tempWorkspace>;

  beforeAll(async () => {
    ws = tempWorkspace('infraai-registry-');
    cpSync(DEMO, path.join(ws.runsDir, 'demo'), { recursive: true });
    mkdirSync(path.join(ws.runsDir, 'secrets'));
    writeFileSync(path.join(ws.runsDir, 'secrets', 'main.tf'), SECRET_TF);
    writeFileSync(path.join(ws.runsDir, 'secrets', '.infraai-bootstrap'), '');
    mkdirSync(path.join(ws.runsDir, 'broken'));
    writeFileSync(path.join(ws.runsDir, 'broken', 'main.tf'), 'module "m" {\n  source = "./missing"\n}\n');
    mkdirSync(path.join(ws.runsDir, '.infraai'));
    writeFileSync(path.join(ws.runsDir, '.infraai', 'main.tf'), 'resource "terraform_data" "x" {}\n');
    const outside = mkdtempSync(path.join(tmpdir(), 'infraai-outside-'));
    writeFileSync(path.join(outside, 'main.tf'), 'resource "terraform_data" "x" {}\n');
    symlinkSync(outside, path.join(ws.runsDir, 'escape'));
    service = await startTestService(testConfig({ API_TOKEN }, ws));
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
  });

  it('bootstraps the demo at start and serves its resources at /ops/resources', async () => {
    expect(existsSync(path.join(ws.runsDir, 'demo', 'terraform.tfstate'))).toBe(true);
    const res = await service.app.inject({ method: 'GET', url: '/ops/resources?run_id=demo', headers: auth });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.items.map((r: { address: string }) => r.address).sort()).toEqual([
      'terraform_data.pool[0]',
      'terraform_data.pool[1]',
      'terraform_data.vm',
      'terraform_data.web',
    ]);
    const web = body.items.find((r: { address: string }) => r.address === 'terraform_data.web');
    expect(web.attributes.input).toEqual({ name: 'web', replicas: 2 });
    const demo = service.registry.getDeployment('demo');
    expect(demo).toMatchObject({ status: 'active', resourceCount: 4, lastError: null });
    expect(demo?.stateSerial).toBeGreaterThan(0);
    expect(demo?.stateLineage).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('reports a deployment that cannot be initialised as failed without stopping the start', () => {
    const broken = service.startupSync.find((r) => r.runId === 'broken');
    expect(broken?.outcome).toBe('failed');
    expect(service.registry.getDeployment('broken')).toMatchObject({ status: 'failed' });
    expect(service.registry.getDeployment('broken')?.lastError).toMatch(/initialising "broken": terraform exited 1/);
  });

  it('ignores dot-dirs and refuses a symlink leading out of RUNS_DIR', async () => {
    expect(service.registry.getDeployment('.infraai')).toBeUndefined();
    const escape = service.startupSync.find((r) => r.runId === 'escape');
    expect(escape?.error).toMatch(/outside RUNS_DIR/);
    expect(service.registry.getDeployment('escape')).toBeUndefined();
    const res = await service.app.inject({
      method: 'POST',
      url: '/ops/registry/sync',
      headers: auth,
      payload: { run_id: 'escape' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('ERR_INVALID_RUN_ID');
  });

  it('looks resources up by pool, name, labels and address; a whole count block matches its first instance', () => {
    const pool = service.registry.lookup('web-pool');
    expect(pool).toMatchObject({
      status: 'matched',
      resource: { address: 'terraform_data.pool[0]', blockAddress: 'terraform_data.pool' },
    });
    expect(service.registry.lookup('vm-1')).toMatchObject({
      status: 'matched',
      resource: { address: 'terraform_data.vm' },
    });
    expect(service.registry.lookup('team=sre')).toMatchObject({
      status: 'matched',
      resource: { address: 'terraform_data.vm' },
    });
    expect(service.registry.lookup('nope')).toMatchObject({ status: 'unknown' });
  });

  it('re-syncing unchanged deployments writes nothing', async () => {
    const before = service.registry.getDeployment('demo');
    const changes = () => (service.db.prepare('SELECT total_changes() AS n').get() as { n: number }).n;
    const n0 = changes();
    const res = await service.app.inject({
      method: 'POST',
      url: '/ops/registry/sync',
      headers: auth,
      payload: { run_id: 'demo' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().reports[0]).toMatchObject({ run_id: 'demo', outcome: 'unchanged' });
    expect(changes()).toBe(n0);
    expect(service.registry.getDeployment('demo')?.updatedAt).toBe(before?.updatedAt);
  });

  it('marks a resource removed from the state as gone, and present again when it returns', async () => {
    const dir = path.join(ws.runsDir, 'demo');
    const original = readFileSync(path.join(dir, 'main.tf'), 'utf8');
    const withoutVm = original.replace(/resource "terraform_data" "vm" \{[\s\S]*?\n\}\n/, '');
    expect(withoutVm).not.toContain('"vm"');
    const apply = async () => {
      const r = await service.terraform.run(['apply', '-auto-approve'], { cwd: dir, timeoutMs: 60_000 });
      expect(r.exitCode, r.stderr).toBe(0);
    };
    const seen: string[] = [];
    const unsubscribe = service.events.subscribe((e) => {
      if (e.type === 'registry.synced') seen.push(e.runId);
    });
    writeFileSync(path.join(dir, 'main.tf'), withoutVm);
    await apply();
    const gone = await service.registrySync.syncOne('demo');
    unsubscribe();
    expect(seen).toEqual(['demo']);
    expect(gone).toMatchObject({ outcome: 'changed', counts: { gone: 1 } });
    expect(service.registry.get('demo', 'terraform_data.vm')?.status).toBe('gone');
    expect(service.registry.lookup('vm-1').status).toBe('unknown');
    writeFileSync(path.join(dir, 'main.tf'), original);
    await apply();
    const back = await service.registrySync.syncOne('demo');
    expect(back.counts?.revived).toBe(1);
    expect(service.registry.get('demo', 'terraform_data.vm')?.status).toBe('present');
  }, 60_000);

  it('keeps the canary secret out of the database file and the WAL', () => {
    const db = service.registry.get('secrets', 'terraform_data.copy');
    expect((db?.attributes['input'] as Record<string, unknown>)['dsn']).toBe('postgres://app:[REDACTED]@db');
    service.db.pragma('wal_checkpoint(PASSIVE)');
    for (const suffix of ['', '-wal', '-shm']) {
      const file = `${ws.dbPath}${suffix}`;
      if (!existsSync(file)) continue;
      expect(readFileSync(file).includes(Buffer.from(CANARY)), file).toBe(false);
    }
    expect(readFileSync(path.join(ws.runsDir, 'secrets', 'terraform.tfstate')).includes(Buffer.from(CANARY))).toBe(
      true,
    );
  });
});
