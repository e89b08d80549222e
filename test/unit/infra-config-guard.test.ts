import { describe, expect, it } from 'vitest';
import { INFRA_ALLOW_LIST, type InfraAllowList } from '../../src/infra/allow-list.js';
import { ConfigGuard } from '../../src/infra/config-guard.js';

const guard = new ConfigGuard();
const TFVARS = { 'terraform.tfvars': 'replicas = 2\n' };
const res = (body: string) => `resource "terraform_data" "a" {\n${body}\n}\n`;

async function refusal(files: Record<string, string>, g = guard): Promise<string> {
  const r = await g.check(files, { requireTfvars: true });
  if (r.ok) throw new Error(`accepted: ${JSON.stringify(files)}`);
  return r.findings.map((f) => f.message).join('\n');
}

describe('configuration guard: what is accepted', () => {
  it('an ordinary deployment: resources, variables set by tfvars, locals, outputs, lifecycle, pure functions, heredocs', async () => {
    const r = await guard.check(
      {
        'main.tf': `terraform {
  required_version = ">= 1.4"
}
variable "replicas" {
  type = number
  validation {
    condition     = var.replicas > 0 && var.replicas < 10
    error_message = "1..9"
  }
}
variable "tags" {
  type = map(object({ owner = optional(string, "ops") }))
}
locals {
  name = format("web-%s", lower("POOL"))
  all  = merge({ a = 1 }, { b = length([1, 2]) })
  text = <<-EOT
    pool \${local.name} in \${path.module}
    %{ for k in keys(local.all) }\${upper(k)} %{ endfor }
  EOT
}
resource "terraform_data" "web" {
  count = var.replicas # comment with file("/etc/passwd") in it
  input = { machine_type = "e2-small", name = "\${local.name}-\${count.index}", tags = jsonencode(var.tags), escaped = "$\${upper(\\"x\\")} $\${HOME}" }
  lifecycle {
    create_before_destroy = true
    precondition {
      condition     = can(regex("^web", local.name))
      error_message = "name"
    }
  }
}
output "names" {
  value = [for w in terraform_data.web : w.output]
}
`,
        'terraform.tfvars': 'replicas = 2\ntags = { a = { owner = "me" }, "b-c" = {} }\n',
        'extra.tf.json': JSON.stringify({
          resource: { terraform_data: { b: { input: '${upper("x")}', count: 1 } } },
          output: { o: { value: '${terraform_data.b.output}' } },
          '//': 'comment',
        }),
        'x.auto.tfvars.json': JSON.stringify({ unused: [1, 'two', { three: null }] }),
      },
      { requireTfvars: true },
    );
    expect(r).toEqual({
      ok: true,
      view: {
        resources: ['terraform_data.b', 'terraform_data.web'],
        data: [],
        modules: [],
        providers: ['terraform.io/builtin/terraform'],
      },
    });
  });

  it('local modules inside the deployment, followed and addressed like Terraform does', async () => {
    const r = await guard.check(
      {
        'main.tf': 'module "net" {\n  source = "./modules/net"\n  cidr = "10.0.0.0/16"\n}\n',
        'modules/net/main.tf':
          'variable "cidr" {}\nresource "terraform_data" "vpc" {\n  input = cidrsubnet(var.cidr, 8, 1)\n}\nmodule "sub" {\n  source = "../sub"\n}\n',
        'modules/sub/main.tf.json': '{"resource":{"terraform_data":{"s":{}}}}',
      },
      { requireTfvars: true },
    );
    expect(r.ok && r.view).toEqual({
      resources: ['module.net.module.sub.terraform_data.s', 'module.net.terraform_data.vpc'],
      data: [],
      modules: [
        { key: 'net', source: './modules/net', dir: 'modules/net' },
        { key: 'net.sub', source: '../sub', dir: 'modules/sub' },
      ],
      providers: ['terraform.io/builtin/terraform'],
    });
  });
});

