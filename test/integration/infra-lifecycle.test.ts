/**
 * POST /infra beyond the guard, through the real app (real SQLite, real Terraform): who may read
 * an unapproved plan, what the plan shows before approval, the re-check before apply, and that a
 * refused or failed deployment never appears in RUNS_DIR.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../src/main.js';
import { startTestService, tempWorkspace, testConfig } from '../helpers/service.js';

const TOKEN = 'infra-lifecycle-token-123456';
const READ_TOKEN = 'infra-lifecycle-read-only-7890';
const auth = { authorization: `Bearer ${TOKEN}` };
const readOnly = { authorization: `Bearer ${READ_TOKEN}` };
const SECRETISH = 'swordfish-from-tfvars-4411';
const FILES = {
  'main.tf': `variable "word" {
  type = string
}
resource "terraform_data" "app" {
  input            = { size = "small", label = "app-\${var.word}" }
  triggers_replace = { size = "small" }
}
output "label" {
  value = terraform_data.app.input.label
}
`,
  'terraform.tfvars': `word = "${SECRETISH}"\n`,
};

type Json = Record<string, unknown>;

function stagingOf(ws: ReturnType<typeof tempWorkspace>): string[] {
  const dir = path.join(path.dirname(ws.dbPath), 'staging');
  return existsSync(dir) ? readdirSync(dir) : [];
}

describe('POST /infra lifecycle with API_TOKEN set', () => {
  let service: Service;
  let ws: ReturnType<typeof tempWorkspace>;
  beforeAll(async () => {
    ws = tempWorkspace('infraai-infra-life-');
    service = await startTestService(testConfig({ API_TOKEN: TOKEN, READ_TOKEN }, ws));
  });
  afterAll(async () => {
    await service.stop();
  });
  const post = (runId: string, files: Record<string, string>) =>
    service.app.inject({ method: 'POST', url: '/infra', payload: { run_id: runId, files }, headers: auth });
  const view = async (id: string, headers: Record<string, string> = {}) =>
    (await service.app.inject({ method: 'GET', url: `/ops/actions/${id}`, headers })).json() as Json;

  it('before approval: values not literal in the files are hidden, the plan output is withheld, readers without the token get none of it', async () => {
    const res = await post('life-1', FILES);
    expect(res.statusCode, res.body).toBe(202);
    const id = (res.json() as { action_id: string }).action_id;
    expect(res.body).not.toContain(SECRETISH);
    const summary = res.json().plan_summary as Array<{
      address: string;
      changes: Array<{ path: string; after: string }>;
    }>;
    // Terraform's configuration says `input` references a variable: all of it is hidden; `triggers_replace` is literal.
    expect(summary[0]!.changes).toContainEqual(
      expect.objectContaining({ path: 'input', after: '(hidden until approved)' }),
    );
    expect(summary[0]!.changes).toContainEqual(
      expect.objectContaining({ path: 'triggers_replace.size', after: '"small"' }),
    );

    const full = await view(id, auth);
    expect(JSON.stringify(full.plan_summary)).not.toContain(SECRETISH);
    expect(JSON.stringify(full.plan_json)).not.toContain(`app-${SECRETISH}`);
    const plan = (full.terraform_output as Array<{ step: string; output: string }>).find((o) => o.step === 'plan');
    expect(plan?.output).toContain('plan output withheld before approval');
    expect(JSON.stringify(full.terraform_output)).not.toContain(`app-${SECRETISH}`);
    expect(full.withheld).toBeUndefined();

    // Without any token the read rule refuses outright; a read-only token sees the action, not the plan.
    const refused = await service.app.inject({ method: 'GET', url: `/ops/actions/${id}` });
    expect(refused.statusCode).toBe(401);
    expect(refused.body).not.toContain(SECRETISH);
    const anonymous = await view(id, readOnly);
    expect(anonymous).toMatchObject({
      plan_summary: null,
      plan_json: null,
      diff: null,
      terraform_output: [],
      status: 'awaiting_approval',
    });
    expect(anonymous.withheld).toMatch(/withheld until it is approved; send the API token/);
    expect(JSON.stringify(anonymous)).not.toContain(SECRETISH);
    const wrong = await service.app.inject({
      method: 'GET',
      url: `/ops/actions/${id}`,
      headers: { authorization: 'Bearer not-the-token' },
    });
    expect(wrong.statusCode).toBe(401);
    const list = (await service.app.inject({ method: 'GET', url: '/ops/actions?run_id=life-1', headers: readOnly }))
      .body;
    expect(list).toContain(id);
    expect(list).not.toContain(SECRETISH);
    expect(
      (await service.app.inject({ method: 'GET', url: '/ops/ledger?limit=500', headers: readOnly })).body,
    ).not.toContain(SECRETISH);

    const ok = await service.app.inject({
      method: 'POST',
      url: `/ops/approve/${id}`,
      headers: auth,
      payload: { plan_sha256: res.json().plan_sha256 },
    });
    expect(ok.statusCode, ok.body).toBe(200);
    await service.executor.idle();
    const after = await view(id, readOnly);
    expect(after.status).toBe('applied');
    expect(after.withheld).toBeUndefined();
    expect(after.plan_summary).not.toBeNull();
    expect(existsSync(path.join(ws.runsDir, 'life-1', 'terraform.tfstate'))).toBe(true);
  });

  it('a staged file changed after the plan is refused at approval time: nothing applied, nothing in RUNS_DIR', async () => {
    const res = await post('life-2', FILES);
    expect(res.statusCode, res.body).toBe(202);
    const id = (res.json() as { action_id: string }).action_id;
    const staging = service.actions.get(id)!.stagingDir!;
    const marker = path.join(tmpdir(), `infraai-life-marker-${process.pid}`);
    // What a restart with an older guard, or a hand on the disk, could leave behind.
    writeFileSync(
      path.join(staging, 'extra.tf'),
      `resource "terraform_data" "x" {\n  provisioner "local-exec" {\n    command = "touch ${marker}"\n  }\n}\n`,
    );
    const ok = await service.app.inject({
      method: 'POST',
      url: `/ops/approve/${id}`,
      headers: auth,
      payload: { plan_sha256: res.json().plan_sha256 },
    });
    expect(ok.statusCode, ok.body).toBe(200);
    await service.executor.idle();
    const a = service.actions.get(id)!;
    expect(a.status).toBe('interrupted');
    expect(a.statusReason).toMatch(
      /^refused before apply: extra\.tf:2: provisioner blocks are not allowed.*nothing applied$/,
    );
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(path.join(ws.runsDir, 'life-2'))).toBe(false);
    expect(existsSync(staging)).toBe(false);
  });

  it('a plan that fails leaves nothing behind, and its reason carries no value', async () => {
    const res = await post('life-3', {
      ...FILES,
      'check.tf': `resource "terraform_data" "guarded" {\n  input = var.word\n  lifecycle {\n    precondition {\n      condition     = var.word == "something else"\n      error_message = "word mismatch"\n    }\n  }\n}\n`,
    });
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toMatchObject({
      status: 'prepare_failed',
      status_reason: 'planning deployment "life-3": Error: Resource precondition failed',
    });
    expect(existsSync(path.join(ws.runsDir, 'life-3'))).toBe(false);
    expect(stagingOf(ws)).toEqual([]);
  });

  it('an apply that fails is destroyed in staging; RUNS_DIR never sees the deployment', async () => {
    const res = await post('life-4', {
      'main.tf':
        'resource "terraform_data" "p" {\n  input = "x"\n  lifecycle {\n    postcondition {\n      condition     = self.output == "never"\n      error_message = "post"\n    }\n  }\n}\n',
    });
    expect(res.statusCode, res.body).toBe(202);
    const id = (res.json() as { action_id: string }).action_id;
    await service.app.inject({
      method: 'POST',
      url: `/ops/approve/${id}`,
      headers: auth,
      payload: { plan_sha256: res.json().plan_sha256 },
    });
    await service.executor.idle();
    expect(service.actions.get(id)!.status).toBe('rolled_back');
    expect(existsSync(path.join(ws.runsDir, 'life-4'))).toBe(false);
    expect(stagingOf(ws)).toEqual([]);
  });

  it('a restart keeps the waiting action, and approving it afterwards still passes through the re-check', async () => {
    const res = await post('life-5', FILES);
    const id = (res.json() as { action_id: string }).action_id;
    await service.stop();
    service = await startTestService(testConfig({ API_TOKEN: TOKEN, READ_TOKEN }, ws));
    expect(service.actions.get(id)!.status).toBe('awaiting_approval');
    writeFileSync(
      path.join(service.actions.get(id)!.stagingDir!, 'main.tf'),
      `${FILES['main.tf']}data "terraform_remote_state" "r" {\n  backend = "local"\n  config = { path = "../x/terraform.tfstate" }\n}\n`,
    );
    await service.app.inject({
      method: 'POST',
      url: `/ops/approve/${id}`,
      headers: auth,
      payload: { plan_sha256: res.json().plan_sha256 },
    });
    await service.executor.idle();
    expect(service.actions.get(id)!.statusReason).toMatch(
      /refused before apply: main\.tf:\d+: data source type "terraform_remote_state" is never allowed/,
    );
    expect(existsSync(path.join(ws.runsDir, 'life-5'))).toBe(false);
  });
});

describe('POST /infra without any token configured (loopback only)', () => {
  let service: Service;
  beforeAll(async () => {
    service = await startTestService(testConfig({}, tempWorkspace('infraai-infra-open-')));
  });
  afterAll(async () => {
    await service.stop();
  });

  it('an unapproved plan shows only addresses and actions to anyone', async () => {
    const res = await service.app.inject({
      method: 'POST',
      url: '/infra',
      payload: { run_id: 'open-1', files: FILES },
    });
    expect(res.statusCode, res.body).toBe(202);
    const id = (res.json() as { action_id: string }).action_id;
    const v = (await service.app.inject({ method: 'GET', url: `/ops/actions/${id}` })).json() as Json;
    expect(v.plan_summary).toEqual([{ address: 'terraform_data.app', action: 'create' }]);
    expect(v).toMatchObject({ plan_json: null, diff: null, terraform_output: [] });
    expect(v.withheld).toMatch(/no API_TOKEN is configured: only addresses and actions/);
  });
});
