/**
 * The real-world fixture set (test/fixtures/real-world): each case a small deployment written the way
 * the public GKE/EKS modules are, prepared by the real executor (tracer, editor, real terraform plan).
 * Accepted edits: the edit lands where expected.json says, and — the property — a real `terraform plan`
 * of the edited files changes exactly the intended instance attributes, and `git diff --word-diff`
 * of the run dir touches only the value's characters. Refusals: the reason code expected.json names.
 */
import { cpSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  approve,
  prepareDecision,
  startWithDeployments,
  TEST_POLICY,
  type Harness,
} from '../helpers/executor-harness.js';
import {
  caseNames,
  deploymentOf,
  expectedOf,
  gitCopy,
  plannedChanges,
  wordDiff,
} from '../helpers/real-world-fixtures.js';
import { tempWorkspace } from '../helpers/service.js';

const POLICY = {
  ...TEST_POLICY,
  changeable_attributes: ['count', 'node_count', 'desired_size', 'max_size'],
  attributes: { count: { min: 1, max: 10 }, node_count: { min: 1, max: 10 }, desired_size: { min: 1, max: 10 } },
};

const cases = caseNames();
const policyKey = (c: string) => JSON.stringify(expectedOf(c).policy ?? {});

it('the fixture set has accepted edits and refusals', () => {
  expect(cases.length).toBeGreaterThanOrEqual(12);
  expect(cases.filter((c) => expectedOf(c).refusal === undefined).length).toBeGreaterThanOrEqual(6);
});

for (const key of [...new Set(cases.map(policyKey))].sort()) {
  const group = cases.filter((c) => policyKey(c) === key);
  describe(`real-world shapes, policy ${key} (real terraform)`, () => {
    let h: Harness;
    const deployments: Record<string, Record<string, string>> = {};
    beforeAll(async () => {
      for (const c of group) deployments[c] = await deploymentOf(c);
      const policyFile = path.join(tempWorkspace('infraai-rw-policy-').root, 'policy.json');
      writeFileSync(policyFile, JSON.stringify({ ...POLICY, ...(JSON.parse(key) as object) }));
      const seedArgs = Object.fromEntries(
        group.map((c) => [c, (expectedOf(c).var_files ?? []).map((f) => `-var-file=${f}`)]),
      );
      h = await startWithDeployments(deployments, { POLICY_FILE: policyFile }, {}, seedArgs);
    }, 300_000);
    afterAll(async () => {
      await h?.service.stop();
    });

    for (const name of group) {
      const e = expectedOf(name);
      const what = e.refusal === undefined ? 'edits the literal a person wrote' : `refused (${e.refusal})`;
      it(`${name}: ${what}`, async () => {
        const copy = await gitCopy(h.runsDir, name);
        const actionType = 'scale_up';
        const { action } = await prepareDecision(h, {
          runId: name,
          address: e.address,
          actionType,
          parameters: e.parameters,
        });
        if (e.refusal !== undefined) {
          expect(action.status).toBe('prepare_failed');
          if (e.refusal === 'PLAN_GATE') expect(action.gate).toMatchObject({ ok: false });
          else expect(action.statusReason).toContain(`(${e.refusal})`);
          if (e.reason_includes !== undefined) expect(action.statusReason).toContain(e.reason_includes);
          return;
        }
        expect(action.status, action.statusReason ?? '').toBe('awaiting_approval');
        const chain = (action.changes as { edit: { chain: { text: string; sharedWith?: string[] } } }).edit.chain;
        expect(chain.sharedWith).toEqual(e.shared_with);
        if (e.shared_with !== undefined) {
          // What the approver reads (GET /ops/actions/:id, the same view Telegram and the dashboard show).
          const res = await h.service.app.inject({ method: 'GET', url: `/ops/actions/${action.id}` });
          const shown = (res.json() as { value_chains: Array<{ text: string; shared_with?: string[] }> }).value_chains;
          expect(shown[0]?.shared_with).toEqual(e.shared_with);
          expect(shown[0]?.text).toContain(`; shared with ${e.shared_with.join(', ')}, which change with it`);
        }
        await approve(h, action.id, action.planSha256 ?? undefined);
        expect(h.service.actions.get(action.id)!.status).toBe('applied');
        // The files the run dir holds now, into the git copy made before the action.
        for (const f of Object.keys(deployments[name]!)) cpSync(path.join(h.runDir(name), f), path.join(copy, f));
        expect(await wordDiff(copy)).toEqual(e.edits);
        const planned = await plannedChanges(copy, e.var_files);
        expect(planned).toEqual({ update: e.planned?.update ?? {}, create: e.planned?.create ?? [], other: [] });
      }, 120_000);
    }
  });
}