describe('configuration guard: provisioners and connections, however written', () => {
  it.each([
    ['local-exec', res('  provisioner "local-exec" {\n    command = "id"\n  }')],
    ['remote-exec', res('  provisioner "remote-exec" {\n    inline = ["id"]\n  }')],
    ['file provisioner', res('  provisioner "file" {\n    source = "/etc/passwd"\n    destination = "/tmp/x"\n  }')],
    ['destroy-time local-exec', res('  provisioner "local-exec" {\n    when = destroy\n    command = "id"\n  }')],
    ['a connection block', res('  connection {\n    host = "10.0.0.1"\n  }')],
    ['a dynamic "provisioner"', res('  dynamic "provisioner" {\n    for_each = [1]\n    content {}\n  }')],
    [
      'a provisioner nested in another block',
      res('  lifecycle {\n    provisioner "local-exec" {\n      command = "id"\n    }\n  }'),
    ],
    ['an unquoted label', res('  provisioner local-exec {\n    command = "id"\n  }')],
  ])('HCL: %s', async (_n, text) => {
    expect(await refusal({ 'main.tf': text })).toMatch(/main\.tf:\d+: (provisioner|connection) blocks are not allowed/);
  });

  it.each([
    ['object form', { resource: { terraform_data: { a: { provisioner: { 'local-exec': { command: 'id' } } } } } }],
    [
      'array form',
      { resource: [{ terraform_data: [{ a: [{ provisioner: [{ 'local-exec': [{ command: 'id' }] }] }] }] }] },
    ],
    ['odd case', { resource: { terraform_data: { a: { Provisioner: { 'local-exec': { command: 'id' } } } } } }],
    ['connection', { resource: { terraform_data: { a: { connection: { host: 'h' } } } } }],
    [
      'dynamic provisioner',
      { resource: { terraform_data: { a: { dynamic: { provisioner: { for_each: [1], content: {} } } } } } },
    ],
  ])('JSON: %s', async (_n, doc) => {
    expect(await refusal({ 'main.tf.json': JSON.stringify(doc) })).toMatch(
      /main\.tf\.json: (provisioner|connection|Provisioner) blocks are not allowed/,
    );
  });

  it('in a local module, too', async () => {
    expect(
      await refusal({
        'main.tf': 'module "m" {\n  source = "./m"\n}\n',
        'm/main.tf': res('  provisioner "local-exec" {\n    command = "id"\n  }'),
      }),
    ).toMatch(/m\/main\.tf:2: provisioner blocks are not allowed/);
  });
});

