import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  approve,
  poolDeployment,
  prepareDecision,
  snapshot,
  startWithDeployments,
  stateList,
  tf,
  type Harness,
} from '../helpers/executor-harness.js';

const tfvarsDeployment = {
  'main.tf': `variable "workers" {
  type = number
}

resource "terraform_data" "workers" {
  count = var.workers
  input = "worker-\${count.index}"
}
`,
  'terraform.tfvars': '# sized by InfraAI\nworkers = 2\n',
};

async function showInput(dir: string, address: string): Promise<unknown> {
  const r = await tf(dir, ['show', '-json']);
  const state = JSON.parse(r.stdout) as {
    values: { root_module: { resources: Array<{ address: string; values: { input: unknown } }> } };
  };
  return state.values.root_module.resources.find((x) => x.address === address)?.values.input;
}

describe('executor: edit kinds with real terraform', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.service.stop();
    h = undefined;
  });

  it('changes an input value (modify_config input.machine_type) as an in-place update', async () => {
    h = await startWithDeployments({ web: poolDeployment() });
    const { action } = await prepareDecision(h, {
      runId: 'web',
      address: 'terraform_data.pool',
      actionType: 'modify_config',
      parameters: { machine_type: 'e2-medium' },
    });
    expect(action.status, action.statusReason ?? '').toBe('awaiting_approval');
    const summary = action.planSummary as Array<{ address: string; action: string }>;
    expect(summary.map((s) => `${s.address} ${s.action}`).sort()).toEqual([
      'terraform_data.pool[0] update',
      'terraform_data.pool[1] update',
    ]);
    await approve(h, action.id);
    expect(h.service.actions.get(action.id)!.status).toBe('applied');
    expect(await showInput(h.runDir('web'), 'terraform_data.pool[0]')).toEqual({
      node_count: 2,
      machine_type: 'e2-medium',
    });
    expect(readFileSync(path.join(h.runDir('web'), 'main.tf'), 'utf8')).toContain('machine_type = "e2-medium"');
  });

  it('scales through a tfvars variable: terraform.tfvars is edited, main.tf is not', async () => {
    h = await startWithDeployments({ vars: tfvarsDeployment });
    const mainBefore = readFileSync(path.join(h.runDir('vars'), 'main.tf'), 'utf8');
    const { action } = await prepareDecision(h, {
      runId: 'vars',
      address: 'terraform_data.workers[0]',
      actionType: 'scale_up',
      parameters: { count: 3 },
    });
    expect(action.status, action.statusReason ?? '').toBe('awaiting_approval');
    expect(action.files).toEqual({ changed: ['terraform.tfvars'], deleted: [] });
    await approve(h, action.id);
    expect(h.service.actions.get(action.id)!.status).toBe('applied');
    expect(readFileSync(path.join(h.runDir('vars'), 'terraform.tfvars'), 'utf8')).toBe(
      '# sized by InfraAI\nworkers = 3\n',
    );
    expect(readFileSync(path.join(h.runDir('vars'), 'main.tf'), 'utf8')).toBe(mainBefore);
    expect(await stateList(h.runDir('vars'))).toHaveLength(3);
  });

  it('restarts with -replace: every instance replaced by request, files unchanged', async () => {
    h = await startWithDeployments({ web: poolDeployment() });
    const before = snapshot(h.runDir('web'));
    const idBefore = JSON.parse((await tf(h.runDir('web'), ['show', '-json'])).stdout).values.root_module.resources[1]
      .values.id as string;
    const { action } = await prepareDecision(h, {
      runId: 'web',
      address: 'terraform_data.pool',
      actionType: 'restart',
      parameters: {},
    });
    expect(action.status, action.statusReason ?? '').toBe('awaiting_approval');
    const summary = action.planSummary as Array<{ address: string; action: string; reason?: string }>;
    expect(summary.map((s) => `${s.address} ${s.action} ${s.reason}`).sort()).toEqual([
      'terraform_data.pool[0] replace replace_by_request',
      'terraform_data.pool[1] replace replace_by_request',
    ]);
    await approve(h, action.id);
    expect(h.service.actions.get(action.id)!.status).toBe('applied');
    expect(snapshot(h.runDir('web'))).toEqual(before);
    const idAfter = JSON.parse((await tf(h.runDir('web'), ['show', '-json'])).stdout).values.root_module.resources[1]
      .values.id as string;
    expect(idAfter).not.toBe(idBefore);
  });

  it('rolls back to the previous revision after a scale', async () => {
    h = await startWithDeployments({ web: poolDeployment() });
    const original = snapshot(h.runDir('web'));
    const { action: scale } = await prepareDecision(h, {
      runId: 'web',
      address: 'terraform_data.pool',
      actionType: 'scale_up',
      parameters: { count: 3 },
    });
    await approve(h, scale.id);
    expect(h.service.actions.get(scale.id)!.status).toBe('applied');
    expect(await stateList(h.runDir('web'))).toHaveLength(4);
    const { action: rb } = await prepareDecision(h, {
      runId: 'web',
      address: 'terraform_data.pool',
      actionType: 'rollback',
      parameters: {},
    });
    expect(rb.status, rb.statusReason ?? '').toBe('awaiting_approval');
    expect((rb.planSummary as Array<{ action: string }>).map((s) => s.action)).toEqual(['delete']);
    await approve(h, rb.id);
    const done = h.service.actions.get(rb.id)!;
    expect(done.status).toBe('applied');
    expect(snapshot(h.runDir('web'))).toEqual(original);
    expect(await stateList(h.runDir('web'))).toEqual([
      'terraform_data.other',
      'terraform_data.pool[0]',
      'terraform_data.pool[1]',
    ]);
    expect(h.service.actions.getRevision(done.revisionId!)!.parentId).toBe(h.service.actions.get(scale.id)!.revisionId);
  });
});
