/**
 * No lost work, through the real service graph with real Terraform:
 * - a colleague's change to a deployment between the plan and the approval, in many shapes, is
 *   never applied over nor overwritten (the action goes stale and asks again); content that did
 *   not change (touch, same bytes, files Terraform does not read) does not block the apply;
 * - a change while the plan is being made, at every Terraform step of the prepare;
 * - queued actions under mixed outcomes (applied, rejected, failed, resolved while queued) all
 *   run in creation order, one at a time, and none is dropped.
 */
import { appendFileSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { HookedTerraform, planInStaging } from '../helpers/hooked-terraform.js';
import {
  approve,
  prepareDecision,
  seedDecision,
  snapshot,
  startWithDeployments,
  stateBytes,
  type Harness,
} from '../helpers/executor-harness.js';
import { RecordingTerraform } from './recording-terraform.js';
import { Tally } from './tally.js';

const tally = new Tally('lost work');
let h: Harness | undefined;
afterEach(async () => {
  await h?.service.stop();
  h = undefined;
});
afterAll(() => tally.print());

const MAIN = `# pool, scaled by InfraAI
variable "owner" {
  type    = string
  default = "nobody"
}

resource "terraform_data" "pool" {
  count = 2

  input = {
    node_count = 2
  }
}
`;
const BASE = {
  'main.tf': MAIN,
  'terraform.tfvars': 'owner = "team-a"\n',
  'notes.tf': 'locals {\n  note = "keep"\n}\n',
};
const WITH_MODULE = {
  ...BASE,
  'modules/tags/main.tf': 'output "tags" {\n  value = { team = "a" }\n}\n',
  'tags.tf': 'module "tags" {\n  source = "./modules/tags"\n}\n',
};

type Edit = { name: string; files?: Record<string, string>; edit: (dir: string) => void };

/** Changes Terraform reads: each must make the approved plan stale. */
const CHANGES: Edit[] = [
  {
    name: 'block appended to main.tf',
    edit: (d) => appendFileSync(path.join(d, 'main.tf'), '\nlocals {\n  owner_team = "b"\n}\n'),
  },
  {
    name: 'comment changed in main.tf',
    edit: (d) =>
      writeFileSync(path.join(d, 'main.tf'), MAIN.replace('# pool, scaled by InfraAI', '# pool (owned by team b)')),
  },
  { name: 'whitespace only (trailing newline)', edit: (d) => appendFileSync(path.join(d, 'main.tf'), '\n') },
  {
    name: 'variable default changed',
    edit: (d) => writeFileSync(path.join(d, 'main.tf'), MAIN.replace('"nobody"', '"somebody"')),
  },
  { name: 'tfvars value changed', edit: (d) => writeFileSync(path.join(d, 'terraform.tfvars'), 'owner = "team-b"\n') },
  { name: 'tfvars file deleted', edit: (d) => rmSync(path.join(d, 'terraform.tfvars')) },
  { name: 'new .tf file', edit: (d) => writeFileSync(path.join(d, 'extra.tf'), 'locals {\n  extra = 1\n}\n') },
  {
    name: 'new .tf.json file',
    edit: (d) => writeFileSync(path.join(d, 'extra.tf.json'), '{"locals": {"extra_json": 1}}\n'),
  },
  {
    name: 'new .auto.tfvars file',
    edit: (d) => writeFileSync(path.join(d, 'owner.auto.tfvars'), 'owner = "team-c"\n'),
  },
  { name: 'file deleted', edit: (d) => rmSync(path.join(d, 'notes.tf')) },
  { name: 'file renamed', edit: (d) => renameSync(path.join(d, 'notes.tf'), path.join(d, 'notes-renamed.tf')) },
  {
    name: 'file in a local module changed',
    files: WITH_MODULE,
    edit: (d) => writeFileSync(path.join(d, 'modules/tags/main.tf'), 'output "tags" {\n  value = { team = "b" }\n}\n'),
  },
  {
    name: 'file added to a local module',
    files: WITH_MODULE,
    edit: (d) => writeFileSync(path.join(d, 'modules/tags/more.tf'), 'locals {\n  more = true\n}\n'),
  },
];

/** Not changes of content Terraform reads: the approved plan is still the plan of these files. */
const NOT_CHANGES: Edit[] = [
  {
    name: 'touched (mtime only)',
    edit: (d) => utimesSync(path.join(d, 'main.tf'), new Date(), new Date(Date.now() + 60_000)),
  },
  {
    name: 'rewritten with identical bytes',
    edit: (d) => writeFileSync(path.join(d, 'main.tf'), readFileSync(path.join(d, 'main.tf'))),
  },
  { name: 'non-Terraform file added (README.md)', edit: (d) => writeFileSync(path.join(d, 'README.md'), '# notes\n') },
];

const SCALE = (runId: string) => ({
  runId,
  address: 'terraform_data.pool',
  actionType: 'scale_up',
  parameters: { count: 3 },
});
const runIdOf = (i: number) => `dep${i}`;

describe('lost work', () => {
  it(`a colleague's change before the apply (${CHANGES.length} shapes): stale, not applied, their files byte for byte`, async () => {
    h = await startWithDeployments(Object.fromEntries(CHANGES.map((c, i) => [runIdOf(i), c.files ?? BASE])));
    const failures: string[] = [];
    for (const [i, c] of CHANGES.entries()) {
      const dir = h.runDir(runIdOf(i));
      const state = stateBytes(dir);
      const { action } = await prepareDecision(h, SCALE(runIdOf(i)));
      c.edit(dir);
      const theirs = snapshot(dir);
      await approve(h, action.id, action.planSha256!);
      const a = h.service.actions.get(action.id)!;
      const history = h.service.actions.statusHistory(action.id).map((x) => x.status);
      const ok =
        action.status === 'awaiting_approval' &&
        history.includes('stale') &&
        !history.includes('applying') &&
        a.sourceChanges.length === 1 &&
        a.sourceChanges[0]!.phase === 'apply' &&
        JSON.stringify(snapshot(dir)) === JSON.stringify(theirs) &&
        stateBytes(dir) === state &&
        ['awaiting_approval', 'prepare_failed'].includes(a.status) &&
        a.planSha256 !== action.planSha256;
      tally.record('colleague edit before the apply → stale, kept', ok, `${c.name} → ${a.status} ${history.join(',')}`);
      if (!ok) failures.push(`${c.name}: ${a.status} ${a.statusReason ?? ''} [${history.join(',')}]`);
    }
    expect(failures).toEqual([]);
  });

  it(`content that did not change (${NOT_CHANGES.length} shapes) does not block the approved apply`, async () => {
    h = await startWithDeployments(Object.fromEntries(NOT_CHANGES.map((_, i) => [runIdOf(i), BASE])));
    const failures: string[] = [];
    for (const [i, c] of NOT_CHANGES.entries()) {
      const dir = h.runDir(runIdOf(i));
      const { action } = await prepareDecision(h, SCALE(runIdOf(i)));
      c.edit(dir);
      await approve(h, action.id, action.planSha256!);
      const a = h.service.actions.get(action.id)!;
      const ok = a.status === 'applied' && readFileSync(path.join(dir, 'main.tf'), 'utf8').includes('count = 3');
      tally.record('unchanged content → applied (controls)', ok, `${c.name} → ${a.status}`);
      if (!ok) failures.push(`${c.name}: ${a.status} ${a.statusReason ?? ''}`);
    }
    expect(failures).toEqual([]);
  });

  it('a change while the plan is made, at each Terraform step of the prepare: stale, prepared again, asks once', async () => {
    const tf = new HookedTerraform();
    const steps: Array<[string, (args: string[], cwd: string) => boolean]> = [
      ['validate', (a, cwd) => a[0] === 'validate' && cwd.includes('/staging/')],
      ['plan', planInStaging],
      ['show', (a, cwd) => a[0] === 'show' && cwd.includes('/staging/')],
      ['state pull (backup)', (a) => a[0] === 'state' && a[1] === 'pull'],
      ['fmt', (a) => a[0] === 'fmt'],
    ];
    h = await startWithDeployments(Object.fromEntries(steps.map((_, i) => [runIdOf(i), BASE])), {}, { terraform: tf });
    const failures: string[] = [];
    for (const [i, [step, when]] of steps.entries()) {
      const dir = h.runDir(runIdOf(i));
      tf.before(when, () => appendFileSync(path.join(dir, 'main.tf'), `\n# edited during ${step}\n`));
      const { action } = await prepareDecision(h, SCALE(runIdOf(i)));
      const history = h.service.actions.statusHistory(action.id).map((x) => x.status);
      const ok =
        action.status === 'awaiting_approval' &&
        history.join(',') === 'proposed,preparing,stale,preparing,awaiting_approval' &&
        readFileSync(path.join(dir, 'main.tf'), 'utf8').includes(`# edited during ${step}`);
      tally.record('edit while the plan is made → stale, prepared again', ok, `${step} → ${history.join(',')}`);
      if (!ok) failures.push(`${step}: ${action.status} ${action.statusReason ?? ''} [${history.join(',')}]`);
    }
    expect(failures).toEqual([]);
  });

  it('queued actions under mixed outcomes: every one runs, in creation order, one at a time', async () => {
    type Outcome = 'apply' | 'reject' | 'fail' | 'resolve';
    const scripts: Outcome[][] = [
      ['apply', 'apply', 'apply'],
      ['reject', 'apply', 'reject'],
      ['fail', 'apply', 'fail', 'apply'],
      ['apply', 'resolve', 'apply'],
      ['resolve', 'resolve', 'reject'],
    ];
    const failing =
      'resource "terraform_data" "pool" {\n  count = 2\n  provisioner "local-exec" {\n    command = "test ! -e fail-next-create || { rm fail-next-create; exit 1; }"\n  }\n}\n';
    const tf = new RecordingTerraform();
    h = await startWithDeployments(
      Object.fromEntries(scripts.map((_, i) => [runIdOf(i), { 'main.tf': failing }])),
      {},
      { terraform: tf },
    );
    const s = h.service;
    const failures: string[] = [];
    for (const [i, script] of scripts.entries()) {
      const runId = runIdOf(i);
      const dir = h.runDir(runId);
      const seeded = script.map((_, k) =>
        seedDecision(s.db, {
          runId,
          address: 'terraform_data.pool',
          actionType: 'scale_up',
          parameters: { count: 3 + k },
        }),
      );
      // Resolved while queued: decided first, so they never get their turn.
      const ids = seeded.map(({ decisionId }) => {
        s.executor.prepare(decisionId);
        return (s.db.prepare('SELECT id FROM actions WHERE decision_id = ?').get(decisionId) as { id: string }).id;
      });
      for (const [k, o] of script.entries())
        if (o === 'resolve' && k > 0)
          s.events.publish({ type: 'incident.resolved', incidentId: seeded[k]!.incidentId });
      await s.executor.idle();
      const seen: string[] = [];
      for (const [k, o] of script.entries()) {
        const a = s.actions.get(ids[k]!)!;
        if (o === 'resolve' && k > 0) {
          seen.push(a.status);
          continue;
        }
        if (o === 'resolve') s.events.publish({ type: 'incident.resolved', incidentId: seeded[k]!.incidentId });
        else if (o === 'reject')
          await s.executor.submitVerdict({ actionId: a.id, verdict: 'reject', channel: 'rest', actor: 'ann' });
        else {
          if (o === 'fail') writeFileSync(path.join(dir, 'fail-next-create'), '');
          await approve(h, a.id, a.planSha256 ?? undefined);
        }
        await s.executor.idle();
        seen.push(s.actions.get(a.id)!.status);
      }
      const want = script.map(
        (o) => ({ apply: 'applied', reject: 'rejected', fail: 'rolled_back', resolve: 'obsolete' })[o],
      );
      const prepared = ids
        .map((id) => s.ledger.list({ actionId: id, kind: 'action.preparing' })[0]?.id ?? Infinity)
        .filter(Number.isFinite);
      const inOrder = prepared.every((v, k) => k === 0 || v > prepared[k - 1]!);
      const ok = JSON.stringify(seen) === JSON.stringify(want) && inOrder;
      tally.record('queued actions, mixed outcomes → all run, in order', ok, `${script.join(',')} → ${seen.join(',')}`);
      if (!ok) failures.push(`${script.join(',')} → ${seen.join(',')} (in order: ${inOrder})`);
    }
    const overlaps = tf.overlaps(
      (c) => c.cwd.includes('/terraform-runs/'),
      (a, b) => a.cwd === b.cwd,
    );
    tally.record(
      'queued actions, mixed outcomes → all run, in order',
      overlaps.length === 0,
      'no overlapping Terraform calls in a run dir',
    );
    expect(failures).toEqual([]);
    expect(overlaps).toEqual([]);
  });
});