describe('configuration guard: functions, decided on the parsed expression', () => {
  const fileReads: Array<[string, string]> = [
    ['file()', 'input = file("/etc/passwd")'],
    ['a block comment before the parenthesis', 'input = file/**/("/etc/passwd")'],
    ['filebase64 /*c*/ ( of /proc/self/environ', 'input = filebase64 /*c*/ ("/proc/self/environ")'],
    ['a # comment and a newline before the parenthesis', 'input = file #c\n("/etc/passwd")'],
    ['a // comment before the parenthesis', 'input = file //c\n("/etc/passwd")'],
    ['a nested template call', 'input = "${upper(file("x"))}"'],
    ['a heredoc interpolation', 'input = <<EOT\nvalue: ${file("/etc/hostname")}\nEOT'],
    ['an indented heredoc', 'input = <<-EOT\n    ${filebase64("/etc/hostname")}\n    EOT'],
    ['a template directive', 'input = "%{ if fileexists("/etc/shadow") }yes%{ endif }"'],
    ['a for expression', 'input = [for f in fileset("/", "etc/*") : f]'],
    ['templatefile', 'input = templatefile("/etc/passwd", {})'],
    ['filesha256', 'input = filesha256("/etc/passwd")'],
    ['abspath', 'input = abspath(".")'],
    ['pathexpand', 'input = pathexpand("~/.ssh/id_rsa")'],
    ['dirname', 'input = dirname("/etc/passwd")'],
    ['inside a conditional', 'input = true ? "x" : file("/etc/passwd")'],
    ['inside an object key', 'input = { (file("/etc/passwd")) = 1 }'],
    ['inside count', 'count = length(file("/etc/passwd"))'],
    ['inside try()', 'input = try(file("/etc/passwd"), "")'],
  ];
  it.each(fileReads)('refuses %s', async (_n, attr) => {
    expect(await refusal({ 'main.tf': res(`  ${attr}`) })).toMatch(
      /main\.tf:\d+: function "(file\w*|templatefile|abspath|pathexpand|dirname)" is not allowed: filesystem functions/,
    );
  });

  it.each([
    ['a provider-defined function', 'provider::terraform::decode_tfvars("a = 1")', /provider-defined functions/],
    ['templatestring (renders a template at plan time)', 'templatestring("x", {})', /"templatestring" is not allowed/],
    ['nonsensitive (unmasks values)', 'nonsensitive("x")', /"nonsensitive" is not allowed/],
    ['an unknown function', 'evil("x")', /"evil" is not allowed/],
    ['a type constructor outside a type', 'list("x")', /"list" is not allowed/],
  ])('refuses %s', async (_n, expr, why) => {
    expect(await refusal({ 'main.tf': `locals {\n  x = ${expr}\n}\n` })).toMatch(why);
  });

  it.each([
    [
      'a variable validation',
      'variable "v" {\n  validation {\n    condition = fileexists("/x")\n    error_message = "e"\n  }\n}\n',
    ],
    [
      'an output precondition',
      'output "o" {\n  value = 1\n  precondition {\n    condition = file("/x") != ""\n    error_message = "e"\n  }\n}\n',
    ],
    ['a module input', 'module "m" {\n  source = "./m"\n  v = file("/etc/passwd")\n}\n'],
    ['a variable default', 'variable "v" {\n  default = file("/etc/passwd")\n}\n'],
  ])('refuses filesystem functions in %s', async (_n, text) => {
    expect(await refusal({ 'main.tf': text, 'm/main.tf': 'variable "v" {}\n', 'terraform.tfvars': 'v = 1\n' })).toMatch(
      /function "file\w*" is not allowed/,
    );
  });

  it.each([
    ['a template value', { locals: { x: '${file("/etc/passwd")}' } }],
    ['a comment inside the interpolation', { locals: { x: '${file /* c */ ("/etc/passwd")}' } }],
    ['a multi-line string', { locals: { x: 'line\n${filebase64("/proc/self/environ")}\nline' } }],
    ['an object key (keys are templates too)', { locals: { x: { '${file("/etc/passwd")}': 1 } } }],
    [
      'a resource attribute',
      { resource: { terraform_data: { a: { input: ['ok', { deep: '%{ if fileexists("/x") }y%{ endif }' }] } } } },
    ],
    ['an output', { output: { o: { value: '${templatefile("/etc/passwd", {})}' } } }],
  ])('JSON strings are templates: refuses %s', async (_n, doc) => {
    expect(await refusal({ 'main.tf.json': JSON.stringify(doc) })).toMatch(
      /main\.tf\.json: function "(file\w*|templatefile)" is not allowed/,
    );
  });

  it('path.cwd (and any path attribute but module/root) is refused; path.module is fine', async () => {
    expect(await refusal({ 'main.tf': 'locals {\n  a = path.cwd\n}\n' })).toMatch(/"path\.cwd" is not allowed/);
    expect(await refusal({ 'main.tf': 'locals {\n  a = path["cwd"]\n}\n' })).toMatch(/"path" is not allowed/);
    expect(await refusal({ 'main.tf.json': '{"locals":{"a":"${path.cwd}/x"}}' })).toMatch(/"path\.cwd" is not allowed/);
    expect((await guard.check({ 'main.tf': 'locals {\n  a = "${path.module}/${path.root}"\n}\n' })).ok).toBe(true);
  });
});

