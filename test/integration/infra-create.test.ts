import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../src/main.js';
import { startTestService, tempWorkspace, testConfig } from '../helpers/service.js';

const TOKEN = 'infra-test-token-123456';
const auth = { authorization: `Bearer ${TOKEN}` };

const MAIN = `resource "terraform_data" "web" {
  count = var.replicas
  input = { machine_type = "e2-small" }
}

variable "replicas" {
  type = number
}
`;
const TFVARS = { 'terraform.tfvars': 'replicas = 2\n' };

describe('POST /infra (real SQLite, real terraform)', () => {
  let service: Service;
  let ws: ReturnType<typeof tempWorkspace>;

  beforeAll(async () => {
    ws = tempWorkspace('infraai-infra-');
    service = await startTestService(testConfig({ API_TOKEN: TOKEN }, ws));
  });
  afterAll(async () => {
    await service.stop();
  });

  const post = (payload: unknown, headers: Record<string, string> = auth) =>
    service.app.inject({ method: 'POST', url: '/infra', payload: payload as Record<string, unknown>, headers });
  const counts = () => ({
    decisions: (service.db.prepare('SELECT COUNT(*) AS n FROM decisions').get() as { n: number }).n,
    actions: (service.db.prepare('SELECT COUNT(*) AS n FROM actions').get() as { n: number }).n,
    runs: readdirSync(ws.runsDir),
    staging: existsSync(path.join(path.dirname(ws.dbPath), 'staging'))
      ? readdirSync(path.join(path.dirname(ws.dbPath), 'staging'))
      : [],
  });

  const refusals: Array<[string, unknown, number, RegExp]> = [
    ['a file name with ../', { run_id: 'x1', files: { '../x.tf': MAIN } }, 400, /files/],
    ['an absolute file name', { run_id: 'x1', files: { '/etc/x.tf': MAIN } }, 400, /files/],
    ['a hidden file', { run_id: 'x1', files: { '.hidden.tf': MAIN } }, 400, /files/],
    ['a non-terraform file', { run_id: 'x1', files: { 'main.tf': MAIN, 'run.sh': 'echo' } }, 400, /files/],
    ['a bad run_id', { run_id: '../up', files: { 'main.tf': MAIN } }, 400, /run_id/],
    [
      'a local backend path escaping',
      {
        run_id: 'x1',
        files: { 'main.tf': 'terraform {\n  backend "local" {\n    path = "../../stolen.tfstate"\n  }\n}\n' },
      },
      400,
      /^files\.main\.tf: main\.tf:2: terraform \{ backend \} is not allowed/,
    ],
    [
      'a module source ../',
      { run_id: 'x1', files: { 'main.tf': 'module "m" {\n  source = "../other"\n}\n' } },
      400,
      /^files\.main\.tf: main\.tf: module "m" source "\.\.\/other" points outside the deployment directory/,
    ],
    [
      'local-exec',
      {
        run_id: 'x1',
        files: {
          'main.tf': 'resource "terraform_data" "a" {\n  provisioner "local-exec" {\n    command = "id"\n  }\n}\n',
        },
      },
      400,
      /main\.tf:2: provisioner blocks are not allowed/,
    ],
    [
      'local-exec in .tf.json',
      {
        run_id: 'x1',
        files: {
          'main.tf.json': JSON.stringify({
            resource: { terraform_data: { a: { provisioner: [{ 'local-exec': { command: 'id' } }] } } },
          }),
        },
      },
      400,
      /files\.main\.tf\.json: main\.tf\.json: provisioner blocks are not allowed/,
    ],
    [
      'file() of a host path',
      { run_id: 'x1', files: { 'main.tf': 'resource "terraform_data" "a" {\n  input = file("/etc/passwd")\n}\n' } },
      400,
      /main\.tf:2: function "file" is not allowed/,
    ],
    [
      'invalid HCL',
      { run_id: 'x1', files: { 'main.tf': MAIN, ...TFVARS, 'broken.tf': 'resource "terraform_data" "a" {\n' } },
      400,
      /^files\.broken\.tf: broken\.tf:2: invalid HCL/,
    ],
    [
      'a variable the environment could set',
      { run_id: 'x1', files: { 'main.tf': MAIN } },
      400,
      /variable "replicas" has no value in a submitted terraform\.tfvars/,
    ],
    [
      'a module directory Terraform cannot read',
      { run_id: 'x1', files: { 'main.tf': 'module "m" {\n  source = "./m"\n}\n' } },
      400,
      /module "m" source "\.\/m" names a directory with no submitted configuration files/,
    ],
    [
      'a configuration Terraform itself cannot load (checked before anything is recorded)',
      { run_id: 'x1', files: { 'main.tf': 'terraform {\n  required_version = "> 99.0"\n}\n' } },
      400,
      /^terraform init could not read the configuration: Error: Unsupported Terraform Core version$/,
    ],
    ['an unknown body field', { run_id: 'x1', files: { 'main.tf': MAIN }, extra: 1 }, 400, /.*/],
  ];

  it.each(refusals)('refuses %s and writes nothing', async (_name, body, status, message) => {
    const before = counts();
    const res = await post(body);
    expect(res.statusCode, res.body).toBe(status);
    expect(res.json().error.message).toMatch(message);
    expect(counts()).toEqual(before);
  });

  it('401 without the token (before looking at the body), nothing written', async () => {
    const before = counts();
    const res = await post({ run_id: 'web-2', files: { 'main.tf': MAIN } }, {});
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('ERR_UNAUTHORIZED');
    expect((await post({ nonsense: true }, {})).statusCode).toBe(401);
    expect(counts()).toEqual(before);
  });

  it('plans in staging → awaiting approval (RUNS_DIR untouched) → approve → RUNS_DIR/<run_id> created and registered; duplicate refused', async () => {
    const res = await post({ run_id: 'web-2', files: { 'main.tf': MAIN, ...TFVARS } });
    expect(res.statusCode, res.body).toBe(202);
    const body = res.json() as {
      action_id: string;
      status: string;
      plan_summary: Array<{ address: string; action: string }>;
      plan_sha256: string;
    };
    expect(body.status).toBe('awaiting_approval');
    expect(body.plan_summary.map((p) => `${p.action} ${p.address}`).sort()).toEqual([
      'create terraform_data.web[0]',
      'create terraform_data.web[1]',
    ]);
    expect(existsSync(path.join(ws.runsDir, 'web-2'))).toBe(false);
    const decision = service.db
      .prepare('SELECT d.* FROM decisions d JOIN actions a ON a.decision_id = d.id WHERE a.id = ?')
      .get(body.action_id) as Record<string, unknown>;
    expect(decision).toMatchObject({
      source: 'human',
      action_type: 'create_deployment',
      incident_id: null,
      run_id: 'web-2',
    });

    // The same run_id while the first one waits for approval.
    const dup = await post({ run_id: 'web-2', files: { 'main.tf': MAIN, ...TFVARS } });
    expect(dup.statusCode).toBe(409);

    // Listed for approval like any action, then approved over REST, bound to the plan hash.
    const pending = await service.app.inject({ method: 'GET', url: '/ops/approvals/pending', headers: auth });
    expect(pending.statusCode, pending.body).toBe(200);
    expect(pending.body).toContain(body.action_id);
    // The human source is a typed, valid value in the response schema (not only gemini/rules).
    expect(pending.json().items.find((p: { action_id: string }) => p.action_id === body.action_id)).toMatchObject({
      source: 'human',
    });
    const r = await service.app.inject({
      method: 'POST',
      url: `/ops/approve/${body.action_id}`,
      headers: auth,
      payload: { plan_sha256: body.plan_sha256 },
    });
    expect(r.statusCode, r.body).toBe(200);
    await service.executor.idle();
    const a = service.actions.get(body.action_id)!;
    expect(a.status, a.statusReason ?? '').toBe('applied');
    const dir = path.join(ws.runsDir, 'web-2');
    expect(readFileSync(path.join(dir, 'main.tf'), 'utf8')).toBe(MAIN);
    expect(readFileSync(path.join(dir, 'terraform.tfvars'), 'utf8')).toBe('replicas = 2\n');
    expect(existsSync(path.join(dir, 'terraform.tfstate'))).toBe(true);
    expect(readdirSync(dir).some((f) => f.endsWith('.tfplan'))).toBe(false);
    expect(
      service.registry
        .listByDeployment('web-2', 10)
        .map((x) => x.address)
        .sort(),
    ).toEqual(['terraform_data.web[0]', 'terraform_data.web[1]']);
    expect(service.actions.latestRevision('web-2')?.actionId).toBe(body.action_id);
    expect(service.actions.statusHistory(body.action_id).map((h) => h.status)).toEqual([
      'proposed',
      'preparing',
      'awaiting_approval',
      'approved',
      'applying',
      'applied',
    ]);

    const view = await service.app.inject({ method: 'GET', url: `/ops/actions/${body.action_id}`, headers: auth });
    expect(view.statusCode).toBe(200);
    expect(view.json().result).toMatchObject({ success: true, new_run_id: a.revisionId });
    expect(
      (await service.app.inject({ method: 'GET', url: `/ops/decisions/${decision.id as string}`, headers: auth }))
        .statusCode,
    ).toBe(200);

    const again = await post({ run_id: 'web-2', files: { 'main.tf': MAIN, ...TFVARS } });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.message).toContain('already exists');
  });

  it('a run dir that already exists on disk (not yet synced) is refused', async () => {
    mkdirSync(path.join(ws.runsDir, 'on-disk'));
    const res = await post({ run_id: 'on-disk', files: { 'main.tf': MAIN, ...TFVARS } });
    expect(res.statusCode).toBe(409);
  });

  it('invalid Terraform (validate fails) is recorded as prepare_failed with the reason; nothing in RUNS_DIR', async () => {
    const res = await post({
      run_id: 'bad-ref',
      files: { 'main.tf': 'resource "terraform_data" "a" {\n  input = var.missing\n}\n' },
    });
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toMatchObject({
      status: 'prepare_failed',
      status_reason: expect.stringMatching(/validating deployment "bad-ref"/),
    });
    expect(existsSync(path.join(ws.runsDir, 'bad-ref'))).toBe(false);
  });
});
