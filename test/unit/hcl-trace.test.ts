import { beforeAll, describe, expect, it } from 'vitest';
import { editHcl, formatChain, HclParser, type EditResult, type FileSet } from '../../src/hcl/edit.js';

let parser: HclParser;
beforeAll(async () => {
  parser = await HclParser.create();
});

type Ok = Extract<EditResult, { ok: true }>;

async function edit(files: FileSet, address: string, path: string[], value: number, varFiles?: string[]) {
  return editHcl(files, { address, attributePath: path, value, ...(varFiles && { varFiles }) }, parser);
}

function ok(r: EditResult): Ok {
  if (!r.ok) throw new Error(`expected ok, got ${r.code}: ${r.message}`);
  return r;
}

/** The only change is `oldText` → `newText` at one place of `file`; every other file untouched. */
function expectOnly(before: FileSet, r: Ok, file: string, oldText: string, newText: string): void {
  expect(Object.keys(r.files)).toEqual([file]);
  const src = before[file] ?? '';
  const candidates: string[] = [];
  for (let i = src.indexOf(oldText); i >= 0; i = src.indexOf(oldText, i + 1))
    candidates.push(src.slice(0, i) + newText + src.slice(i + oldText.length));
  expect(candidates).toContain(r.files[file]);
}

const POOL_MODULE = `variable "node_pools" {
  type = map(object({ node_count = number }))
}

resource "terraform_data" "pool" {
  for_each = var.node_pools

  input = {
    name       = each.key
    node_count = each.value.node_count # per pool
  }
}
`;

describe('tracing through a local module, a map variable and for_each', () => {
  const files: FileSet = {
    'main.tf': `variable "node_pools" {}

module "gke" {
  source     = "./modules/pool"
  node_pools = var.node_pools
}
`,
    'modules/pool/main.tf': POOL_MODULE,
    'prod.tfvars': `# production sizes
node_pools = {
  default = { node_count = 3 } # keep
  batch   = { node_count = 1 }
}
`,
  };

  it('edits the one map entry in the declared var file and shows the chain', async () => {
    const r = ok(
      await edit(files, 'module.gke.terraform_data.pool["default"]', ['input', 'node_count'], 4, ['prod.tfvars']),
    );
    expectOnly(files, r, 'prod.tfvars', 'node_count = 3', 'node_count = 4');
    expect(formatChain(r.chain)).toBe(
      'module.gke.terraform_data.pool["default"].input.node_count ← each.value.node_count ← module.gke var.node_pools ← prod.tfvars node_pools.default.node_count (line 3): 3 → 4',
    );
    expect(r.chain.steps.map((s) => `${s.kind} ${s.file}:${s.line}`)).toEqual([
      'attribute modules/pool/main.tf:10',
      'for_each modules/pool/main.tf:6',
      'module_argument main.tf:5',
      'tfvars prod.tfvars:3',
    ]);
  });

  it('picks the instance by its key (batch, not default)', async () => {
    const r = ok(
      await edit(files, 'module.gke.terraform_data.pool["batch"]', ['input', 'node_count'], 2, ['prod.tfvars']),
    );
    expect(r.files['prod.tfvars']).toContain('batch   = { node_count = 2 }');
    expect(r.files['prod.tfvars']).toContain('default = { node_count = 3 } # keep');
  });

  it('without the var file declared, nothing sets the variable: refused with the chain so far', async () => {
    const r = await edit(files, 'module.gke.terraform_data.pool["default"]', ['input', 'node_count'], 4);
    expect(r).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    if (!r.ok) expect(r.message).toContain('chain so far: module.gke.terraform_data.pool["default"].input.node_count');
  });

  it('a module outside the run dir (../modules/pool) is followed, keyed relative to the run dir', async () => {
    const outside: FileSet = {
      'main.tf': `module "gke" {
  source = "../modules/pool"
  node_pools = {
    default = { node_count = 3 }
  }
}
`,
      '../modules/pool/main.tf': POOL_MODULE,
    };
    const r = ok(await edit(outside, 'module.gke.terraform_data.pool["default"]', ['input', 'node_count'], 5));
    expectOnly(outside, r, 'main.tf', 'node_count = 3', 'node_count = 5');
    expect(formatChain(r.chain)).toBe(
      'module.gke.terraform_data.pool["default"].input.node_count ← each.value.node_count ← module.gke var.node_pools (line 4): 3 → 5',
    );
  });
});

