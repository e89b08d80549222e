/**
 * Terraform's own reading (init -backend=false, modules.json, graph -type=plan) against the
 * guard's, on real Terraform output: equal readings pass, and every kind of disagreement is
 * named. The disagreements are produced by reading one set of files with the guard and another
 * with Terraform, which is what a parser differential would amount to.
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigGuard, type ConfigView } from '../../src/infra/config-guard.js';
import { compareReadings, parseGraph } from '../../src/infra/terraform-reading.js';
import { TerraformSteps } from '../../src/terraform/steps.js';
import { CliTerraformRunner } from '../../src/terraform/cli-terraform-runner.js';
import { silentLogger } from '../../src/shared/logger.js';

const steps = new TerraformSteps(
  new CliTerraformRunner({ bin: 'terraform', lockTimeoutSeconds: 10, logger: silentLogger }),
  { planMs: 60_000, applyMs: 60_000 },
);
const guard = new ConfigGuard();
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function terraformReading(files: Record<string, string>) {
  const dir = mkdtempSync(path.join(tmpdir(), 'infraai-reading-'));
  dirs.push(dir);
  for (const [n, t] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, n)), { recursive: true });
    writeFileSync(path.join(dir, n), t);
  }
  const init = await steps.initLocal(dir, 60_000);
  expect(init.exitCode, init.stderr).toBe(0);
  const graph = await steps.graph(dir);
  expect(graph.exitCode, graph.stderr).toBe(0);
  let modulesJson: string | undefined;
  try {
    modulesJson = readFileSync(path.join(dir, '.terraform', 'modules', 'modules.json'), 'utf8');
  } catch {
    modulesJson = undefined;
  }
  return { dir, graph: parseGraph(graph.stdout), modulesJson };
}

async function viewOf(files: Record<string, string>): Promise<ConfigView> {
  const r = await guard.check(files);
  if (!r.ok) throw new Error(r.message);
  return r.view;
}

const WITH_MODULES = {
  'main.tf':
    'resource "terraform_data" "a" {\n  count = 2\n}\nmodule "net" {\n  source = "./modules/net"\n}\noutput "o" {\n  value = terraform_data.a[0].id\n}\n',
  'modules/net/main.tf':
    'variable "n" {\n  default = 1\n}\nresource "terraform_data" "vpc" {}\nmodule "sub" {\n  source = "../sub"\n}\n',
  'modules/sub/main.tf': 'resource "terraform_data" "s" {}\nlocals {\n  x = 1\n}\n',
};

describe("Terraform's reading vs the guard's (real terraform init and graph)", () => {
  it('agree on a configuration with nested local modules', async () => {
    const tf = await terraformReading(WITH_MODULES);
    expect(tf.graph).toEqual({
      resources: ['module.net.module.sub.terraform_data.s', 'module.net.terraform_data.vpc', 'terraform_data.a'],
      data: [],
      modules: ['module.net', 'module.net.module.sub'],
      providers: ['terraform.io/builtin/terraform'],
      unknown: [],
    });
    expect(compareReadings(await viewOf(WITH_MODULES), tf.graph, tf.modulesJson, tf.dir)).toEqual([]);
  });

  it('agree on a configuration without modules (init writes no modules.json)', async () => {
    const files = { 'main.tf.json': '{"resource":{"terraform_data":{"a":{},"b":{}}}}' };
    const tf = await terraformReading(files);
    expect(tf.modulesJson).toBeUndefined();
    expect(compareReadings(await viewOf(files), tf.graph, tf.modulesJson, tf.dir)).toEqual([]);
  });

  it('a resource only Terraform reads is named', async () => {
    const tf = await terraformReading({
      'main.tf': 'resource "terraform_data" "a" {}\nresource "terraform_data" "smuggled" {}\n',
    });
    expect(
      compareReadings(
        await viewOf({ 'main.tf': 'resource "terraform_data" "a" {}\n' }),
        tf.graph,
        tf.modulesJson,
        tf.dir,
      ),
    ).toEqual(['resources only Terraform sees: terraform_data.smuggled']);
  });

  it('a resource only the guard reads is named', async () => {
    const tf = await terraformReading({ 'main.tf': 'resource "terraform_data" "a" {}\n' });
    const diffs = compareReadings(
      await viewOf({ 'main.tf': 'resource "terraform_data" "a" {}\nresource "terraform_data" "b" {}\n' }),
      tf.graph,
      tf.modulesJson,
      tf.dir,
    );
    expect(diffs).toEqual(['resources only the guard sees: terraform_data.b']);
  });

  it('a data source and a provider only Terraform reads are named', async () => {
    const tf = await terraformReading({
      'main.tf':
        'resource "terraform_data" "a" {}\ndata "terraform_remote_state" "r" {\n  backend = "local"\n  config = { path = "x" }\n}\n',
    });
    const view = await viewOf({ 'main.tf': 'resource "terraform_data" "a" {}\n' });
    expect(compareReadings(view, tf.graph, tf.modulesJson, tf.dir)).toEqual([
      'data sources only Terraform sees: data.terraform_remote_state.r',
    ]);
    expect(compareReadings({ ...view, providers: [] }, tf.graph, tf.modulesJson, tf.dir)).toContain(
      'providers only Terraform sees: terraform.io/builtin/terraform',
    );
  });

  it('module calls: a module only Terraform installed, a Dir outside the deployment, a non-relative source', async () => {
    const tf = await terraformReading(WITH_MODULES);
    const view = await viewOf(WITH_MODULES);
    const withoutSub = {
      ...view,
      modules: view.modules.filter((m) => m.key !== 'net.sub'),
      resources: view.resources.filter((r) => !r.includes('sub')),
    };
    expect(compareReadings(withoutSub, tf.graph, tf.modulesJson, tf.dir)).toEqual([
      'resources only Terraform sees: module.net.module.sub.terraform_data.s',
      'modules only Terraform sees: module.net.module.sub',
      'Terraform installed module "net.sub", which the guard did not see',
    ]);
    const escaped = (tf.modulesJson ?? '')
      .replace('"Dir":"modules/sub"', '"Dir":"../../etc"')
      .replace('"Source":"../sub"', '"Source":"git::file:///etc"');
    expect(compareReadings(view, tf.graph, escaped, tf.dir)).toEqual([
      'Terraform put module "net.sub" outside the deployment (../../etc)',
      'Terraform read module "net.sub" source as "git::file:///etc", not a relative path',
      'module "net.sub": Terraform reads ../../etc, the guard read modules/sub',
    ]);
    expect(compareReadings(view, tf.graph, '{"Modules": "not a list"}', tf.dir)).toContain(
      '.terraform/modules/modules.json is not what Terraform writes',
    );
  });

  it('graph nodes of kinds this code does not know refuse the configuration', () => {
    const g = parseGraph(
      'digraph {\n "[root] check.c (expand)" [label = "x"]\n "[root] ephemeral.x.y (expand)" -> "[root] root"\n}\n',
    );
    expect(g.unknown).toEqual(['check.c', 'ephemeral.x.y']);
    expect(compareReadings({ resources: [], data: [], modules: [], providers: [] }, g, undefined, '/tmp')[0]).toMatch(
      /nodes InfraAI does not know: check\.c, ephemeral\.x\.y/,
    );
  });
});
