import { describe, expect, it } from 'vitest';
import { storedValueChains } from '../../src/actions/value-chains.js';
import { MESSAGE_MAX_CHARS, renderActionMessage } from '../../src/approvals/message.js';
import type { ApprovalRequestView } from '../../src/approvals/ports.js';
import { ActionDetailWire, ActionListItemWire, ValueChainWire } from '../../src/http/wire/action.js';

/** A chain as the tracer (hcl/value-chain.ts) stores it with the action's change. */
const GKE = {
  steps: [
    {
      kind: 'attribute',
      where: 'google_container_node_pool.pools["default"].node_count',
      file: '../modules/gke/main.tf',
      line: 40,
    },
    { kind: 'for_each', where: 'each.value.node_count', file: '../modules/gke/main.tf', line: 38 },
    { kind: 'module_argument', where: 'module.gke var.node_pools', file: 'main.tf', line: 3 },
    { kind: 'tfvars', where: 'prod.tfvars node_pools.default.node_count', file: 'prod.tfvars', line: 12 },
  ],
  from: 3,
  to: 4,
};
const GKE_TEXT =
  'google_container_node_pool.pools["default"].node_count ← each.value.node_count ← module.gke var.node_pools ← prod.tfvars node_pools.default.node_count (line 12): 3 → 4';

function view(over: Partial<ApprovalRequestView> = {}): ApprovalRequestView {
  return {
    actionId: 'act_chain1',
    status: 'awaiting_approval',
    statusReason: null,
    runId: 'gke',
    actionType: 'scale_up',
    targetAddress: 'module.gke.google_container_node_pool.pools["default"]',
    parameters: { node_count: 4 },
    planSha256: 'a'.repeat(64),
    expiresAt: '2026-01-01T00:15:00.000Z',
    planChanges: [
      {
        address: 'module.gke.google_container_node_pool.pools["default"]',
        action: 'update',
        attributes: [{ path: 'node_count', before: '3', after: '4' }],
      },
    ],
    valueChains: storedValueChains({ kind: 'edit', edit: { address: 'x', chain: GKE } }),
    decidedBy: null,
    decidedVia: null,
    decidedAt: null,
    revisionId: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    decision: {
      id: 'dec_1',
      actionType: 'scale_up',
      parameters: { node_count: 4 },
      confidence: 0.9,
      reason: 'CPU high',
      source: 'rules',
      status: 'proposed',
    },
    alert: null,
    ...over,
  };
}

describe('stored value chains → what the approver sees', () => {
  it('reads changes.edit.chain and changes.edits[i].chain, in edit order; none stored → []', () => {
    const one = storedValueChains({ kind: 'edit', edit: { chain: GKE }, replace: [] });
    expect(one).toHaveLength(1);
    expect(one[0]).toMatchObject({ from: 3, to: 4, text: GKE_TEXT });
    expect(one[0]?.steps[3]).toEqual({
      kind: 'tfvars',
      where: 'prod.tfvars node_pools.default.node_count',
      file: 'prod.tfvars',
      line: 12,
    });
    const max = {
      steps: [{ kind: 'attribute', where: 'aws_autoscaling_group.web.max_size', file: 'main.tf', line: 9 }],
      from: 5,
      to: 6,
    };
    const two = storedValueChains({ kind: 'edit', edits: [{ chain: GKE }, { chain: max }] });
    expect(two.map((c) => c.text)).toEqual([GKE_TEXT, 'aws_autoscaling_group.web.max_size (line 9): 5 → 6']);
    // Older actions (no chain), replace actions, nothing stored, malformed chains: no chain, no error.
    expect(storedValueChains({ kind: 'edit', edit: { address: 'a', attributePath: ['x'], value: 2 } })).toEqual([]);
    expect(storedValueChains({ kind: 'replace', edit: null, replace: ['a'] })).toEqual([]);
    expect(storedValueChains(null)).toEqual([]);
    expect(storedValueChains({ edit: { chain: { steps: [{ kind: 'magic', where: 'x' }], from: 1, to: 2 } } })).toEqual(
      [],
    );
    expect(storedValueChains({ edit: { chain: { steps: [], from: 1, to: 2 } } })).toEqual([]);
  });

  it('a chain through a secret-looking name, a secret-looking value or a sensitive plan attribute shows [REDACTED]', () => {
    const viaName = {
      steps: [
        { kind: 'attribute', where: 'google_sql_user.app.password', line: 4 },
        { kind: 'tfvars', where: 'terraform.tfvars db_password', file: 'terraform.tfvars', line: 2 },
      ],
      from: 'hunter2-old',
      to: 'hunter2-new',
    };
    const [a] = storedValueChains({ edit: { chain: viaName } });
    expect(a?.text).toBe(
      'google_sql_user.app.password ← terraform.tfvars db_password (line 2): [REDACTED] → [REDACTED]',
    );
    expect(JSON.stringify(a)).not.toContain('hunter2');
    // A sensitive variable with an innocent name: Terraform marks the attribute sensitive in the plan.
    const viaPlan = {
      steps: [
        { kind: 'attribute', where: 'terraform_data.app.input.size', line: 3 },
        { kind: 'variable_default', where: 'var.size', file: 'variables.tf', line: 7 },
      ],
      from: 'small-tier',
      to: 'large-tier',
    };
    const plan = [
      {
        address: 'terraform_data.app',
        action: 'update',
        changes: [{ path: 'input.size', before: '[REDACTED]', after: '[REDACTED]' }],
      },
    ];
    const [b] = storedValueChains({ edit: { chain: viaPlan } }, plan);
    expect(b).toMatchObject({ from: '[REDACTED]', to: '[REDACTED]' });
    expect(JSON.stringify(b)).not.toContain('tier');
    // Same chain, plan not sensitive: values shown.
    expect(
      storedValueChains({ edit: { chain: viaPlan } }, [
        { ...plan[0], changes: [{ path: 'input.size', before: 'a', after: 'b' }] },
      ])[0]?.to,
    ).toBe('large-tier');
    const [c] = storedValueChains({ edit: { chain: { ...viaPlan, to: 'AKIAABCDEFGHIJKLMNOP' } } });
    expect(c?.to).toBe('[REDACTED]');
  });
});

