/**
 * Dependencies failing, end to end through the real service graph: Gemini hanging / 429 / garbage,
 * Telegram down for a whole request, Terraform hanging on apply (timeout → SIGINT → recorded,
 * locks freed), and Alertmanager redelivering the same notification.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../src/main.js';
import { FakeGeminiServer } from '../fakes/fake-gemini-server.js';
import { FakeTelegramServer } from '../fakes/fake-telegram-server.js';
import {
  poolDeployment,
  prepareDecision,
  startWithDeployments,
  stateList,
  tf,
  type Harness,
} from '../helpers/executor-harness.js';
import { startTestService, testConfig } from '../helpers/service.js';
import { seedRegistry } from '../helpers/webhook.js';
import { waitUntil } from './poll.js';
import { Tally } from './tally.js';

const HANG_BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'terraform-hang-apply.sh');
const tally = new Tally('dependencies failing');
afterAll(() => tally.print());

function notification(alertname: string, resource: string, fingerprint: string) {
  return {
    version: '4',
    receiver: 'ops',
    status: 'firing',
    groupKey: `{}:{alertname="${alertname}"}`,
    truncatedAlerts: 0,
    groupLabels: { alertname },
    commonLabels: { alertname },
    commonAnnotations: {},
    externalURL: 'http://am:9093',
    alerts: [
      {
        status: 'firing',
        fingerprint,
        generatorURL: '',
        startsAt: '2026-11-23T09:00:00Z',
        endsAt: '0001-01-01T00:00:00Z',
        labels: { alertname, resource_id: resource, severity: 'warning' },
        annotations: { summary: `${alertname} on ${resource}` },
      },
    ],
  };
}

describe('Gemini failing, and Alertmanager redelivering', () => {
  let s: Service;
  let gemini: FakeGeminiServer;
  const prepared: string[] = [];
  const decisionsOf = (resource: string) =>
    s.db.prepare('SELECT source, status, error FROM decisions WHERE resource_address = ?').all(resource) as Array<{
      source: string;
      status: string;
      error: string | null;
    }>;
  const post = (body: unknown) =>
    s.app.inject({ method: 'POST', url: '/ops/webhook', payload: body as Record<string, unknown> });

  beforeAll(async () => {
    gemini = await FakeGeminiServer.start();
    gemini.fallback = (req) => {
      if (req.prompt.includes('CPUHighHang')) return { kind: 'hang' };
      if (req.prompt.includes('CPUHighThrottled')) return { kind: 'error', status: 429, retryDelay: '0.05s' };
      if (req.prompt.includes('CPUHighGarbage')) return { kind: 'text', text: 'Sure! I think you should {scale' };
      return {
        kind: 'json',
        value: {
          action_type: 'scale_up',
          resource_id: 'terraform_data.d_pool',
          parameters: { node_count: 3 },
          confidence: 0.9,
          reason: 'cpu',
        },
      };
    };
    s = await startTestService(
      testConfig({
        GEMINI_API_KEY: 'k-test',
        GEMINI_BASE_URL: gemini.baseUrl,
        GEMINI_TIMEOUT_MS: '300',
        GEMINI_MAX_RETRIES: '1',
      }),
      { actionPreparer: { prepare: (id: string) => void prepared.push(id) } },
    );
    seedRegistry(s, 'web', ['a_pool', 'b_pool', 'c_pool', 'd_pool']);
  });
  afterAll(async () => {
    await s?.stop();
    await gemini?.close();
  });

  it('Gemini hanging: the webhook answers before the model does; the rules decide, the timeout is recorded', async () => {
    const r = await post(notification('CPUHighHang', 'a_pool', 'aaaa000000000001'));
    expect(r.statusCode).toBeLessThan(300);
    // The answer came back while no decision existed yet: the webhook never waits for the LLM.
    expect(decisionsOf('terraform_data.a_pool')).toEqual([]);
    await s.decisions.idle();
    const d = decisionsOf('terraform_data.a_pool');
    tally.record('Gemini hangs → rules decide, webhook not held', d.length === 1 && d[0]!.source === 'rules');
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ source: 'rules', error: 'gemini unavailable: timed out' });
    expect(gemini.requests.filter((q) => q.prompt.includes('CPUHighHang'))).toHaveLength(2);
  });

  it('Gemini 429 on every attempt: the rules decide, the 429 is recorded', async () => {
    expect((await post(notification('CPUHighThrottled', 'b_pool', 'bbbb000000000001'))).statusCode).toBeLessThan(300);
    await s.decisions.idle();
    const d = decisionsOf('terraform_data.b_pool');
    tally.record('Gemini 429 storm → rules decide', d.length === 1 && d[0]!.source === 'rules');
    expect(d).toHaveLength(1);
    expect(d[0]!.source).toBe('rules');
    expect(d[0]!.error).toMatch(/429/);
  });

  it('Gemini answering garbage: recorded as llm_rejected for a human, nothing prepared', async () => {
    const before = prepared.length;
    expect((await post(notification('CPUHighGarbage', 'c_pool', 'cccc000000000001'))).statusCode).toBeLessThan(300);
    await s.decisions.idle();
    const d = decisionsOf('terraform_data.c_pool');
    tally.record('Gemini garbage → human (llm_rejected)', d.length === 1 && d[0]!.status === 'llm_rejected');
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ source: 'gemini', status: 'llm_rejected' });
    expect(d[0]!.error).toMatch(/not valid JSON/);
    expect(prepared.length).toBe(before);
    const health = (await s.app.inject({ method: 'GET', url: '/health' })).json() as {
      checks: { database: { ok: boolean } };
    };
    expect(health.checks.database.ok).toBe(true);
  });

  it('Alertmanager redelivering one notification 5 times in a row and 5 times at once: stored once, one decision', async () => {
    const body = notification('CPUHighRetry', 'd_pool', 'dddd000000000001');
    const count = (t: string) => (s.db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
    const notifications = count('notifications');
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await post(body)).statusCode);
    codes.push(...(await Promise.all(Array.from({ length: 5 }, () => post(body)))).map((r) => r.statusCode));
    await s.decisions.idle();
    const alerts = s.db.prepare("SELECT fingerprint FROM alerts WHERE fingerprint = 'dddd000000000001'").all();
    const events = s.db.prepare("SELECT id FROM alert_events WHERE fingerprint = 'dddd000000000001'").all();
    const d = decisionsOf('terraform_data.d_pool');
    const ok =
      codes.every((c) => c < 300) &&
      alerts.length === 1 &&
      events.length === 1 &&
      d.length === 1 &&
      count('notifications') === notifications + 1;
    tally.record('Alertmanager redelivery ×10 (5 serial, 5 concurrent) → once', ok);
    expect(codes.filter((c) => c >= 300)).toEqual([]);
    expect(count('notifications')).toBe(notifications + 1);
    expect(alerts).toHaveLength(1);
    expect(events).toHaveLength(1);
    expect(d).toHaveLength(1);
    expect(d[0]!.source).toBe('gemini');
  });
});

describe('Telegram and Terraform failing', () => {
  let h: Harness | undefined;
  let tg: FakeTelegramServer | undefined;
  afterEach(async () => {
    await h?.service.stop();
    await tg?.close();
    h = undefined;
    tg = undefined;
  });

  it('Telegram down for the whole request: health degraded, the action still approvable over REST; health recovers', async () => {
    tg = new FakeTelegramServer();
    const apiRoot = await tg.start();
    h = await startWithDeployments(
      { web: poolDeployment() },
      {
        TELEGRAM_BOT_TOKEN: tg.token,
        TELEGRAM_CHAT_ID: '-1001',
        TELEGRAM_ALLOWED_USER_IDS: '111',
        TELEGRAM_API_ROOT: apiRoot,
      },
      { telegramRetry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 50, retryAfterUnitMs: 10 } },
    );
    const s = h.service;
    const health = async () =>
      (
        (await s.app.inject({ method: 'GET', url: '/health' })).json() as {
          checks: { telegram: { ok: boolean; detail: string } };
        }
      ).checks.telegram;
    await waitUntil('telegram connected', () => tg!.callsOf('getUpdates').length > 0);
    tg.failNext(1_000_000, '500');
    const { action } = await prepareDecision(h, {
      runId: 'web',
      address: 'terraform_data.pool',
      actionType: 'scale_up',
      parameters: { count: 3 },
    });
    expect(action.status).toBe('awaiting_approval');
    await s.telegram!.idle();
    expect(tg.messages.size).toBe(0);
    const down = await health();
    expect(down.ok).toBe(false);
    const r = await s.app.inject({ method: 'POST', url: `/ops/approve/${action.id}`, payload: { actor: 'bob' } });
    expect(r.statusCode).toBe(200);
    await s.executor.idle();
    expect(s.actions.get(action.id)!.status).toBe('applied');
    expect(await stateList(h.runDir('web'))).toContain('terraform_data.pool[2]');

    // A second request, still during the outage, waits for Telegram to come back.
    const { action: second } = await prepareDecision(h, {
      runId: 'web',
      address: 'terraform_data.pool',
      actionType: 'scale_up',
      parameters: { count: 4 },
    });
    expect(second.status, second.statusReason ?? '').toBe('awaiting_approval');
    await s.telegram!.idle();
    expect(tg.messages.size).toBe(0);

    tg.failNext(0, '500');
    const recovered = await pollAsync(async () => ((await health()).ok ? true : undefined), 15_000);
    await tg.waitFor(() => tg!.messages.size === 1, 'the waiting request delivered after the outage');
    const msg = [...tg.messages.values()][0]!;
    expect(msg.reply_markup!.inline_keyboard.flat().map((b) => b.callback_data)).toEqual([
      `a:${second.id}`,
      `r:${second.id}`,
    ]);
    tally.record('Telegram down → REST approve works, health degraded then recovers', recovered === true);
    expect(recovered).toBe(true);
  });

  it('Terraform hanging on apply: timeout → SIGINT → failed and rolled back with the reason; locks free afterwards', async () => {
    h = await startWithDeployments({ web: poolDeployment() }, { TERRAFORM_BIN: HANG_BIN, TF_APPLY_TIMEOUT: '2' });
    const s = h.service;
    const dir = h.runDir('web');
    const { action } = await prepareDecision(h, {
      runId: 'web',
      address: 'terraform_data.pool',
      actionType: 'scale_up',
      parameters: { count: 3 },
    });
    expect(action.status, action.statusReason ?? '').toBe('awaiting_approval');
    await s.executor.submitVerdict({ actionId: action.id, verdict: 'approve', channel: 'rest', actor: 'ann' });
    await s.executor.idle();
    const done = s.actions.get(action.id)!;
    const history = s.actions.statusHistory(action.id).map((x) => x.status);
    const rb = done.rollback as { reason: string; applyOutput: { timedOut: boolean; output: string } };
    expect(done.status, done.statusReason ?? '').toBe('rolled_back');
    expect(history).toEqual([
      'proposed',
      'preparing',
      'awaiting_approval',
      'approved',
      'applying',
      'failed',
      'rolled_back',
    ]);
    expect(rb.reason).toMatch(/timed out after \d+ ms/);
    expect(rb.applyOutput.timedOut).toBe(true);
    expect(rb.applyOutput.output).toContain('Interrupt received');
    expect(await stateList(dir)).toHaveLength(3);
    // Terraform's state lock is free, and so is the deployment lock: a new action prepares.
    const plan = await tf(dir, ['plan', '-lock-timeout=0s', '-input=false', '-no-color', '-detailed-exitcode']);
    expect(plan.exitCode, plan.stderr).toBe(0);
    expect(s.deploymentLocks.isLocked('web')).toBe(false);
    const { action: next } = await prepareDecision(h, {
      runId: 'web',
      address: 'terraform_data.pool',
      actionType: 'scale_up',
      parameters: { count: 3 },
    });
    tally.record(
      'Terraform apply hangs → SIGINT, rolled back, locks free',
      next.status === 'awaiting_approval' && done.status === 'rolled_back',
    );
    expect(next.status, next.statusReason ?? '').toBe('awaiting_approval');
  });
});

async function pollAsync<T>(check: () => Promise<T | undefined>, ms: number): Promise<T | undefined> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const v = await check();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  return undefined;
}
