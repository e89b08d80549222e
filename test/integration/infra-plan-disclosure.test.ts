/**
 * Before approval, a POST /infra plan shows only what the submitted files state literally. The
 * plan here is real (terraform init/plan/show on a scratch dir); values computed from variables,
 * locals, functions or other resources must not appear anywhere in what is kept.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePlanJson, type PlanJson } from '../../src/plan/plan-json.js';
import { summarisePlan } from '../../src/plan/summary.js';
import { discloseConstantsOnly, HIDDEN, unquoteHidden } from '../../src/infra/plan-disclosure.js';
import { checkPlanConfiguration } from '../../src/infra/terraform-reading.js';
import { INFRA_ALLOW_LIST } from '../../src/infra/allow-list.js';

const env = { TF_CLI_CONFIG_FILE: '/dev/null', CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1' };
let dir: string;

async function planOf(files: Record<string, string>): Promise<PlanJson> {
  dir = mkdtempSync(path.join(tmpdir(), 'infraai-disclose-'));
  for (const [n, t] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, n)), { recursive: true });
    writeFileSync(path.join(dir, n), t);
  }
  for (const args of [
    ['init', '-backend=false', '-input=false'],
    ['plan', '-out=p.tfplan', '-input=false'],
  ]) {
    const r = await execa('terraform', args, { cwd: dir, env, reject: false });
    if (r.exitCode !== 0) throw new Error(`${args[0]}: ${r.stderr}`);
  }
  const shown = await execa('terraform', ['show', '-json', 'p.tfplan'], { cwd: dir, env });
  const parsed = parsePlanJson(shown.stdout);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.plan;
}

describe('constants-only plan disclosure (real plan JSON)', () => {
  let plan: PlanJson;
  beforeAll(async () => {
    plan = await planOf({
      'main.tf': `variable "secret_word" {
  type = string
}
locals {
  derived = "d-\${var.secret_word}"
}
resource "terraform_data" "lit" {
  input = { machine_type = "e2-small", nodes = 3 }
}
resource "terraform_data" "mixed" {
  count            = 2
  input            = local.derived
  triggers_replace = upper("computed-by-a-function")
}
module "m" {
  source = "./m"
  word   = var.secret_word
}
output "lit" {
  value = "plain"
}
output "derived" {
  value = local.derived
}
`,
      'm/main.tf': 'variable "word" {}\nresource "terraform_data" "inner" {\n  input = "inner-${var.word}"\n}\n',
      'terraform.tfvars': 'secret_word = "swordfish-7781"\n',
    });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps literal values, hides every computed one, everywhere in the kept plan', () => {
    const disclosed = discloseConstantsOnly(plan);
    const text = JSON.stringify(disclosed);
    for (const leaked of ['swordfish-7781', 'd-swordfish-7781', 'inner-swordfish-7781', 'COMPUTED-BY-A-FUNCTION'])
      expect(text).not.toContain(leaked);
    // The raw plan did hold them (so the test would notice a leak).
    expect(JSON.stringify(plan)).toContain('inner-swordfish-7781');
    expect(JSON.stringify(plan)).toContain('COMPUTED-BY-A-FUNCTION');
    expect(disclosed.planned_values).toBeUndefined();
    expect(disclosed.variables?.secret_word?.value).toBeNull();
    expect(disclosed.output_changes?.lit?.after).toBe('plain');
    expect(disclosed.output_changes?.derived?.after).toBe(HIDDEN);
  });

  it('the summary shows addresses, actions and literal values; the rest reads (hidden until approved)', () => {
    const items = unquoteHidden(summarisePlan(discloseConstantsOnly(plan)));
    const byAddress = Object.fromEntries(items.map((i) => [i.address, i]));
    expect(Object.keys(byAddress).sort()).toEqual([
      'module.m.terraform_data.inner',
      'terraform_data.lit',
      'terraform_data.mixed[0]',
      'terraform_data.mixed[1]',
    ]);
    expect(items.every((i) => i.action === 'create')).toBe(true);
    const lit = byAddress['terraform_data.lit']!.changes;
    expect(lit).toContainEqual({ path: 'input.machine_type', before: '(none)', after: '"e2-small"' });
    expect(lit).toContainEqual({ path: 'input.nodes', before: '(none)', after: '3' });
    expect(byAddress['terraform_data.mixed[0]']!.changes).toContainEqual({
      path: 'input',
      before: '(none)',
      after: HIDDEN,
    });
    expect(byAddress['terraform_data.mixed[1]']!.changes).toContainEqual({
      path: 'triggers_replace',
      before: '(none)',
      after: HIDDEN,
    });
    expect(byAddress['module.m.terraform_data.inner']!.changes).toContainEqual({
      path: 'input',
      before: '(none)',
      after: HIDDEN,
    });
    expect(byAddress['terraform_data.lit']!.changes).toContainEqual({
      path: 'output',
      before: '(none)',
      after: '(known after apply)',
    });
  });

  it("Terraform's reading of this plan passes the configuration check", () => {
    expect(checkPlanConfiguration(plan.configuration, INFRA_ALLOW_LIST)).toEqual([]);
  });
});

describe("Terraform's reading of a plan: the defence-in-depth check (real plan JSON)", () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it('finds a provisioner, a refused type and a module source in the configuration section', async () => {
    const plan = await planOf({
      'main.tf':
        'resource "terraform_data" "a" {\n  provisioner "local-exec" {\n    command = "true"\n  }\n}\nmodule "m" {\n  source = "./m"\n}\n',
      'm/main.tf':
        'resource "terraform_data" "b" {\n  provisioner "local-exec" {\n    when = destroy\n    command = "true"\n  }\n}\n',
    });
    const problems = checkPlanConfiguration(plan.configuration, INFRA_ALLOW_LIST);
    expect(problems).toEqual([
      "terraform_data.a has a provisioner in Terraform's reading of the plan",
      "module.m.terraform_data.b has a provisioner in Terraform's reading of the plan",
    ]);
    const narrowed = checkPlanConfiguration(plan.configuration, { ...INFRA_ALLOW_LIST, resourceTypes: [] });
    expect(narrowed.filter((p) => /resource type "terraform_data" is not allowed/.test(p))).toHaveLength(2);
    const tampered = JSON.parse(JSON.stringify(plan.configuration).replace('"./m"', '"git::file:///tmp/m"')) as unknown;
    expect(checkPlanConfiguration(tampered, INFRA_ALLOW_LIST)).toContain(
      'module m has source "git::file:///tmp/m" in Terraform\'s reading of the plan',
    );
  });
});
