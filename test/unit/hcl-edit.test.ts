import { beforeAll, describe, expect, it } from 'vitest';
import { editHcl, formatChain, HclParser, readHclValue, type EditResult, type FileSet } from '../../src/hcl/edit.js';
import { planEdit, type HclReader } from '../../src/executor/edit-plan.js';
import { treeSitterHclEditor } from '../../src/executor/hcl-editor-adapter.js';
import { verifyEdit } from '../../src/hcl/verify.js';

let parser: HclParser;
beforeAll(async () => {
  parser = await HclParser.create();
});

const MAIN = `# Größe ✓ 🚀 — unicode above the block shifts byte offsets away from UTF-16 offsets
terraform {
  required_version = ">= 1.5"
}

/* block comment */
resource "terraform_data" "vm" {
  count = 2 # the node count

  input = {
    node_count     = 2 # nodes
    "machine-type" = "e2-small"
    label          = "web-\${var.env}"
    computed       = var.base + 1
    from_var       = var.workers
  }

  autoscaling {
    max_node_count = 5   # upper bound
    enabled        = true
  }

  triggers_replace = local.version
  name             = "abc"
}

resource "terraform_data" "pool" {
  input = var.pool_size
}

variable "workers" {
  type    = number
  default = 3 # fallback
}

variable "pool_size" {
  type = number
}

variable "env" {
  default = "prod"
}
`;

async function edit(
  files: FileSet,
  address: string,
  attributePath: string[],
  value: number | string | boolean,
): Promise<EditResult> {
  return editHcl(files, { address, attributePath, value }, parser);
}

/** Asserts that `after` equals `before` with exactly one substring replaced. */
function expectOnlySplice(before: string, after: string, oldText: string, newText: string): void {
  const at = before.indexOf(oldText);
  expect(at).toBeGreaterThanOrEqual(0);
  const candidates: string[] = [];
  for (let i = before.indexOf(oldText); i >= 0; i = before.indexOf(oldText, i + 1)) {
    candidates.push(before.slice(0, i) + newText + before.slice(i + oldText.length));
  }
  expect(candidates).toContain(after);
}

function ok(r: EditResult): Extract<EditResult, { ok: true }> {
  if (!r.ok) throw new Error(`expected ok, got ${r.code}: ${r.message}`);
  return r;
}

