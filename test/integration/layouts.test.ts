/**
 * Layouts people use, with real Terraform: local modules outside the run dir, shared modules,
 * per-deployment settings (infraai.yaml), workspaces, and twins in prod/ and staging/.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveResource } from '../../src/alerts/collapse.js';
import { DEFAULT_RESOURCE_LABELS } from '../../src/alerts/normalise.js';
import {
  approve,
  prepareDecision,
  startWithDeployments,
  stateList,
  tf,
  type Harness,
} from '../helpers/executor-harness.js';

const POOL_MODULE = {
  '../modules/pool/main.tf': `variable "size" {
  type = number
}

resource "terraform_data" "pool" {
  input = var.size
}
`,
};

function deploymentUsingPool(size: number): Record<string, string> {
  return {
    'main.tf': `module "pool" {
  source = "../modules/pool"
  size   = ${size}
}

resource "terraform_data" "web" {
  count = 2
}
`,
    ...POOL_MODULE,
  };
}

describe('layouts: local modules outside the run dir', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.service.stop();
    h = undefined;
  });

  it('a deployment calling ../modules/pool scales through the executor: planned, applied, staging removed', async () => {
    h = await startWithDeployments({ prod: deploymentUsingPool(2) });
    const action = await scaleWebToThree(h);
    const r = await approve(h, action.id, action.planSha256 ?? undefined);
    expect(r).toEqual({ ok: true, status: 'approved' });
    const done = h.service.actions.get(action.id)!;
    expect(done.status, done.statusReason ?? '').toBe('applied');
    expect(await stateList(h.runDir('prod'))).toEqual([
      'module.pool.terraform_data.pool',
      'terraform_data.web[0]',
      'terraform_data.web[1]',
      'terraform_data.web[2]',
    ]);
    expect(readFileSync(path.join(h.runDir('prod'), 'main.tf'), 'utf8')).toContain('count = 3');
    // The module itself is untouched, and no staging copy (nor its mirror root) is left behind.
    expect(readFileSync(path.join(h.runsDir, 'modules/pool/main.tf'), 'utf8')).toBe(
      POOL_MODULE['../modules/pool/main.tf'],
    );
    expect(existsSync(path.dirname(action.stagingDir ?? '/nonexistent/x'))).toBe(false);
  }, 120_000);
});

const WEB = `resource "terraform_data" "web" {
  count = 2
}
`;

/** Prepares `count 2 → 3` on prod's terraform_data.web: awaiting approval, the plan creates web[2] only. */
async function scaleWebToThree(harness: Harness) {
  const { action } = await prepareDecision(harness, {
    runId: 'prod',
    address: 'terraform_data.web[0]',
    actionType: 'scale_up',
    parameters: { count: 3 },
  });
  expect(action.status, action.statusReason ?? '').toBe('awaiting_approval');
  const summary = action.planSummary as Array<{ address: string; action: string }>;
  expect(summary.map((s) => `${s.action} ${s.address}`)).toEqual(['create terraform_data.web[2]']);
  return action;
}

function write(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
}

async function ok(dir: string, args: string[]): Promise<void> {
  const r = await tf(dir, [...args, '-no-color']);
  if (r.exitCode !== 0) throw new Error(`terraform ${args.join(' ')}: ${r.stderr}`);
}

