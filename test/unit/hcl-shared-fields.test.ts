import { beforeAll, describe, expect, it } from 'vitest';
import { editHcl, HclParser, type FileSet } from '../../src/hcl/edit.js';

let parser: HclParser;
beforeAll(async () => {
  parser = await HclParser.create();
});

const edit = (files: FileSet, address: string, value: number) =>
  editHcl(files, { address, attributePath: ['input', 'desired_size'], value }, parser);

/** Two node groups in a map variable; `extra` is a second block reading the same map. */
function groups(extra: string): FileSet {
  return {
    'main.tf': `variable "groups" {
  default = {
    web = { desired_size = 2, max_size = 4, instance_types = ["m5.large"] }
    api = { desired_size = 3, max_size = 6, instance_types = ["m5.xlarge"] }
  }
}

resource "terraform_data" "group" {
  for_each = var.groups
  input = {
    desired_size = each.value.desired_size
  }
}

${extra}
`,
  };
}

describe('sharing per field, not per variable', () => {
  it('a second for_each block reading other fields of the map does not share desired_size', async () => {
    const r = await edit(
      groups(`resource "terraform_data" "role" {
  for_each = var.groups
  input    = { types = each.value.instance_types }
}`),
      'terraform_data.group["web"]',
      3,
    );
    expect(r.ok, r.ok ? '' : r.message).toBe(true);
    if (r.ok) expect(r.files['main.tf']).toContain('web = { desired_size = 3, max_size = 4');
  });

  it('a reader of another entry (var.groups.api.desired_size) does not share web’s value', async () => {
    const r = await edit(
      groups(`resource "terraform_data" "api_alarm" {
  input = var.groups.api.desired_size
}`),
      'terraform_data.group["web"]',
      3,
    );
    expect(r.ok, r.ok ? '' : r.message).toBe(true);
  });

  it.each([
    ['reads the same field through each.value', 'for_each = var.groups\n  input = each.value.desired_size'],
    ['reads the whole entry (each.value)', 'for_each = var.groups\n  input = each.value'],
    ['reads the field of that entry', 'input = var.groups.web.desired_size'],
    ['reads the entry by a computed key', 'input = var.groups[terraform_data.group["api"].id]'],
    ['reads the whole map', 'input = var.groups'],
  ])('a block that %s shares it: refused naming it', async (_what, body) => {
    const r = await edit(
      groups(`resource "terraform_data" "reader" {\n  ${body}\n}`),
      'terraform_data.group["web"]',
      3,
    );
    expect(r).toMatchObject({ ok: false, code: 'AMBIGUOUS' });
    if (!r.ok) expect(r.message).toContain('terraform_data.reader read it too');
  });
});