describe('editHcl on literals in the resource block', () => {
  it('changes count and keeps every other byte, comments and unicode included', async () => {
    const r = ok(await edit({ 'main.tf': MAIN }, 'terraform_data.vm', ['count'], 4));
    const after = r.files['main.tf'] ?? '';
    expect(after).toBe(MAIN.replace('count = 2 # the node count', 'count = 4 # the node count'));
    expect(Buffer.byteLength(after) - Buffer.byteLength(MAIN)).toBe(0);
    expect(r.changes).toEqual([{ file: 'main.tf', path: 'terraform_data.vm.count', before: '2', after: '4' }]);
    expect(r.source).toBe('literal');
    expect(r.diff).toContain('-  count = 2 # the node count\n+  count = 4 # the node count');
    expect(r.diff.startsWith('--- a/main.tf\n+++ b/main.tf\n@@ -5,7 +5,7 @@')).toBe(true);
  });

  it('accepts an instance address and edits the block', async () => {
    const r = ok(await edit({ 'main.tf': MAIN }, 'terraform_data.vm[1]', ['count'], 3));
    expect(r.files['main.tf']).toContain('count = 3 # the node count');
  });

  it('edits a nested attribute of an object expression, identifier and quoted keys', async () => {
    const r1 = ok(await edit({ 'main.tf': MAIN }, 'terraform_data.vm', ['input', 'node_count'], 6));
    expectOnlySplice(MAIN, r1.files['main.tf'] ?? '', 'node_count     = 2 # nodes', 'node_count     = 6 # nodes');
    const r2 = ok(await edit({ 'main.tf': MAIN }, 'terraform_data.vm', ['input', 'machine-type'], 'e2-medium'));
    expectOnlySplice(MAIN, r2.files['main.tf'] ?? '', '"e2-small"', '"e2-medium"');
    expect(r2.changes[0]?.path).toBe('terraform_data.vm.input.machine-type');
  });

  it('edits an attribute inside a nested block', async () => {
    const r = ok(await edit({ 'main.tf': MAIN }, 'terraform_data.vm', ['autoscaling', 'max_node_count'], 10));
    expectOnlySplice(
      MAIN,
      r.files['main.tf'] ?? '',
      'max_node_count = 5   # upper bound',
      'max_node_count = 10   # upper bound',
    );
    const b = ok(await edit({ 'main.tf': MAIN }, 'terraform_data.vm', ['autoscaling', 'enabled'], false));
    expect(b.files['main.tf']).toContain('enabled        = false');
  });

  it('returns no change when the value is already set (idempotent)', async () => {
    const r = ok(await edit({ 'main.tf': MAIN }, 'terraform_data.vm', ['count'], 2));
    expect(r.files).toEqual({});
    expect(r.changes).toEqual([]);
    expect(r.diff).toBe('');
  });

  it('keeps a hostile string a quoted string (no HCL injection)', async () => {
    const hostile = '"} resource "terraform_data" "evil" { input = "${file("/etc/passwd")}" %{ if true }x%{ endif }\n';
    const r = ok(await edit({ 'main.tf': MAIN }, 'terraform_data.vm', ['name'], hostile));
    const after = r.files['main.tf'] ?? '';
    expect(after).not.toMatch(/^resource "terraform_data" "evil"/m);
    expect(after.split('\n').length).toBe(MAIN.split('\n').length);
    const back = await readHclValue(r.files, 'terraform_data.vm', ['name'], parser);
    expect(back).toEqual({ ok: true, value: hostile, source: 'literal', file: 'main.tf' });
  });

  it('writes negative and decimal numbers and reads them back', async () => {
    const r = ok(await edit({ 'main.tf': MAIN }, 'terraform_data.vm', ['input', 'node_count'], 2.5));
    expect(r.changes[0]?.after).toBe('2.5');
    const r2 = ok(await edit(r.files, 'terraform_data.vm', ['input', 'node_count'], -1));
    expect(await readHclValue(r2.files, 'terraform_data.vm', ['input', 'node_count'], parser)).toMatchObject({
      ok: true,
      value: -1,
    });
  });
});

describe('editHcl through variables', () => {
  it('edits terraform.tfvars when it sets the variable, keeping its comments', async () => {
    const tfvars = '# sizing\nworkers   = 3 # three\npool_size = 4\n';
    const r = ok(
      await edit({ 'main.tf': MAIN, 'terraform.tfvars': tfvars }, 'terraform_data.vm', ['input', 'from_var'], 5),
    );
    expect(Object.keys(r.files)).toEqual(['terraform.tfvars']);
    expect(r.files['terraform.tfvars']).toBe('# sizing\nworkers   = 5 # three\npool_size = 4\n');
    expect(r.source).toBe('variable');
    expect(r.changes[0]?.path).toBe('workers');
  });

  it('edits a *.auto.tfvars file', async () => {
    const r = ok(
      await edit({ 'main.tf': MAIN, 'b.auto.tfvars': 'pool_size = 2\n' }, 'terraform_data.pool', ['input'], 3),
    );
    expect(r.files).toEqual({ 'b.auto.tfvars': 'pool_size = 3\n' });
  });

  it('edits *.auto.tfvars.json with a text splice that keeps its formatting', async () => {
    const json = '{\n    "pool_size":   2,\n  "other": {"pool_size": 9}\n}\n';
    const r = ok(await edit({ 'main.tf': MAIN, 'sizes.auto.tfvars.json': json }, 'terraform_data.pool', ['input'], 7));
    expect(r.files['sizes.auto.tfvars.json']).toBe('{\n    "pool_size":   7,\n  "other": {"pool_size": 9}\n}\n');
  });

  it("falls back to the variable's default when no tfvars sets it", async () => {
    const r = ok(
      await edit(
        { 'main.tf': MAIN, 'terraform.tfvars': 'pool_size = 1\n' },
        'terraform_data.vm',
        ['input', 'from_var'],
        8,
      ),
    );
    expectOnlySplice(MAIN, r.files['main.tf'] ?? '', 'default = 3 # fallback', 'default = 8 # fallback');
    expect(r.changes[0]?.path).toBe('variable.workers.default');
  });

  it('refuses a variable set in two tfvars files (Terraform would use the last one)', async () => {
    const r = await edit(
      { 'main.tf': MAIN, 'terraform.tfvars': 'workers = 1\n', 'z.auto.tfvars': 'workers = 2\n' },
      'terraform_data.vm',
      ['input', 'from_var'],
      5,
    );
    expect(r).toMatchObject({ ok: false, code: 'AMBIGUOUS' });
  });

  it('refuses a variable without default and without tfvars', async () => {
    const r = await edit({ 'main.tf': MAIN }, 'terraform_data.pool', ['input'], 5);
    expect(r).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    if (!r.ok) expect(r.message).toContain('pool_size');
  });

  it('readHclValue reports the value and where it comes from', async () => {
    expect(
      await readHclValue(
        { 'main.tf': MAIN, 'terraform.tfvars': 'workers = 4\n' },
        'terraform_data.vm',
        ['input', 'from_var'],
        parser,
      ),
    ).toEqual({ ok: true, value: 4, source: 'variable', file: 'terraform.tfvars' });
    expect(await readHclValue({ 'main.tf': MAIN }, 'terraform_data.vm', ['autoscaling', 'enabled'], parser)).toEqual({
      ok: true,
      value: true,
      source: 'literal',
      file: 'main.tf',
    });
  });
});