describe('layouts: registry, settings file, workspaces, twins', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.service.stop();
    h = undefined;
  });

  it('two deployments calling ../modules/pool: GET /ops/deployments/:run_id lists the module as shared', async () => {
    h = await startWithDeployments({ prod: deploymentUsingPool(2), staging: deploymentUsingPool(1) });
    const r = await h.service.app.inject({ method: 'GET', url: '/ops/deployments/prod' });
    expect(r.statusCode).toBe(200);
    const body = r.json<{ deployment: { local_modules: unknown; settings: unknown } }>();
    expect(body.deployment.local_modules).toEqual([{ dir: 'modules/pool', shared_with: ['staging'] }]);
    expect(body.deployment.settings).toBeNull();
    expect(h.service.registry.sharedModuleUsers?.('prod', 'modules/pool/main.tf')).toEqual({
      moduleDir: 'modules/pool',
      runIds: ['staging'],
    });
    expect(h.service.registry.sharedModuleUsers?.('prod', 'prod/main.tf')).toBeUndefined();
  }, 120_000);

  it('infraai.yaml: var_files reach the plan, the workspace is selected and its state read', async () => {
    h = await startWithDeployments({ other: { 'main.tf': WEB } });
    const dir = h.runDir('prod');
    write(dir, {
      'main.tf': `variable "tag" {
  type    = string
  default = "dev"
}

resource "terraform_data" "web" {
  count = 2
  input = var.tag
}
`,
      'prod.tfvars': 'tag = "prod"\n',
    });
    await ok(dir, ['init', '-input=false']);
    await ok(dir, ['workspace', 'new', 'prod']);
    await ok(dir, ['apply', '-auto-approve', '-input=false', '-var-file=prod.tfvars']);
    // The default workspace stays selected: the sync must select `prod` itself.
    await ok(dir, ['workspace', 'select', 'default']);
    write(dir, {
      'infraai.yaml': 'var_files: [prod.tfvars]\nworkspace: prod\nowners: [team-web]\nlabels:\n  env: prod\n',
    });
    const report = await h.service.registrySync.syncOne('prod');
    expect(report.outcome, report.error).toBe('changed');
    const web = h.service.registry.listByDeployment('prod', 100).filter((x) => x.blockAddress === 'terraform_data.web');
    expect(web.map((x) => x.attributes.input)).toEqual(['prod', 'prod']);
    const got = await h.service.app.inject({ method: 'GET', url: '/ops/deployments/prod' });
    expect(got.json<{ deployment: { settings: unknown } }>().deployment.settings).toEqual({
      var_files: ['prod.tfvars'],
      workspace: 'prod',
      owners: ['team-web'],
      labels: { env: 'prod' },
    });

    // Without -var-file=prod.tfvars the plan would also change web[0] and web[1] back to "dev".
    const action = await scaleWebToThree(h);
    // The plan's input variables: the value in prod.tfvars, not the default.
    expect((action.planJson as { variables?: Record<string, { value: unknown }> }).variables?.tag?.value).toBe('prod');
    await approve(h, action.id, action.planSha256 ?? undefined);
    expect(h.service.actions.get(action.id)?.status).toBe('applied');
    const inProd = await tf(dir, ['state', 'list']);
    expect(inProd.stdout).toContain('terraform_data.web[2]');
  }, 180_000);

  it('prod/staging twins: resolved by the env label of infraai.yaml and by run_id:address; a bad infraai.yaml fails only its deployment', async () => {
    h = await startWithDeployments({ prod: { 'main.tf': WEB }, staging: { 'main.tf': WEB } });
    const reg = h.service.registry;
    const before = resolveResource(reg, ['web'], DEFAULT_RESOURCE_LABELS, { env: 'prod' });
    expect(before.status).toBe('ambiguous');
    write(h.runDir('prod'), { 'infraai.yaml': 'labels:\n  env: prod\n' });
    write(h.runDir('staging'), { 'infraai.yaml': 'labels:\n  env: staging\n' });
    write(h.runDir('broken'), { 'main.tf': WEB, 'infraai.yaml': 'var_file: [prod.tfvars]\n' });
    const reports = await h.service.registrySync.syncAll();
    const broken = reports.find((r) => r.runId === 'broken');
    expect(broken?.outcome).toBe('failed');
    expect(broken?.error).toContain('infraai.yaml');
    expect(broken?.error).toContain('var_file');
    expect(h.service.registry.listDeployments().find((d) => d.runId === 'broken')?.lastError).toContain('var_file');
    expect(reports.filter((r) => r.runId !== 'broken').map((r) => r.outcome)).not.toContain('failed');

    const prod = resolveResource(reg, ['web'], DEFAULT_RESOURCE_LABELS, { env: 'prod', alertname: 'x' });
    expect(prod).toMatchObject({ status: 'matched', runId: 'prod', resourceAddress: 'terraform_data.web' });
    const staging = resolveResource(reg, ['web'], DEFAULT_RESOURCE_LABELS, { env: 'staging' });
    expect(staging).toMatchObject({ status: 'matched', runId: 'staging' });
    expect(resolveResource(reg, ['web'], DEFAULT_RESOURCE_LABELS, { env: 'qa' }).status).toBe('ambiguous');
    const explicit = resolveResource(reg, ['staging:terraform_data.web'], DEFAULT_RESOURCE_LABELS, {});
    expect(explicit).toMatchObject({ status: 'matched', runId: 'staging', resourceAddress: 'terraform_data.web' });
    const instance = resolveResource(reg, ['prod:terraform_data.web[1]'], DEFAULT_RESOURCE_LABELS, {});
    expect(instance).toMatchObject({ status: 'matched', runId: 'prod' });
  }, 180_000);
});