describe('configuration guard: data sources, types, blocks', () => {
  it.each([
    [
      'terraform_remote_state with a path from a variable',
      'data "terraform_remote_state" "r" {\n  backend = "local"\n  config = { path = var.p }\n}\n',
      /data source type "terraform_remote_state" is never allowed/,
    ],
    [
      'external',
      'data "external" "x" {\n  program = ["sh", "-c", "id"]\n}\n',
      /data source type "external" is never allowed/,
    ],
    [
      'any data source',
      'data "http" "x" {\n  url = "http://127.0.0.1"\n}\n',
      /data source type "http" is not allowed \(allowed: none\)/,
    ],
    [
      'null_resource',
      'resource "null_resource" "n" {}\n',
      /resource type "null_resource" is not allowed \(allowed: terraform_data\)/,
    ],
    [
      'local_file',
      'resource "local_file" "f" {\n  filename = "../../.bashrc"\n  content = "x"\n}\n',
      /resource type "local_file" is never allowed/,
    ],
    [
      'a backend',
      'terraform {\n  backend "local" {\n    path = "../../stolen.tfstate"\n  }\n}\n',
      /terraform \{ backend \} is not allowed/,
    ],
    ['an s3 backend', 'terraform {\n  backend "s3" {}\n}\n', /terraform \{ backend \}/],
    ['a cloud block', 'terraform {\n  cloud {\n    organization = "x"\n  }\n}\n', /terraform \{ cloud \}/],
    ['provider_meta', 'terraform {\n  provider_meta "x" {}\n}\n', /terraform \{ provider_meta \}/],
    ['experiments', 'terraform {\n  experiments = []\n}\n', /terraform \{ experiments \}/],
    [
      'a provider not on the list',
      'terraform {\n  required_providers {\n    google = { source = "hashicorp/google" }\n  }\n}\n',
      /provider "google" is not allowed/,
    ],
    [
      'the built-in provider from elsewhere',
      'terraform {\n  required_providers {\n    terraform = { source = "evil/terraform" }\n  }\n}\n',
      /must come from "terraform\.io\/builtin\/terraform"/,
    ],
    ['a provider block not on the list', 'provider "aws" {\n  region = "x"\n}\n', /provider "aws" is not allowed/],
    [
      'a check block (scoped data sources)',
      'check "c" {\n  data "http" "x" {\n    url = "http://x"\n  }\n}\n',
      /block type "check" is not allowed/,
    ],
    [
      'a removed block (it can carry provisioners)',
      'removed {\n  from = terraform_data.a\n  provisioner "local-exec" {\n    when = destroy\n    command = "id"\n  }\n}\n',
      /block type "removed" is not allowed/,
    ],
    ['an import block', 'import {\n  to = terraform_data.a\n  id = "x"\n}\n', /block type "import" is not allowed/],
    ['an ephemeral block', 'ephemeral "x" "y" {}\n', /block type "ephemeral" is not allowed/],
    ['a top-level argument', 'x = 1\n', /top-level argument "x" is not allowed/],
    ['an escaped type label', 'data "\\u0074erraform_remote_state" "r" {}\n', /plain label/],
  ])('refuses %s', async (_n, text, why) => {
    expect(await refusal({ 'main.tf': text })).toMatch(why);
  });

  it.each([
    [
      'terraform_remote_state',
      { data: { terraform_remote_state: { r: { backend: 'local', config: { path: '${var.p}' } } } } },
      /"terraform_remote_state" is never allowed/,
    ],
    ['a backend', { terraform: { backend: { local: { path: '/tmp/x' } } } }, /terraform \{ backend \}/],
    [
      'a cloud block in an array',
      { terraform: [{ required_version: '>= 1' }, { cloud: {} }] },
      /terraform \{ cloud \}/,
    ],
    ['an unknown top-level key', { moved: { from: 'a', to: 'b' } }, /block type "moved" is not allowed/],
    ['a label needing escapes', { resource: { terraform_data: { 'a b': {} } } }, /label "a b" is not a plain name/],
    ['a non-object document', [1, 2], /must hold one JSON object/],
  ])('JSON: refuses %s', async (_n, doc, why) => {
    expect(await refusal({ 'main.tf.json': JSON.stringify(doc) })).toMatch(why);
  });

  it('never-allowed types stay refused even when a list names them', async () => {
    const loose: InfraAllowList = { ...INFRA_ALLOW_LIST, dataSourceTypes: ['terraform_remote_state', 'external'] };
    expect(await refusal({ 'main.tf': 'data "external" "x" {}\n' }, new ConfigGuard(loose))).toMatch(/never allowed/);
  });

  it('provider blocks: only listed providers, only listed arguments', async () => {
    const withFake: InfraAllowList = {
      ...INFRA_ALLOW_LIST,
      resourceTypes: ['terraform_data', 'fake_thing'],
      providers: {
        ...INFRA_ALLOW_LIST.providers,
        fake: { source: 'registry.terraform.io/infraai/fake', arguments: ['region'] },
      },
    };
    const g = new ConfigGuard(withFake);
    const ok = await g.check({
      'main.tf':
        'terraform {\n  required_providers {\n    fake = { source = "infraai/fake" }\n  }\n}\nprovider "fake" {\n  region = "eu"\n}\nprovider "fake" {\n  alias = "b"\n  region = "us"\n}\nresource "fake_thing" "t" {\n  provider = fake.b\n}\n',
    });
    expect(ok.ok && ok.view.providers).toEqual(['registry.terraform.io/infraai/fake']);
    expect(await refusal({ 'main.tf': 'provider "fake" {\n  credentials = "/home/me/.creds"\n}\n' }, g)).toMatch(
      /provider "fake" argument "credentials" is not allowed \(allowed: alias, region\)/,
    );
    expect(await refusal({ 'main.tf': 'provider "fake" {\n  region = file("/etc/region")\n}\n' }, g)).toMatch(
      /function "file"/,
    );
  });
});