describe('nested modules and module arguments', () => {
  const files: FileSet = {
    'main.tf': 'module "a" {\n  source = "./modules/outer"\n  size   = 3 # outer size\n}\n',
    'modules/outer/main.tf': 'variable "size" {}\n\nmodule "b" {\n  source = "../inner"\n  count_in = var.size\n}\n',
    'modules/inner/main.tf':
      'variable "count_in" {\n  default = 1\n}\n\nresource "terraform_data" "vm" {\n  input = var.count_in\n}\n',
  };

  it('follows module.a → module.b → the literal on the root module call', async () => {
    const r = ok(await edit(files, 'module.a.module.b.terraform_data.vm', ['input'], 4));
    expectOnly(files, r, 'main.tf', 'size   = 3', 'size   = 4');
    expect(formatChain(r.chain)).toBe(
      'module.a.module.b.terraform_data.vm.input ← module.a.module.b var.count_in ← module.a var.size (line 3): 3 → 4',
    );
  });

  it("falls back to the module variable's default, refused when two calls share the module", async () => {
    const single: FileSet = {
      'main.tf': 'module "a" {\n  source = "./modules/inner"\n}\n',
      'modules/inner/main.tf': files['modules/inner/main.tf'] ?? '',
    };
    const r = ok(await edit(single, 'module.a.terraform_data.vm', ['input'], 2));
    expectOnly(single, r, 'modules/inner/main.tf', 'default = 1', 'default = 2');
    expect(r.chain.steps.map((s) => s.kind)).toEqual(['attribute', 'variable_default']);
    const two = { ...single, 'main.tf': `${single['main.tf']}module "c" {\n  source = "./modules/inner"\n}\n` };
    const refused = await edit(two, 'module.a.terraform_data.vm', ['input'], 2);
    expect(refused).toMatchObject({ ok: false, code: 'AMBIGUOUS' });
    if (!refused.ok) expect(refused.message).toContain('used by module.a, module.c');
  });

  it('refuses a registry or git module: the module code is not ours to edit', async () => {
    for (const source of ['terraform-google-modules/kubernetes-engine/google', 'git::https://example.com/m.git']) {
      const r = await edit(
        { 'main.tf': `module "gke" {\n  source = "${source}"\n}\n` },
        'module.gke.google_container_node_pool.pools["default"]',
        ['node_count'],
        4,
      );
      expect(r).toMatchObject({ ok: false, code: 'MODULE_INTERNAL' });
      if (!r.ok) expect(r.message).toContain("the module's code is not ours to edit");
    }
  });
});

describe('list of objects selected by name (the GKE module shape)', () => {
  const files: FileSet = {
    'main.tf': `variable "node_pools" {
  type = list(object({ name = string, node_count = number }))
}

resource "terraform_data" "pools" {
  for_each = { for p in var.node_pools : p.name => p }
  input    = each.value.node_count
}
`,
    'terraform.tfvars': `node_pools = [
  { name = "default", node_count = 3 },
  { name = "spot", node_count = 3 },
]
`,
  };

  it('edits the element whose name is the instance key', async () => {
    const r = ok(await edit(files, 'terraform_data.pools["spot"]', ['input'], 6));
    expect(r.files['terraform.tfvars']).toBe(
      'node_pools = [\n  { name = "default", node_count = 3 },\n  { name = "spot", node_count = 6 },\n]\n',
    );
    expect(formatChain(r.chain)).toBe(
      'terraform_data.pools["spot"].input ← each.value.node_count ← terraform.tfvars node_pools[name="spot"].node_count (line 3): 3 → 6',
    );
  });
});