describe('value_chains on the wire (strict schema)', () => {
  it('accepts the chains as served; refuses unknown fields, unknown kinds and a missing text', () => {
    const chains = storedValueChains({ edit: { chain: GKE } });
    expect(ValueChainWire.array().parse(chains)).toEqual(chains);
    const [c] = chains;
    expect(ValueChainWire.safeParse({ ...c, extra: 1 }).success).toBe(false);
    expect(ValueChainWire.safeParse({ ...c, steps: [{ ...c?.steps[0], column: 3 }] }).success).toBe(false);
    expect(ValueChainWire.safeParse({ ...c, steps: [{ ...c?.steps[0], kind: 'magic' }] }).success).toBe(false);
    const { text: _text, ...noText } = c ?? { text: '' };
    expect(ValueChainWire.safeParse(noText).success).toBe(false);
    expect(ActionListItemWire.shape.value_chains).toBeDefined();
    expect(ActionDetailWire.shape.value_chains).toBeDefined();
  });
});

describe('the Telegram approval message shows the chain', () => {
  it('one escaped line per chain', () => {
    const t = renderActionMessage(view(), 0, []);
    expect(t).toContain(
      '🔗 <b>Edits:</b> <code>google_container_node_pool.pools[&quot;default&quot;].node_count ← each.value.node_count ← module.gke var.node_pools ← prod.tfvars node_pools.default.node_count (line 12): 3 → 4</code>',
    );
    const two = renderActionMessage(
      view({
        valueChains: storedValueChains({
          edits: [
            { chain: GKE },
            {
              chain: {
                steps: [{ kind: 'local', where: 'local.sizes <web>', file: 'locals.tf', line: 2 }],
                from: 1,
                to: 2,
              },
            },
          ],
        }),
      }),
      0,
      [],
    );
    expect(two.split('\n').filter((l) => l.startsWith('🔗'))).toHaveLength(2);
    expect(two).toContain('<code>local.sizes &lt;web&gt; (line 2): 1 → 2</code>');
    expect(renderActionMessage(view({ valueChains: [] }), 0, [])).not.toContain('🔗');
    expect(renderActionMessage(view({ valueChains: undefined }), 0, [])).not.toContain('🔗');
  });

  it('never shows a secret: known secrets are scrubbed from the chain', () => {
    const chain = {
      ...GKE,
      steps: [
        ...GKE.steps.slice(0, 3),
        { kind: 'tfvars', where: 'prod.tfvars pool-s3cr3tvalue', file: 'prod.tfvars', line: 12 },
      ],
    };
    const t = renderActionMessage(view({ valueChains: storedValueChains({ edit: { chain } }) }), 0, ['s3cr3tvalue']);
    expect(t).toContain('🔗 <b>Edits:</b>');
    expect(t).not.toContain('s3cr3tvalue');
  });

  it('the chain and the disruption warning survive a message cut to the Telegram limit', () => {
    const many = Array.from({ length: 12 }, (_, i) => ({
      address: `terraform_data.r${i}`,
      action: 'update',
      attributes: Array.from({ length: 6 }, (_, j) => ({
        path: `p${j}`.repeat(30),
        before: 'x'.repeat(60),
        after: 'y'.repeat(60),
      })),
    }));
    const disruptive = {
      address: 'google_container_node_pool.web',
      action: 'update',
      attributes: [],
      disruption: { kind: 'replace', warning: 'destroys and recreates the whole node pool (every node)' },
    };
    const t = renderActionMessage(
      view({ planChanges: [...many, disruptive], decision: { ...view().decision, reason: 'r'.repeat(500) } }),
      0,
      [],
    );
    expect(t.length).toBeLessThanOrEqual(MESSAGE_MAX_CHARS);
    expect(t).toContain('(truncated)');
    expect(t).toContain('prod.tfvars node_pools.default.node_count (line 12): 3 → 4</code>');
    expect(t.split('\n').at(-1)).toContain('destroys and recreates the whole node pool (every node)');
  });

  it('a very long chain keeps both ends (the attribute, and the line and values) and closes its tags', () => {
    const long = {
      steps: [
        { kind: 'attribute', where: 'google_container_node_pool.pools["default"].node_count' },
        ...Array.from({ length: 30 }, (_, i) => ({
          kind: 'module_argument',
          where: `module.m${i} var.node_pools_"${i}"`,
        })),
        { kind: 'tfvars', where: 'prod.tfvars node_pools.default.node_count', file: 'prod.tfvars', line: 12 },
      ],
      from: 3,
      to: 4,
    };
    const t = renderActionMessage(view({ valueChains: storedValueChains({ edit: { chain: long } }) }), 0, []);
    const line = t.split('\n').find((l) => l.startsWith('🔗')) ?? '';
    expect(line).toMatch(/^🔗 <b>Edits:<\/b> <code>google_container_node_pool\.pools\[&quot;default&quot;\]/);
    expect(line).toContain(' … ');
    expect(line.endsWith('node_pools.default.node_count (line 12): 3 → 4</code>')).toBe(true);
    expect(line.length).toBeLessThan(400);
  });
});
