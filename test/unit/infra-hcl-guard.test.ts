import { describe, expect, it } from 'vitest';
import { escapesDir, guardFiles } from '../../src/infra/hcl-guard.js';

describe('POST /infra HCL guard', () => {
  it('accepts ordinary configuration: registry/git module sources, ./ modules, relative local backend, remote-exec-free resources', () => {
    const ok = guardFiles({
      'main.tf': `terraform {
  backend "local" { path = "state/terraform.tfstate" }
}
module "vpc" { source = "terraform-google-modules/network/google" }
module "git" { source = "git::https://example.com/net.git//sub?ref=v1" }
module "here" { source = "./modules/x" }
resource "terraform_data" "a" {
  input = { url = "https://example.com/../x", cmd = file("\${path.module}/startup.sh") }
}
`,
      'terraform.tfvars': 'replicas = 2\n',
      'extra.tf.json': JSON.stringify({ resource: { terraform_data: { b: { input: 'x' } } } }),
    });
    expect(ok).toEqual({ ok: true });
  });

  it.each([
    ['provider reading a host file', 'provider "google" {\n  credentials = file("/etc/gcp.json")\n}\n', /file\(/],
    ['templatefile climbing', 'locals {\n  x = templatefile("../../secrets.tpl", {})\n}\n', /templatefile/],
    ['absolute module source', 'module "m" {\n  source = "/opt/modules/x"\n}\n', /source/],
    ['workspace_dir escaping', 'terraform {\n  backend "local" {\n    workspace_dir = "/var/lib"\n  }\n}\n', /workspace_dir/],
    ['data "external"', 'data "external" "x" {\n  program = ["sh", "-c", "id"]\n}\n', /external/],
    ['nested local-exec in a module-less resource', 'resource "null_resource" "n" {\n  provisioner "local-exec" {\n    command = "curl evil"\n  }\n}\n', /local-exec/],
    ['local_file writing outside', 'resource "local_file" "f" {\n  filename = "../../.bashrc"\n  content = "x"\n}\n', /filename/],
  ])('refuses %s, naming the file', (_n, text, why) => {
    const r = guardFiles({ 'main.tf': text });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.file).toBe('main.tf');
      expect(r.reason).toMatch(/^main\.tf: /);
      expect(r.reason).toMatch(why);
    }
  });

  it('escapesDir', () => {
    expect(['/a', '~/a', '../a', 'a/../../b', 'C:\\x', '..'].map(escapesDir)).toEqual([true, true, true, true, true, true]);
    expect(['a', 'a/b', './a', 'a..b', '.terraform'].map(escapesDir)).toEqual([false, false, false, false, false]);
  });
});
