/**
 * A person's edit is never overwritten: the executor fingerprints the files a plan was made from
 * and, when a colleague changes the deployment before the apply (or while the plan is made), the
 * action goes `stale`, is prepared again from the current files and asks for approval again.
 * Real Terraform, real SQLite, the real compose() graph; the colleague is this test.
 */
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ActionRecord } from '../../src/actions/action-store.js';
import { applyOfSavedPlan, HookedTerraform, planInStaging } from '../helpers/hooked-terraform.js';
import {
  approve,
  poolDeployment,
  prepareDecision,
  snapshot,
  startWithDeployments,
  stateBytes,
  stateList,
  type Harness,
} from '../helpers/executor-harness.js';

const POOL2 = ['terraform_data.other', 'terraform_data.pool[0]', 'terraform_data.pool[1]'];
const COLLEAGUE_BLOCK = '\n# added by a colleague while InfraAI waited\nlocals {\n  owner = "team-a"\n}\n';
const SCALE = { runId: 'web', address: 'terraform_data.pool', actionType: 'scale_up', parameters: { count: 3 } };

let h: Harness | undefined;
afterEach(async () => {
  await h?.service.stop();
  h = undefined;
});

const read = (file: string) => readFileSync(file, 'utf8');
const statuses = (id: string) => h!.service.actions.statusHistory(id).map((x) => x.status);

/** Approves the action's current plan and expects it applied; returns the record. */
async function approveApplied(id: string): Promise<ActionRecord> {
  const a = h!.service.actions.get(id)!;
  expect(a.status, a.statusReason ?? '').toBe('awaiting_approval');
  expect(await approve(h!, id, a.planSha256!)).toEqual({ ok: true, status: 'approved' });
  const done = h!.service.actions.get(id)!;
  expect(done.status, done.statusReason ?? '').toBe('applied');
  return done;
}

/**
 * Prepares the scale-up, lets `colleague` change the run dir while it waits for approval, approves
 * the plan shown, and checks it was NOT applied: stale, re-planned, asking again, state untouched.
 */
async function staleAfterColleague(
  colleague: (dir: string) => void,
  expectChange: Record<'changed' | 'added' | 'deleted', string[]>,
  target = SCALE,
) {
  const dir = h!.runDir(target.runId);
  const state = stateBytes(dir);
  const { action } = await prepareDecision(h!, target);
  expect(action.status, action.statusReason ?? '').toBe('awaiting_approval');
  colleague(dir);
  const after = snapshot(dir);
  expect(await approve(h!, action.id, action.planSha256!)).toEqual({ ok: true, status: 'approved' });
  const again = h!.service.actions.get(action.id)!;
  expect(again.status, again.statusReason ?? '').toBe('awaiting_approval');
  expect(again.planSha256).not.toBe(action.planSha256);
  expect(statuses(action.id)).toEqual([
    'proposed',
    'preparing',
    'awaiting_approval',
    'approved',
    'stale',
    'preparing',
    'awaiting_approval',
  ]);
  expect(again.sourceChanges).toEqual([expect.objectContaining({ phase: 'apply', ...expectChange })]);
  const stale = h!.service.ledger.list({ actionId: action.id, kind: 'action.stale' });
  expect(stale).toHaveLength(1);
  const named = [...expectChange.changed, ...expectChange.added, ...expectChange.deleted];
  for (const n of named) expect(JSON.stringify(stale[0]!.data)).toContain(n);
  // Nothing was applied or written: the colleague's files are exactly as they left them.
  expect(stateBytes(dir)).toBe(state);
  expect(snapshot(dir)).toEqual(after);
  // The approval of the old plan is void.
  expect(
    await h!.service.executor.submitVerdict({
      actionId: action.id,
      verdict: 'approve',
      channel: 'rest',
      actor: 'late',
      planSha256: action.planSha256!,
    }),
  ).toMatchObject({ ok: false, code: 'ERR_CONFLICT' });
  return again;
}