describe('locals, count, tfvars.json, auto.tfvars precedence', () => {
  it('a local map of literals', async () => {
    const files: FileSet = {
      'main.tf': `locals {
  sizes = {
    web = 2
  }
}

resource "terraform_data" "web" {
  input = local.sizes.web
}
`,
    };
    const r = ok(await edit(files, 'terraform_data.web', ['input'], 3));
    expectOnly(files, r, 'main.tf', 'web = 2', 'web = 3');
    expect(formatChain(r.chain)).toBe('terraform_data.web.input ← local.sizes.web (line 3): 2 → 3');
  });

  it('count = var.web_count from *.tfvars.json, keeping its layout', async () => {
    const files: FileSet = {
      'main.tf':
        'variable "web_count" {\n  default = 1\n}\n\nresource "terraform_data" "web" {\n  count = var.web_count\n}\n',
      'sizes.auto.tfvars.json': '{\n  "web_count":   2\n}\n',
    };
    const r = ok(await edit(files, 'terraform_data.web[0]', ['count'], 5));
    expect(r.files['sizes.auto.tfvars.json']).toBe('{\n  "web_count":   5\n}\n');
    expect(r.chain.steps.map((s) => s.kind)).toEqual(['count', 'tfvars']);
  });

  it('refuses a variable set in terraform.tfvars AND an auto.tfvars', async () => {
    const r = await edit(
      {
        'main.tf': 'variable "n" {}\nresource "terraform_data" "x" {\n  input = var.n\n}\n',
        'terraform.tfvars': 'n = 1\n',
        'z.auto.tfvars': 'n = 2\n',
      },
      'terraform_data.x',
      ['input'],
      3,
    );
    expect(r).toMatchObject({ ok: false, code: 'AMBIGUOUS' });
    if (!r.ok) expect(r.message).toContain('set in terraform.tfvars and z.auto.tfvars');
  });
});

describe('refusals: computed values and shared values', () => {
  const base = 'variable "a" {\n  default = 2\n}\nvariable "m" {\n  default = { x = 1 }\n}\n';
  for (const [what, expr, reason] of [
    ['arithmetic', 'var.a * 2', 'an arithmetic/logical expression'],
    ['a conditional', 'var.a > 1 ? 3 : 4', 'a conditional'],
    ['lookup() with a default', 'lookup(var.m, "x", 3)', 'a function call (lookup())'],
    ['length()', 'length(var.m)', 'a function call (length())'],
  ] as const) {
    it(`refuses ${what}, saying why`, async () => {
      const r = await edit(
        { 'main.tf': `${base}resource "terraform_data" "x" {\n  input = ${expr}\n}\n` },
        'terraform_data.x',
        ['input'],
        5,
      );
      expect(r).toMatchObject({ ok: false, code: 'NOT_LITERAL' });
      if (!r.ok) expect(r.message).toContain(`is computed by ${reason}`);
    });
  }

  it('refuses a variable two resources read, naming the other one', async () => {
    const r = await edit(
      {
        'main.tf': `${base}resource "terraform_data" "x" {\n  input = var.a\n}\nresource "terraform_data" "y" {\n  input = var.a\n}\n`,
      },
      'terraform_data.x',
      ['input'],
      5,
    );
    expect(r).toMatchObject({ ok: false, code: 'AMBIGUOUS' });
    if (!r.ok) expect(r.message).toContain('the value is shared: terraform_data.y read it too');
  });

  it('refuses a literal on a for_each block (every instance shares it)', async () => {
    const r = await edit(
      {
        'main.tf': 'resource "terraform_data" "p" {\n  for_each = toset(["a", "b"])\n  input = 3\n}\n',
      },
      'terraform_data.p["a"]',
      ['input'],
      5,
    );
    expect(r).toMatchObject({ ok: false, code: 'AMBIGUOUS' });
    if (!r.ok) expect(r.message).toContain('shared by all of them');
  });
});
