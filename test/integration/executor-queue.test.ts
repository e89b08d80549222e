/**
 * Decided actions are queued, not dropped: the real Alertmanager delivery of two pools of one
 * deployment firing at once gives both pools an action; the second waits `queued` and is prepared
 * (against the files and state of then) once the first has ended, whatever its outcome.
 * Real Terraform, real SQLite, the real compose() graph, alerts through POST /ops/webhook.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ActionRecord } from '../../src/actions/action-store.js';
import type { Service } from '../../src/main.js';
import { fingerprint } from '../../src/executor/source-files.js';
import {
  approve,
  prepareDecision,
  seedDecision,
  startWithDeployments,
  stateList,
  type Harness,
} from '../helpers/executor-harness.js';
import { startTestService } from '../helpers/service.js';
import { amFixture } from '../helpers/webhook.js';
import { parseExposition, sampleValue } from '../helpers/ops-api.js';

/** One deployment with the two pools the fixture names; a marker file makes the next new instance fail once. */
const PROD = {
  'main.tf': ['api_pool', 'web_pool']
    .map(
      (name) => `resource "terraform_data" "${name}" {
  count = 2

  input = {
    node_count = 2
  }

  provisioner "local-exec" {
    command = "test ! -e fail-next-create || { rm fail-next-create; exit 1; }"
  }
}
`,
    )
    .join('\n'),
};

let h: Harness | undefined;
let again: Service | undefined;
afterEach(async () => {
  await again?.stop();
  await h?.service.stop().catch(() => {});
  h = undefined;
  again = undefined;
});

async function deliver(body: Record<string, unknown>): Promise<void> {
  const res = await h!.service.app.inject({ method: 'POST', url: '/ops/webhook', payload: body });
  expect(res.statusCode, res.body).toBeLessThan(300);
  await h!.service.decisions.idle();
  await h!.service.executor.idle();
}

/** The fixture with `resource`'s alert resolved (same fingerprint and startsAt, as Alertmanager sends it). */
function resolvedFor(resource: string): Record<string, unknown> {
  const body = amFixture('group-firing') as {
    alerts: Array<{ labels: Record<string, string>; status: string; endsAt: string }>;
  };
  const alerts = body.alerts
    .filter((a) => a.labels['resource_id'] === resource)
    .map((a) => ({ ...a, status: 'resolved', endsAt: '2026-11-23T09:30:00Z' }));
  return { ...body, status: 'resolved', alerts };
}

const prodActions = (): ActionRecord[] =>
  h!.service.actions.list({ runId: 'prod', limit: 50, offset: 0 }).items.reverse();
const statuses = (id: string) => h!.service.actions.statusHistory(id).map((x) => x.status);
const get = (id: string) => h!.service.actions.get(id)!;

/** Delivers group-firing.json: two actions, the first waiting for approval, the second queued behind it. */
async function bothPoolsFire(): Promise<{ first: ActionRecord; second: ActionRecord }> {
  await deliver(amFixture('group-firing'));
  const list = prodActions();
  expect(list.map((a) => a.targetAddress).sort()).toEqual(['terraform_data.api_pool', 'terraform_data.web_pool']);
  const first = list.find((a) => a.status !== 'queued')!;
  const second = list.find((a) => a.status === 'queued')!;
  expect(first.status, first.statusReason ?? '').toBe('awaiting_approval');
  expect(second).toMatchObject({ status: 'queued', queuePosition: 1, queuedBehind: first.id });
  expect(second.statusReason).toContain(first.id);
  return { first, second };
}

async function apiJson(url: string): Promise<Record<string, any>> {
  const res = await h!.service.app.inject({ method: 'GET', url });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as Record<string, any>;
}