describe("a person's edit is never overwritten (real terraform)", () => {
  it('a block appended to main.tf while waiting for approval: stale, re-planned, and after a second approval the file has both', async () => {
    h = await startWithDeployments({ web: poolDeployment() });
    const main = path.join(h.runDir('web'), 'main.tf');
    const again = await staleAfterColleague((dir) => appendFileSync(path.join(dir, 'main.tf'), COLLEAGUE_BLOCK), {
      changed: ['main.tf'],
      added: [],
      deleted: [],
    });
    expect(again.statusReason).toBeNull();
    expect(read(main)).toContain('count = 2 # scaled by InfraAI');
    await approveApplied(again.id);
    const text = read(main);
    expect(text).toContain(COLLEAGUE_BLOCK);
    expect(text).toContain('count = 3 # scaled by InfraAI');
    expect(await stateList(h.runDir('web'))).toHaveLength(4);
  });

  it('a tfvars value changed by a colleague: stale, re-planned; the applied tfvars keeps their value and gets the new one', async () => {
    const vars = {
      'main.tf':
        'variable "workers" {\n  type = number\n}\n\nvariable "owner" {\n  type = string\n}\n\nresource "terraform_data" "workers" {\n  count = var.workers\n}\n',
      'terraform.tfvars': 'workers = 2\nowner   = "team-a"\n',
    };
    h = await startWithDeployments({ vars });
    const target = {
      runId: 'vars',
      address: 'terraform_data.workers[0]',
      actionType: 'scale_up',
      parameters: { count: 3 },
    };
    const tfvars = path.join(h.runDir('vars'), 'terraform.tfvars');
    const again = await staleAfterColleague(
      () => writeFileSync(tfvars, read(tfvars).replace('team-a', 'team-b')),
      { changed: ['terraform.tfvars'], added: [], deleted: [] },
      target,
    );
    expect(again.files).toEqual({ changed: ['terraform.tfvars'], deleted: [] });
    await approveApplied(again.id);
    expect(read(tfvars)).toBe('workers = 3\nowner   = "team-b"\n');
    expect(await stateList(h.runDir('vars'))).toHaveLength(3);
  });

  it('a new file added by a colleague: stale ("extra.tf added"), re-planned, applied; their file stays byte for byte', async () => {
    h = await startWithDeployments({ web: poolDeployment() });
    const extra = path.join(h.runDir('web'), 'extra.tf');
    const text = 'locals {\n  cost_centre = "ops-42"\n}\n';
    const again = await staleAfterColleague(() => writeFileSync(extra, text), {
      changed: [],
      added: ['extra.tf'],
      deleted: [],
    });
    expect(again.sources).toHaveProperty(['extra.tf']);
    await approveApplied(again.id);
    expect(read(extra)).toBe(text);
    expect(read(path.join(h.runDir('web'), 'main.tf'))).toContain('count = 3');
  });

  it('a file deleted by a colleague: stale ("notes.tf deleted"), re-planned, applied; the file is not brought back', async () => {
    h = await startWithDeployments({ web: { ...poolDeployment(), 'notes.tf': 'locals {\n  note = "temporary"\n}\n' } });
    const notes = path.join(h.runDir('web'), 'notes.tf');
    const again = await staleAfterColleague(() => rmSync(notes), { changed: [], added: [], deleted: ['notes.tf'] });
    expect(again.sources).not.toHaveProperty(['notes.tf']);
    await approveApplied(again.id);
    expect(existsSync(notes)).toBe(false);
    expect(read(path.join(h.runDir('web'), 'main.tf'))).toContain('count = 3');
  });

  it("a colleague's new, unapplied resource: the re-made plan would create it, so the gate refuses; nothing applied, their file kept", async () => {
    h = await startWithDeployments({ web: poolDeployment() });
    const dir = h.runDir('web');
    const { action } = await prepareDecision(h, SCALE);
    appendFileSync(
      path.join(dir, 'main.tf'),
      '\nresource "terraform_data" "colleague" {\n  input = "not reviewed"\n}\n',
    );
    const files = snapshot(dir);
    await approve(h, action.id, action.planSha256!);
    const done = h.service.actions.get(action.id)!;
    expect(done.status).toBe('prepare_failed');
    expect(done.statusReason).toMatch(/plan gate refused: .*terraform_data\.colleague/);
    expect(statuses(action.id)).toContain('stale');
    expect(statuses(action.id)).not.toContain('applying');
    expect(snapshot(dir)).toEqual(files);
    expect(await stateList(dir)).toEqual(POOL2);
  });

  it('files changed while the plan is made: stale during prepare, prepared again from the new files, one request', async () => {
    const tf = new HookedTerraform();
    h = await startWithDeployments({ web: poolDeployment() }, {}, { terraform: tf });
    const main = path.join(h.runDir('web'), 'main.tf');
    tf.before(planInStaging, () => appendFileSync(main, COLLEAGUE_BLOCK));
    const { action } = await prepareDecision(h, SCALE);
    expect(action.status, action.statusReason ?? '').toBe('awaiting_approval');
    expect(statuses(action.id)).toEqual(['proposed', 'preparing', 'stale', 'preparing', 'awaiting_approval']);
    expect(action.sourceChanges).toEqual([
      expect.objectContaining({ phase: 'prepare', changed: ['main.tf'], added: [], deleted: [] }),
    ]);
    expect(h.service.actions.statusHistory(action.id).find((x) => x.status === 'stale')!.detail).toMatch(
      /files changed while the plan was made \(main\.tf changed\)/,
    );
    // The request shows the plan of the new files: its diff's context is the colleague's version.
    await approveApplied(action.id);
    expect(read(main)).toContain(COLLEAGUE_BLOCK);
    expect(read(main)).toContain('count = 3');
  });

  it('files that keep changing during every prepare: prepare_failed after 3 attempts, nothing planned for approval', async () => {
    const tf = new HookedTerraform();
    h = await startWithDeployments({ web: poolDeployment() }, {}, { terraform: tf });
    const main = path.join(h.runDir('web'), 'main.tf');
    let n = 0;
    tf.before(planInStaging, () => appendFileSync(main, `\n# edit ${++n}\n`), Infinity);
    const { action } = await prepareDecision(h, SCALE);
    expect(action.status).toBe('prepare_failed');
    expect(action.statusReason).toMatch(/kept changing while the plan was made \(3 attempts/);
    expect(action.sourceChanges).toHaveLength(3);
    expect(action.planSha256).toBeNull();
    expect(await stateList(h.runDir('web'))).toEqual(POOL2);
    expect(read(main)).toContain('count = 2');
  });

  it("a block appended during the apply itself: applied, and the new value is set in the colleague's version of the file", async () => {
    const tf = new HookedTerraform();
    h = await startWithDeployments({ web: poolDeployment() }, {}, { terraform: tf });
    const main = path.join(h.runDir('web'), 'main.tf');
    const { action } = await prepareDecision(h, SCALE);
    tf.before(applyOfSavedPlan, () => appendFileSync(main, COLLEAGUE_BLOCK));
    const done = await approveApplied(action.id);
    expect(read(main)).toContain(COLLEAGUE_BLOCK);
    expect(read(main)).toContain('count = 3 # scaled by InfraAI');
    expect((done.result as { files_written: unknown }).files_written).toEqual({
      written: [],
      deleted: [],
      merged: ['main.tf'],
      conflicts: [],
    });
    expect(done.statusReason).toBeNull();
  });

  it('the same value changed by a colleague during the apply: theirs is kept, the action says the files no longer match', async () => {
    const tf = new HookedTerraform();
    h = await startWithDeployments({ web: poolDeployment() }, {}, { terraform: tf });
    const main = path.join(h.runDir('web'), 'main.tf');
    const { action } = await prepareDecision(h, SCALE);
    tf.before(applyOfSavedPlan, () => writeFileSync(main, read(main).replace('count = 2 #', 'count = 5 #')));
    const done = await approveApplied(action.id);
    expect(read(main)).toContain('count = 5 # scaled by InfraAI');
    expect(done.statusReason).toMatch(/main\.tf changed during the apply .*reconcile by hand/);
    expect((done.result as { files_written: { conflicts: string[] } }).files_written.conflicts).toEqual(['main.tf']);
  });

  it('an apply that fails after a colleague changed the files during it: no re-apply of their unplanned change, rollback_failed', async () => {
    const tf = new HookedTerraform();
    h = await startWithDeployments({ web: poolDeployment(3) }, {}, { terraform: tf });
    const main = path.join(h.runDir('web'), 'main.tf');
    const { action } = await prepareDecision(h, { ...SCALE, parameters: { count: 4 } });
    tf.before(applyOfSavedPlan, () => appendFileSync(main, COLLEAGUE_BLOCK));
    await approve(h, action.id, action.planSha256!);
    const done = h.service.actions.get(action.id)!;
    expect(done.status).toBe('rollback_failed');
    expect(done.statusReason).toMatch(/not re-applying .*main\.tf changed/);
    expect(read(main)).toContain(COLLEAGUE_BLOCK);
    expect(read(main)).toContain('count = 2');
  });
});