describe('configuration guard: module sources', () => {
  it.each([
    ['git::file://', 'git::file:///srv/other-deployment'],
    ['file://', 'file:///etc'],
    ['github.com', 'github.com/evil/module'],
    ['a registry address', 'hashicorp/consul/aws'],
    ['https', 'https://example.com/m.zip'],
    ['s3::', 's3::https://bucket/m.zip'],
    ['an absolute path', '/opt/modules/x'],
    ['a Windows path', 'C:\\modules\\x'],
    ['../../ out of the deployment', '../../other'],
    ['../ out of the deployment', '../x'],
    ['a sub-directory selector', './m//sub'],
    ['a query string', './m?ref=v1'],
    ['a backslash', '.\\m'],
    ['a hidden directory', './.terraform/modules/x'],
    ['the deployment itself (a cycle)', './'],
    ['a directory with no files', './missing'],
  ])('refuses %s', async (_n, source) => {
    expect(
      await refusal({
        'main.tf': `module "m" {\n  source = "${source.replace(/\\/g, '\\\\')}"\n}\n`,
        'm/main.tf': 'resource "terraform_data" "x" {}\n',
      }),
    ).toMatch(/module (source|"m")/);
  });

  it.each([
    ['a source from a variable', 'module "m" {\n  source = var.s\n}\n', /needs a literal string source/],
    ['a templated source', 'module "m" {\n  source = "./${var.s}"\n}\n', /needs a literal string source/],
    [
      'a version (registry only)',
      'module "m" {\n  source = "./m"\n  version = "1.0"\n}\n',
      /"version" is only for registry modules/,
    ],
    ['a module that calls its caller back', 'module "m" {\n  source = "./m"\n}\n', /cycle/],
  ])('refuses %s', async (_n, text, why) => {
    expect(
      await refusal({
        'main.tf': text,
        'm/main.tf': 'module "back" {\n  source = "../m"\n}\n',
        'terraform.tfvars': 's = "m"\n',
      }),
    ).toMatch(why);
  });

  it('JSON sources follow the same rules', async () => {
    expect(await refusal({ 'main.tf.json': '{"module":{"m":{"source":"git::file:///tmp/x"}}}' })).toMatch(
      /module source "git::file:\/\/\/tmp\/x" is not allowed/,
    );
    expect(await refusal({ 'main.tf.json': '{"module":{"m":{"source":"${var.s}"}}}' })).toMatch(
      /source must be a literal path/,
    );
  });
});

describe('configuration guard: tfvars hold literals only; root variables need them', () => {
  it.each([
    ['a function call', 'replicas = max(1, 2)\n', /not a function call/],
    ['a reference', 'replicas = var.other\n', /not a reference/],
    ['an interpolation', 'name = "${upper("x")}"\n', /only literal values/],
    ['a heredoc interpolation', 'name = <<EOT\n${file("/etc/passwd")}\nEOT\n', /only literal values/],
    ['an operator', 'replicas = 1 + 1\n', /only literal values/],
    ['a block', 'replicas = 2\nlocals {}\n', /blocks are not allowed in a tfvars file/],
    ['a parenthesised key', 'm = { (k) = 1 }\n', /not a reference/],
  ])('refuses %s in terraform.tfvars', async (_n, tfvars, why) => {
    expect(await refusal({ 'main.tf': 'variable "replicas" {}\n', 'terraform.tfvars': tfvars })).toMatch(why);
  });

  it('refuses templates in terraform.tfvars.json', async () => {
    expect(
      await refusal({ 'main.tf': 'variable "n" {}\n', 'terraform.tfvars.json': '{"n":"${file(\\"/etc/passwd\\")}"}' }),
    ).toMatch(/only literal values are allowed in a tfvars file, not the template/);
  });

  it('a root variable without a value in an auto-loaded tfvars file is refused (the environment could supply it)', async () => {
    expect(await refusal({ 'main.tf': 'variable "db_password" {\n  default = "x"\n}\n' })).toMatch(
      /variable "db_password" has no value in a submitted terraform\.tfvars.*TF_VAR_db_password/,
    );
    expect(await refusal({ 'main.tf': 'variable "n" {}\n', 'other.tfvars': 'n = 1\n' })).toMatch(
      /variable "n" has no value/,
    );
    expect(
      (await guard.check({ 'main.tf': 'variable "n" {}\n', 'x.auto.tfvars': 'n = 1\n' }, { requireTfvars: true })).ok,
    ).toBe(true);
    expect(
      (
        await guard.check(
          { 'main.tf': 'variable "n" {}\n', 'terraform.tfvars.json': '{"n": -1.5}' },
          { requireTfvars: true },
        )
      ).ok,
    ).toBe(true);
  });
});