describe('editHcl refusals', () => {
  const cases: Array<[string, string, string[], string]> = [
    ['an expression', 'terraform_data.vm', ['input', 'computed'], 'NOT_LITERAL'],
    ['an undefined local', 'terraform_data.vm', ['triggers_replace'], 'NOT_FOUND'],
    ['a template with interpolation', 'terraform_data.vm', ['input', 'label'], 'NOT_LITERAL'],
    ['a whole object', 'terraform_data.vm', ['input'], 'NOT_LITERAL'],
    ['a block', 'terraform_data.vm', ['autoscaling'], 'NOT_LITERAL'],
    ['a missing attribute', 'terraform_data.vm', ['input', 'nope'], 'NOT_FOUND'],
    ['a missing resource', 'terraform_data.nope', ['count'], 'NOT_FOUND'],
    [
      'a resource in a module that is not called',
      'module.gke.google_container_node_pool.pool',
      ['node_count'],
      'NOT_FOUND',
    ],
    ['a data source', 'data.terraform_remote_state.x', ['count'], 'INVALID_REQUEST'],
  ];
  for (const [what, address, path, code] of cases) {
    it(`refuses ${what} with ${code}`, async () => {
      const r = await edit({ 'main.tf': MAIN }, address, path, 3);
      expect(r).toMatchObject({ ok: false, code });
      if (!r.ok) expect(r.message.length).toBeGreaterThan(10);
    });
  }

  it('refuses a type change (string into a number attribute)', async () => {
    expect(await edit({ 'main.tf': MAIN }, 'terraform_data.vm', ['count'], '4')).toMatchObject({
      ok: false,
      code: 'INVALID_REQUEST',
    });
  });

  it('refuses values that cannot be a literal', async () => {
    expect(await edit({ 'main.tf': MAIN }, 'terraform_data.vm', ['count'], Number.NaN)).toMatchObject({
      ok: false,
      code: 'INVALID_REQUEST',
    });
  });

  it('refuses a resource declared twice', async () => {
    const dup = 'resource "terraform_data" "vm" {\n  count = 1\n}\n';
    expect(await edit({ 'main.tf': MAIN, 'extra.tf': dup }, 'terraform_data.vm', ['count'], 3)).toMatchObject({
      ok: false,
      code: 'AMBIGUOUS',
    });
  });

  it('reports a syntax error as PARSE_ERROR', async () => {
    expect(
      await edit({ 'main.tf': MAIN, 'bad.tf': 'resource "x" {\n' }, 'terraform_data.vm', ['count'], 3),
    ).toMatchObject({ ok: false, code: 'PARSE_ERROR' });
  });
});