describe('decided actions are queued per deployment, not dropped (real terraform)', () => {
  it('group-firing.json: both pools get an action; the second is prepared on the files the first applied, then applied too', async () => {
    h = await startWithDeployments({ prod: PROD });
    const dir = h.runDir('prod');
    const { first, second } = await bothPoolsFire();
    // Visible as queued with its position in the API.
    const listed = await apiJson('/ops/actions?status=queued');
    expect(listed.items).toEqual([
      expect.objectContaining({ id: second.id, status: 'queued', queue_position: 1, queued_behind: first.id }),
    ]);
    expect(await apiJson(`/ops/actions/${second.id}`)).toMatchObject({
      status: 'queued',
      queue_position: 1,
      queued_behind: first.id,
      plan_sha256: null,
    });
    expect(existsSync(path.join(h.root, 'data', 'staging', second.id))).toBe(false);
    const metrics = parseExposition((await h.service.app.inject({ method: 'GET', url: '/metrics' })).body);
    expect(sampleValue(metrics, 'infraai_queued_actions', {})).toBe(1);

    await approve(h, first.id, first.planSha256!);
    expect(get(first.id).status, get(first.id).statusReason ?? '').toBe('applied');
    const next = get(second.id);
    expect(next.status, next.statusReason ?? '').toBe('awaiting_approval');
    expect(next.queuePosition).toBeNull();
    // Planned from the files as the first apply left them, not from those of when it was queued.
    expect(next.sources).toEqual(fingerprint(dir));
    expect(next.sources).not.toEqual(get(first.id).sources);
    const firstCount = String(first.parameters['count']);
    const secondCount = String(second.parameters['count']);
    expect(next.diff).toContain(`+  count = ${secondCount}`);
    await approve(h, second.id, next.planSha256!);
    expect(get(second.id).status, get(second.id).statusReason ?? '').toBe('applied');
    expect(statuses(second.id)).toEqual([
      'queued',
      'proposed',
      'preparing',
      'awaiting_approval',
      'approved',
      'applying',
      'applied',
    ]);
    const main = readFileSync(path.join(dir, 'main.tf'), 'utf8');
    const counts = [...main.matchAll(/^ {2}count = (\d+)$/gm)].map((m) => m[1]);
    expect(counts.sort()).toEqual([firstCount, secondCount].sort());
    expect((await stateList(dir)).length).toBe(Number(firstCount) + Number(secondCount));
  });

  it('the first action fails and is rolled back: the queued one is still prepared, approved and applied', async () => {
    h = await startWithDeployments({ prod: PROD });
    const dir = h.runDir('prod');
    const { first, second } = await bothPoolsFire();
    writeFileSync(path.join(dir, 'fail-next-create'), '');
    await approve(h, first.id, first.planSha256!);
    expect(get(first.id).status, get(first.id).statusReason ?? '').toBe('rolled_back');
    const next = get(second.id);
    expect(next.status, next.statusReason ?? '').toBe('awaiting_approval');
    await approve(h, second.id, next.planSha256!);
    expect(get(second.id).status, get(second.id).statusReason ?? '').toBe('applied');
    expect((await stateList(dir)).length).toBe(2 + Number(second.parameters['count']));
  });

  it('an incident resolved while its action is queued: obsolete at once and never prepared, also once the first is rejected', async () => {
    h = await startWithDeployments({ prod: PROD });
    const { first, second } = await bothPoolsFire();
    await deliver(resolvedFor(second.targetAddress.replace('terraform_data.', '')));
    const gone = get(second.id);
    expect(gone.status).toBe('obsolete');
    expect(gone.statusReason).toMatch(/resolved while the action was queued/);
    expect(statuses(second.id)).toEqual(['queued', 'obsolete']);
    expect(
      await h.service.executor.submitVerdict({ actionId: first.id, verdict: 'reject', channel: 'rest', actor: 'ann' }),
    ).toEqual({ ok: true, status: 'rejected' });
    await h.service.executor.idle();
    expect(get(second.id).status).toBe('obsolete');
    expect(h.service.ledger.list({ actionId: second.id, kind: 'action.preparing' })).toHaveLength(0);
    expect(prodActions().filter((a) => a.status === 'awaiting_approval')).toEqual([]);
  });

  it('three actions on one deployment go in creation order, each after the one before ended', async () => {
    h = await startWithDeployments({ prod: PROD });
    const seed = (address: string, count: number) =>
      seedDecision(h!.service.db, { runId: 'prod', address, actionType: 'scale_up', parameters: { count } });
    const ids: string[] = [];
    for (const [address, count] of [
      ['terraform_data.api_pool', 3],
      ['terraform_data.web_pool', 3],
      ['terraform_data.api_pool', 4],
    ] as const) {
      const { decisionId } = seed(address, count);
      h.service.executor.prepare(decisionId);
      ids.push(
        (h.service.db.prepare('SELECT id FROM actions WHERE decision_id = ?').get(decisionId) as { id: string }).id,
      );
    }
    await h.service.executor.idle();
    expect(ids.map((id) => [get(id).status, get(id).queuePosition, get(id).queuedBehind])).toEqual([
      ['awaiting_approval', null, null],
      ['queued', 1, ids[0]],
      ['queued', 2, ids[1]],
    ]);
    for (const [i, id] of ids.entries()) {
      const a = get(id);
      expect(a.status, `action ${i}: ${a.statusReason ?? ''}`).toBe('awaiting_approval');
      await approve(h, id, a.planSha256!);
      expect(get(id).status, get(id).statusReason ?? '').toBe('applied');
    }
    const started = ids.map((id) => h!.service.ledger.list({ actionId: id, kind: 'action.preparing' })[0]!.id);
    expect([...started].sort((a, b) => a - b)).toEqual(started);
    expect((await stateList(h.runDir('prod'))).length).toBe(4 + 3);
  });

  it('queued actions survive a restart: still queued in order, then prepared one after the other', async () => {
    h = await startWithDeployments({ prod: PROD });
    const { action: holder } = await prepareDecision(h, {
      runId: 'prod',
      address: 'terraform_data.api_pool',
      actionType: 'scale_up',
      parameters: { count: 3 },
    });
    const queued = [1, 2].map(() => {
      const { decisionId } = seedDecision(h!.service.db, {
        runId: 'prod',
        address: 'terraform_data.web_pool',
        actionType: 'scale_up',
        parameters: { count: 3 },
      });
      h!.service.executor.prepare(decisionId);
      return (h!.service.db.prepare('SELECT id FROM actions WHERE decision_id = ?').get(decisionId) as { id: string })
        .id;
    });
    await h.service.executor.idle();
    const config = h.service.config;
    await h.service.stop();
    again = await startTestService(config);
    await again.executor.idle();
    const after = (id: string) => again!.actions.get(id)!;
    expect(after(holder.id).status).toBe('awaiting_approval');
    expect(queued.map((id) => [after(id).status, after(id).queuePosition])).toEqual([
      ['queued', 1],
      ['queued', 2],
    ]);
    expect(
      await again.executor.submitVerdict({ actionId: holder.id, verdict: 'reject', channel: 'rest', actor: 'ann' }),
    ).toMatchObject({ ok: true });
    await again.executor.idle();
    expect(after(queued[0]!).status, after(queued[0]!).statusReason ?? '').toBe('awaiting_approval');
    expect([after(queued[1]!).status, after(queued[1]!).queuedBehind]).toEqual(['queued', queued[0]]);
    await again.executor.submitVerdict({ actionId: queued[0]!, verdict: 'reject', channel: 'rest', actor: 'ann' });
    await again.executor.idle();
    expect(after(queued[1]!).status, after(queued[1]!).statusReason ?? '').toBe('awaiting_approval');
  });

  it('a holder cut short by a restart (killed while preparing): on restart it is prepare_failed and the queue moves on', async () => {
    h = await startWithDeployments({ prod: PROD });
    const { action: holder } = await prepareDecision(h, {
      runId: 'prod',
      address: 'terraform_data.api_pool',
      actionType: 'scale_up',
      parameters: { count: 3 },
    });
    const { decisionId } = seedDecision(h.service.db, {
      runId: 'prod',
      address: 'terraform_data.web_pool',
      actionType: 'scale_up',
      parameters: { count: 3 },
    });
    h.service.executor.prepare(decisionId);
    await h.service.executor.idle();
    const queuedId = (
      h.service.db.prepare('SELECT id FROM actions WHERE decision_id = ?').get(decisionId) as { id: string }
    ).id;
    // The crash window, as the recovery tests simulate it: the row says preparing, the process is gone.
    h.service.db.prepare("UPDATE actions SET status = 'preparing' WHERE id = ?").run(holder.id);
    const config = h.service.config;
    await h.service.stop();
    again = await startTestService(config);
    await again.executor.idle();
    expect(again.actions.get(holder.id)!.status).toBe('prepare_failed');
    const next = again.actions.get(queuedId)!;
    expect(next.status, next.statusReason ?? '').toBe('awaiting_approval');
  });

  it('an incident that resolved without the executor hearing of it is checked when the turn comes: obsolete', async () => {
    h = await startWithDeployments({ prod: PROD });
    const { action: holder } = await prepareDecision(h, {
      runId: 'prod',
      address: 'terraform_data.api_pool',
      actionType: 'scale_up',
      parameters: { count: 3 },
    });
    const { decisionId, incidentId } = seedDecision(h.service.db, {
      runId: 'prod',
      address: 'terraform_data.web_pool',
      actionType: 'scale_up',
      parameters: { count: 3 },
    });
    h.service.executor.prepare(decisionId);
    await h.service.executor.idle();
    // Resolved in the database only (e.g. while the service was down): no incident.resolved event.
    h.service.db.prepare("UPDATE incidents SET status = 'resolved' WHERE id = ?").run(incidentId);
    await h.service.executor.submitVerdict({ actionId: holder.id, verdict: 'reject', channel: 'rest', actor: 'ann' });
    await h.service.executor.idle();
    const row = h.service.db.prepare('SELECT id FROM actions WHERE decision_id = ?').get(decisionId) as { id: string };
    expect(get(row.id).status).toBe('obsolete');
    expect(get(row.id).statusReason).toContain(incidentId);
  });
});
