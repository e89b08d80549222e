import { describe, expect, it } from 'vitest';
import { configSecrets, maskSecrets } from '../../src/hcl/config-secrets.js';

describe('configSecrets: secrets visible in configuration text', () => {
  it('finds sensitive defaults, tfvars values of sensitive variables and secret-named literals', () => {
    const files = {
      'variables.tf': `variable "dsn" {
  type      = string
  sensitive = true
  validation {
    condition     = length(var.dsn) > 4
    error_message = "too short {"
  }
}
variable "seed" {
  sensitive = true
  default   = "plain-looking-default"
}
variable "region" {
  default = "europe-west1"
}
`,
      'main.tf': 'resource "x" "y" {\n  password = "literal-pass-1"\n  name     = "web"\n}\n',
      'terraform.tfvars': 'dsn    = "postgres://u:p@db/x"\nregion = "us-east1"\napi_key = "key-from-tfvars"\n',
      'prod.auto.tfvars.json': '{"dsn": "json-dsn-value", "region": "asia"}',
    };
    expect([...configSecrets(files)].sort()).toEqual(
      ['json-dsn-value', 'key-from-tfvars', 'literal-pass-1', 'plain-looking-default', 'postgres://u:p@db/x'].sort(),
    );
  });

  it('never throws on files that do not parse', () => {
    expect(() =>
      configSecrets({ 'main.tf': 'variable "x" {\n sensitive = true\n default = "unterminated', 'a.tfvars.json': '{' }),
    ).not.toThrow();
  });

  it('maskSecrets swaps secrets for numbered placeholders and restores them in an answer', () => {
    const { masked, restore } = maskSecrets('a = "s3cret-1"\nb = "s3cret-22"\n', ['s3cret-1', 's3cret-22', 'absent-x']);
    expect(masked).not.toMatch(/s3cret/);
    expect(masked).toMatch(/__INFRAAI_SECRET_\d+__/);
    expect(restore(masked.replace('a =', 'a  ='))).toBe('a  = "s3cret-1"\nb = "s3cret-22"\n');
  });
});
