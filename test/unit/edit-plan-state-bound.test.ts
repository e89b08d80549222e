/**
 * A value that is not a literal on the target (a module argument, a map entry, a var file the
 * reader does not see): the policy's bounds and step are checked against the target instance's own
 * value in the state. Real HCL reader and real policy adapter.
 */
import { describe, expect, it } from 'vitest';
import { planEdit } from '../../src/executor/edit-plan.js';
import { treeSitterHclEditor } from '../../src/executor/hcl-editor-adapter.js';
import { executorPolicy } from '../../src/executor/policy-adapter.js';
import { DEFAULT_POLICY, PolicySchema } from '../../src/policy/policy-schema.js';

const hcl = treeSitterHclEditor();
const reader = { read: hcl.read.bind(hcl), ignoreChanges: hcl.ignoreChanges.bind(hcl) };
const policy = PolicySchema.parse({
  ...DEFAULT_POLICY,
  changeable_attributes: ['node_count'],
  attributes: { node_count: { min: 1, max: 10, max_step: 1 } },
});

// node_count comes from a var file only the deployment's -var-file names: not a literal on the block.
const files = {
  'main.tf': `variable "node_count" {
  type = number
}

resource "terraform_data" "pool" {
  input = { node_count = var.node_count }
}
`,
};

const plan = (value: number, attributes?: Record<string, unknown>) =>
  planEdit(
    {
      actionType: 'scale_up',
      targetAddress: 'terraform_data.pool',
      parameters: { node_count: value },
      instances: ['terraform_data.pool'],
      files,
      ...(attributes !== undefined && { attributes }),
    },
    reader,
    executorPolicy(() => policy),
  );

describe('policy step bound from the target instance’s state value', () => {
  it('a step of one from the state value (3 → 4) is planned at the state path input.node_count', async () => {
    const p = await plan(4, { input: { node_count: 3 } });
    expect(p).toMatchObject({ kind: 'edit', edits: [{ attributePath: ['input', 'node_count'], value: 4 }] });
  });

  it('a step larger than max_step from the state value (3 → 6) is refused by the policy', async () => {
    const p = await plan(6, { input: { node_count: 3 } });
    expect(p).toMatchObject({ kind: 'refused' });
    if (p.kind === 'refused') expect(p.reason).toMatch(/^policy: .*step/);
  });

  it('without a state value the step cannot be checked: refused, never guessed', async () => {
    const p = await plan(4);
    expect(p).toMatchObject({ kind: 'refused' });
    if (p.kind === 'refused') expect(p.reason).toContain('current value of node_count is unknown');
  });
});
