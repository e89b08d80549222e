/**
 * Concurrency through the real service graph (real SQLite file, real Terraform behind a recording
 * decorator): a 50-way approval race over three channels at once, two actions on one deployment,
 * and an alert storm through the webhook while an apply runs.
 */
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeTelegramServer } from '../fakes/fake-telegram-server.js';
import { approvalRows } from '../helpers/approval-service.js';
import {
  poolDeployment,
  prepareDecision,
  seedDecision,
  startWithDeployments,
  stateList,
  type Harness,
} from '../helpers/executor-harness.js';
import { stormNotification } from '../helpers/webhook.js';
import { waitUntil } from './poll.js';
import { RecordingTerraform } from './recording-terraform.js';
import { Tally } from './tally.js';

const ALICE = 111;
const tally = new Tally('concurrency');
let h: Harness | undefined;
let tg: FakeTelegramServer | undefined;

afterEach(async () => {
  await h?.service.stop();
  await tg?.close();
  h = undefined;
  tg = undefined;
});

describe('concurrency', () => {
  it('50 approvals at once from REST (inject), real HTTP and Telegram presses → one accepted, 49 refused, one apply', async () => {
    const tf = new RecordingTerraform();
    tg = new FakeTelegramServer();
    const apiRoot = await tg.start();
    h = await startWithDeployments(
      { web: poolDeployment() },
      {
        TELEGRAM_BOT_TOKEN: tg.token,
        TELEGRAM_CHAT_ID: '-1001',
        TELEGRAM_ALLOWED_USER_IDS: `${ALICE}`,
        TELEGRAM_API_ROOT: apiRoot,
      },
      { terraform: tf, telegramRetry: { baseDelayMs: 10, retryAfterUnitMs: 10 } },
    );
    const s = h.service;
    const { action } = await prepareDecision(h, {
      runId: 'web',
      address: 'terraform_data.pool',
      actionType: 'scale_up',
      parameters: { count: 3 },
    });
    expect(action.status, action.statusReason ?? '').toBe('awaiting_approval');
    await tg.waitFor(() => tg!.messages.size === 1, 'the approval request');
    const msg = [...tg.messages.values()][0]!;
    await s.app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(s.app.server.address() as AddressInfo).port}/ops/approve/${action.id}`;
    const appliesBefore = tf.calls.filter((c) => c.sub === 'apply').length;

    // 10 presses queued for the bot's next poll, then 40 REST calls fired in the same tick.
    for (let i = 0; i < 10; i++)
      tg.injectCallback({ fromId: ALICE, data: `a:${action.id}`, messageId: msg.message_id, username: `alice${i}` });
    const rest = await Promise.all([
      ...Array.from({ length: 20 }, (_, i) =>
        s.app
          .inject({ method: 'POST', url: `/ops/approve/${action.id}`, payload: { actor: `inject${i}` } })
          .then((r) => r.statusCode),
      ),
      ...Array.from({ length: 20 }, (_, i) =>
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ actor: `http${i}` }),
        }).then((r) => r.status),
      ),
    ]);
    await waitUntil('50 recorded attempts', () => approvalRows(h!, action.id).length >= 50);
    await s.executor.idle();
    await s.telegram!.idle();

    const rows = approvalRows(h!, action.id);
    const ok = rows.filter((r) => r.outcome === 'accepted').length === 1 && rows.length === 50;
    tally.record('50-way approval race (3 channels)', ok);
    expect(rows).toHaveLength(50);
    expect(rows.filter((r) => r.outcome === 'accepted')).toHaveLength(1);
    expect(rows.filter((r) => r.outcome !== 'accepted')).toHaveLength(49);
    expect(new Set(rows.map((r) => r.channel))).toEqual(new Set(['rest', 'telegram']));
    expect(rest.filter((c) => c !== 200 && c !== 409)).toEqual([]);
    expect(tf.calls.filter((c) => c.sub === 'apply').length - appliesBefore).toBe(1);
    expect(s.actions.statusHistory(action.id).filter((x) => x.status === 'applying')).toHaveLength(1);
    expect(s.actions.get(action.id)!.status).toBe('applied');
    expect(await stateList(h.runDir('web'))).toHaveLength(4);
    expect(tg.callsOf('answerCallbackQuery')).toHaveLength(10);
  });

  it('two actions on one deployment: the second is queued and prepared after the first; no two Terraform calls in the run dir ever overlap', async () => {
    const tf = new RecordingTerraform();
    h = await startWithDeployments({ web: poolDeployment() }, {}, { terraform: tf });
    const s = h.service;
    const runDir = h.runDir('web');
    const a = seedDecision(s.db, {
      runId: 'web',
      address: 'terraform_data.pool',
      actionType: 'scale_up',
      parameters: { count: 3 },
    });
    const b = seedDecision(s.db, {
      runId: 'web',
      address: 'terraform_data.other',
      actionType: 'restart',
      parameters: {},
    });
    s.executor.prepare(a.decisionId);
    s.executor.prepare(b.decisionId);
    await s.executor.idle();
    const rows = s.db
      .prepare("SELECT id, decision_id, status, status_reason FROM actions WHERE run_id = 'web'")
      .all() as Array<{ id: string; decision_id: string; status: string; status_reason: string | null }>;
    const first = rows.find((r) => r.decision_id === a.decisionId)!;
    const second = rows.find((r) => r.decision_id === b.decisionId)!;
    expect(first.status, first.status_reason ?? '').toBe('awaiting_approval');
    expect(second.status).toBe('queued');
    expect(second.status_reason).toContain(first.id);

    // Approve the first while a registry sync and a third decision arrive: all of them queue on the lock.
    const approved = s.executor.submitVerdict({
      actionId: first.id,
      verdict: 'approve',
      channel: 'rest',
      actor: 'ann',
    });
    const sync = s.app.inject({ method: 'POST', url: '/ops/registry/sync', payload: {} });
    const c = seedDecision(s.db, {
      runId: 'web',
      address: 'terraform_data.other',
      actionType: 'restart',
      parameters: {},
    });
    s.executor.prepare(c.decisionId);
    await approved;
    await Promise.all([sync, s.executor.idle()]);
    expect(s.actions.get(first.id)!.status).toBe('applied');
    // The second was prepared once the first had applied; the third waits behind it.
    expect(s.actions.get(second.id)!.status).toBe('awaiting_approval');
    const thirdId = (s.db.prepare('SELECT id FROM actions WHERE decision_id = ?').get(c.decisionId) as { id: string })
      .id;
    expect(s.actions.get(thirdId)).toMatchObject({ status: 'queued', queuePosition: 1, queuedBehind: second.id });
    await s.executor.submitVerdict({ actionId: second.id, verdict: 'reject', channel: 'rest', actor: 'ann' });
    await s.executor.idle();
    expect(s.actions.get(thirdId)!.status).toBe('awaiting_approval');

    const inRunDir = tf.overlaps((x) => x.cwd === runDir);
    // Work for different actions (their staging dirs) never overlaps either: the deployment lock.
    const staging = path.join(h.root, 'data', 'staging');
    const ownerOf = (cwd: string) => (cwd.startsWith(staging) ? cwd : 'run');
    const acrossActions = tf.overlaps(
      (x) => x.cwd.startsWith(staging),
      (x, y) => ownerOf(x.cwd) !== ownerOf(y.cwd),
    );
    tally.record(
      'three actions on one deployment → queued in order, serialised',
      inRunDir.length === 0 && acrossActions.length === 0,
    );
    expect(tf.calls.filter((x) => x.cwd === runDir).map((x) => x.sub)).toContain('apply');
    expect(inRunDir).toEqual([]);
    expect(acrossActions).toEqual([]);
  });

  it('an alert storm (2,000 alerts over 20 resources) during an apply: all stored, one decision per incident, apply completes', async () => {
    const tf = new RecordingTerraform();
    const files = {
      'main.tf': `resource "terraform_data" "pool" {
  count = 2
  input = { node_count = 2 }
  provisioner "local-exec" {
    command = "sleep 2"
  }
}

${Array.from({ length: 20 }, (_, i) => `resource "terraform_data" "svc${i}" {\n  input = { name = "pool${i}" }\n}\n`).join('\n')}`,
    };
    h = await startWithDeployments({ web: files }, { WEBHOOK_TOKEN: 'storm-token' }, { terraform: tf });
    const s = h.service;
    const { action } = await prepareDecision(h, {
      runId: 'web',
      address: 'terraform_data.pool',
      actionType: 'scale_up',
      parameters: { count: 3 },
    });
    expect(action.status, action.statusReason ?? '').toBe('awaiting_approval');
    const approved = s.executor.submitVerdict({
      actionId: action.id,
      verdict: 'approve',
      channel: 'rest',
      actor: 'ann',
    });
    await waitUntil('the apply running', () => tf.calls.some((c) => c.sub === 'apply' && c.end === Infinity));
    expect(s.actions.get(action.id)!.status).toBe('applying');

    const batches = Array.from({ length: 40 }, (_, b) => stormNotification(b, 50, 20));
    const codes = await Promise.all(
      batches.map((body) =>
        s.app
          .inject({
            method: 'POST',
            url: '/ops/webhook',
            headers: { authorization: 'Bearer storm-token' },
            payload: body,
          })
          .then((r) => r.statusCode),
      ),
    );
    const stormEndedDuringApply = tf.calls.some((c) => c.sub === 'apply' && c.end === Infinity);
    await approved;
    await s.executor.idle();
    await s.decisions.idle();
    await s.executor.idle();

    const accepted = codes.filter((c) => c >= 200 && c < 300).length;
    const alerts = (s.db.prepare('SELECT count(*) AS n FROM alerts').get() as { n: number }).n;
    const incidents = s.db
      .prepare(
        'SELECT i.id, (SELECT count(*) FROM decisions d WHERE d.incident_id = i.id) AS decisions FROM incidents i',
      )
      .all() as Array<{ id: string; decisions: number }>;
    const ok = codes.every((c) => c < 300) && alerts === 2000 && incidents.every((i) => i.decisions === 1);
    tally.record('2,000-alert storm during an apply', ok && s.actions.get(action.id)!.status === 'applied');
    tally.print();
    expect(stormEndedDuringApply).toBe(true);
    expect(codes.filter((c) => c >= 300)).toEqual([]);
    expect(accepted).toBe(40);
    expect(alerts).toBe(2000);
    // 20 resource blocks → 20 incidents (plus the seeded one), each decided exactly once.
    expect(incidents).toHaveLength(21);
    expect(incidents.filter((i) => i.decisions !== 1)).toEqual([]);
    const done = s.actions.get(action.id)!;
    expect(done.status, done.statusReason ?? '').toBe('applied');
    expect(await stateList(h.runDir('web'))).toContain('terraform_data.pool[2]');
    // Decisions during the apply found the deployment busy: nothing else was prepared meanwhile.
    expect(tf.overlaps((c) => c.cwd === h!.runDir('web'))).toEqual([]);
  });
});
