/**
 * Layouts people use, with real Terraform: local modules outside the run dir, shared modules,
 * per-deployment settings (infraai.yaml), workspaces, and twins in prod/ and staging/.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  approve,
  prepareDecision,
  startWithDeployments,
  stateList,
  type Harness,
} from '../helpers/executor-harness.js';

const POOL_MODULE = {
  '../modules/pool/main.tf': `variable "size" {
  type = number
}

resource "terraform_data" "pool" {
  input = var.size
}
`,
};

function deploymentUsingPool(size: number): Record<string, string> {
  return {
    'main.tf': `module "pool" {
  source = "../modules/pool"
  size   = ${size}
}

resource "terraform_data" "web" {
  count = 2
}
`,
    ...POOL_MODULE,
  };
}

describe('layouts: local modules outside the run dir', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.service.stop();
    h = undefined;
  });

  it('a deployment calling ../modules/pool scales through the executor: planned, applied, staging removed', async () => {
    h = await startWithDeployments({ prod: deploymentUsingPool(2) });
    const { action } = await prepareDecision(h, {
      runId: 'prod',
      address: 'terraform_data.web[0]',
      actionType: 'scale_up',
      parameters: { count: 3 },
    });
    expect(action.status, action.statusReason ?? '').toBe('awaiting_approval');
    const summary = action.planSummary as Array<{ address: string; action: string }>;
    expect(summary.map((s) => `${s.action} ${s.address}`)).toEqual(['create terraform_data.web[2]']);
    const r = await approve(h, action.id, action.planSha256 ?? undefined);
    expect(r).toEqual({ ok: true, status: 'approved' });
    const done = h.service.actions.get(action.id)!;
    expect(done.status, done.statusReason ?? '').toBe('applied');
    expect(await stateList(h.runDir('prod'))).toEqual([
      'module.pool.terraform_data.pool',
      'terraform_data.web[0]',
      'terraform_data.web[1]',
      'terraform_data.web[2]',
    ]);
    expect(readFileSync(path.join(h.runDir('prod'), 'main.tf'), 'utf8')).toContain('count = 3');
    // The module itself is untouched, and no staging copy (nor its mirror root) is left behind.
    expect(readFileSync(path.join(h.runsDir, 'modules/pool/main.tf'), 'utf8')).toBe(
      POOL_MODULE['../modules/pool/main.tf'],
    );
    expect(existsSync(path.dirname(action.stagingDir ?? '/nonexistent/x'))).toBe(false);
  }, 120_000);
});