describe('verification with hcl2-parser', () => {
  it('accepts exactly the intended change', () => {
    const after = MAIN.replace('count = 2', 'count = 4');
    expect(verifyEdit('hcl', MAIN, after, ['resource', 'terraform_data', 'vm', 0, 'count'], 4)).toBeUndefined();
  });

  it('catches a splice that also changed something else', () => {
    const wrong = MAIN.replace('count = 2', 'count = 4').replace('max_node_count = 5', 'max_node_count = 6');
    expect(verifyEdit('hcl', MAIN, wrong, ['resource', 'terraform_data', 'vm', 0, 'count'], 4)).toMatch(
      /more than the intended value/,
    );
  });

  it('catches a splice at the wrong place and a broken file', () => {
    const misplaced = MAIN.replace('max_node_count = 5', 'max_node_count = 4');
    expect(verifyEdit('hcl', MAIN, misplaced, ['resource', 'terraform_data', 'vm', 0, 'count'], 4)).toBeDefined();
    expect(
      verifyEdit(
        'hcl',
        MAIN,
        MAIN.replace('count = 2', 'count = '),
        ['resource', 'terraform_data', 'vm', 0, 'count'],
        4,
      ),
    ).toMatch(/does not parse/);
  });
});

describe('attribute paths travel as segment arrays (HclEditor port, planEdit)', () => {
  const DOTTED =
    'resource "terraform_data" "vm" {\n  input = {\n    "team.size" = 2\n    team        = { size = 9 }\n  }\n}\n';

  it('a key containing a dot is addressed as one segment, not split again', async () => {
    const hcl = treeSitterHclEditor();
    expect(await hcl.read({ 'main.tf': DOTTED }, 'terraform_data.vm', ['input', 'team.size'])).toBe(2);
    const r = await hcl.edit(
      { 'main.tf': DOTTED },
      { address: 'terraform_data.vm', attributePath: ['input', 'team.size'], value: 3 },
    );
    expect(r).toMatchObject({ ok: true, files: { 'main.tf': DOTTED.replace('"team.size" = 2', '"team.size" = 3') } });
    expect(r.ok && r.chain !== undefined && formatChain(r.chain)).toBe(
      'terraform_data.vm.input["team.size"] (line 3): 2 → 3',
    );
  });

  it('planEdit splits the decision key once and hands the editor and the plan gate arrays', async () => {
    const seen: string[][] = [];
    const read: HclReader = async (_f, _a, p) => {
      seen.push([...p]);
      return p.join('/') === 'input/autoscaling/max_node_count' ? 5 : undefined;
    };
    const policy = {
      maxChangedResources: () => 5,
      check: () => ({ ok: true as const }),
      allowsDisruption: () => false,
    };
    const plan = await planEdit(
      {
        actionType: 'modify_config',
        targetAddress: 'terraform_data.vm',
        parameters: { 'autoscaling.max_node_count': 6 },
        instances: [],
        files: {},
      },
      read,
      policy,
    );
    expect(seen).toEqual([
      ['autoscaling', 'max_node_count'],
      ['input', 'autoscaling', 'max_node_count'],
    ]);
    expect(plan).toMatchObject({
      kind: 'edit',
      edit: { attributePath: ['input', 'autoscaling', 'max_node_count'], value: 6, from: 5 },
      expectation: { attributePath: ['input', 'autoscaling', 'max_node_count'] },
    });
  });
});

describe('the value chain of an edit', () => {
  it('names the resource attribute for a literal, and the tfvars line for var.NAME', async () => {
    const lit = ok(await edit({ 'main.tf': MAIN }, 'terraform_data.vm', ['count'], 4));
    expect(formatChain(lit.chain)).toBe('terraform_data.vm.count (line 8): 2 → 4');
    const tfvars = '# sizes\nworkers = 4\n';
    const v = ok(
      await edit({ 'main.tf': MAIN, 'terraform.tfvars': tfvars }, 'terraform_data.vm', ['input', 'from_var'], 5),
    );
    expect(formatChain(v.chain)).toBe('terraform_data.vm.input.from_var ← terraform.tfvars workers (line 2): 4 → 5');
    expect(v.chain.steps.map((s) => [s.kind, s.file, s.line])).toEqual([
      ['attribute', 'main.tf', 15],
      ['tfvars', 'terraform.tfvars', 2],
    ]);
  });
});
