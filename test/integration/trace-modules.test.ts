import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { approve, prepareDecision, startWithDeployments, tf, type Harness } from '../helpers/executor-harness.js';

/** A node pool inside a local module, one instance per entry of a map set in a var file. */
const deployment = {
  'main.tf': `variable "node_pools" {
  type = map(object({ node_count = number }))
}

module "gke" {
  source     = "./modules/pool"
  node_pools = var.node_pools
}
`,
  'modules/pool/main.tf': `variable "node_pools" {
  type = map(object({ node_count = number }))
}

resource "terraform_data" "pool" {
  for_each = var.node_pools

  input = {
    name       = each.key
    node_count = each.value.node_count # per pool
  }
}
`,
  // Loaded by Terraform automatically; -var-file lists are d-layout's (infraai.yaml var_files).
  'prod.auto.tfvars': `# production pools
node_pools = {
  default = { node_count = 3 } # scaled by InfraAI
  batch   = { node_count = 1 }
}
`,
};

async function nodeCounts(dir: string): Promise<Record<string, unknown>> {
  const r = await tf(dir, ['show', '-json']);
  const state = JSON.parse(r.stdout) as {
    values: {
      root_module: {
        child_modules?: Array<{ resources: Array<{ address: string; values: { input: { node_count: unknown } } }> }>;
      };
    };
  };
  const out: Record<string, unknown> = {};
  for (const m of state.values.root_module.child_modules ?? [])
    for (const res of m.resources) out[res.address] = res.values.input.node_count;
  return out;
}

describe('tracing a value through a local module, a map variable and for_each (real terraform)', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.service.stop();
    h = undefined;
  });

  it('scales one for_each instance by editing its entry in the var file; the plan changes only that instance', async () => {
    h = await startWithDeployments({ gke: deployment });
    const address = 'module.gke.terraform_data.pool["default"]';
    const { action } = await prepareDecision(h, {
      runId: 'gke',
      address,
      actionType: 'scale_up',
      parameters: { node_count: 4 },
    });
    expect(action.status, action.statusReason ?? '').toBe('awaiting_approval');
    const summary = action.planSummary as Array<{ address: string; action: string }>;
    expect(summary.map((s) => `${s.address} ${s.action}`)).toEqual([`${address} update`]);
    const plan = action.planJson as {
      resource_changes: Array<{ address: string; change: { actions: string[]; after: { input: unknown } } }>;
    };
    const changed = plan.resource_changes.filter((rc) => rc.change.actions.join() !== 'no-op');
    expect(changed.map((rc) => [rc.address, rc.change.after.input])).toEqual([
      [address, { name: 'default', node_count: 4 }],
    ]);
    const edit = (action.changes as { edit: { chain: { text: string } } }).edit;
    expect(edit.chain.text).toBe(
      'module.gke.terraform_data.pool["default"].input.node_count ← each.value.node_count ← module.gke var.node_pools ← prod.auto.tfvars node_pools.default.node_count (line 3): 3 → 4',
    );
    await approve(h, action.id);
    expect(h.service.actions.get(action.id)!.status).toBe('applied');
    const tfvars = readFileSync(path.join(h.runDir('gke'), 'prod.auto.tfvars'), 'utf8');
    expect(tfvars).toBe(deployment['prod.auto.tfvars'].replace('{ node_count = 3 }', '{ node_count = 4 }'));
    expect(readFileSync(path.join(h.runDir('gke'), 'modules/pool/main.tf'), 'utf8')).toBe(
      deployment['modules/pool/main.tf'],
    );
    expect(await nodeCounts(h.runDir('gke'))).toEqual({
      'module.gke.terraform_data.pool["default"]': 4,
      'module.gke.terraform_data.pool["batch"]': 1,
    });
  });
});