describe('configuration guard: every file must be fully readable by both HCL readers', () => {
  it.each([
    ['an unclosed block', 'resource "terraform_data" "a" {\n', /main\.tf:\d+: invalid HCL/],
    ['stray text', 'resource "terraform_data" "a" {}\n}\n', /invalid HCL/],
    ['an invalid escape', 'locals {\n  a = "\\q"\n}\n', /invalid HCL|HashiCorp's HCL parser refused/],
    [
      'a call split from its name by a newline (tree-sitter accepts, HCL does not)',
      'locals {\n  a = upper\n  ("x")\n}\n',
      /HashiCorp's HCL parser refused/,
    ],
  ])('refuses %s', async (_n, text, why) => {
    expect(await refusal({ 'main.tf': text })).toMatch(why);
  });

  it('refuses files that are not Terraform files', async () => {
    expect(await refusal({ 'main.tf': 'locals {}\n', 'run.sh': 'id' })).toMatch(
      /run\.sh: not a Terraform configuration/,
    );
  });

  it('reports every refusal, the first one in the reason', async () => {
    const r = await guard.check({
      'main.tf': res('  input = file("/a")\n  provisioner "local-exec" {\n    command = "id"\n  }'),
    });
    expect(r.ok).toBe(false);
    if (r.ok) throw new Error('accepted');
    expect(r.message).toMatch(/^main\.tf:2: function "file" is not allowed.*\(and \d+ more refusals?\)$/);
    expect(r.findings.map((f) => f.message).join('\n')).toMatch(/provisioner blocks are not allowed/);
  });
});

describe('guard findings for fix rounds', () => {
  it('are keyed without positions, so moving a construct is not a new one', async () => {
    const a = await guard.findings({ 'main.tf': res('  input = file("/a")') });
    const b = await guard.findings({ 'main.tf': `\n\n\n${res('  input = file("/a")')}` });
    expect(a.map((f) => f.key)).toEqual(b.map((f) => f.key));
    const c = await guard.findings({ 'main.tf': res('  input = file("/etc/shadow")') });
    expect(c.map((f) => f.key)).not.toEqual(a.map((f) => f.key));
  });
});

it('TFVARS fixture used by neighbours stays literal', async () => {
  expect((await guard.check({ 'main.tf': 'variable "replicas" {}\n', ...TFVARS }, { requireTfvars: true })).ok).toBe(
    true,
  );
});

describe('configuration guard: files Terraform treats specially', () => {
  it.each(['override.tf', 'main_override.tf', 'override.tf.json', 'x_override.tf.json'])(
    'refuses the override file %s (it merges into other blocks)',
    async (name) => {
      const text = name.endsWith('.json')
        ? '{"resource":{"terraform_data":{"a":{}}}}'
        : 'resource "terraform_data" "a" {}\n';
      expect(await refusal({ 'main.tf': 'resource "terraform_data" "a" {}\n', [name]: text })).toMatch(
        new RegExp(`${name.replace(/\./g, '\\.')}: override files are not allowed`),
      );
    },
  );
  it('skips the provider lock file, which Terraform writes itself', async () => {
    expect(
      (
        await guard.check({
          'main.tf': 'locals {}\n',
          '.terraform.lock.hcl': 'provider "x" {\n  hashes = [file("/x")]\n}\n',
        })
      ).ok,
    ).toBe(true);
  });
});
