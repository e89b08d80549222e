import { execa } from 'execa';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALLOWED_USER, startStack, waitFor, type Stack } from './stack.js';

interface ActionItem {
  id: string;
  status: string;
  target_address: string;
  decision_id: string;
  incident_id: string | null;
  revision_id: string | null;
  status_reason: string | null;
}
interface ActionDetail extends ActionItem {
  status_history: Array<{ status: string }>;
  diff: string | null;
  rollback: unknown;
  result: Record<string, unknown> | null;
  approvals: Array<{ channel: string; outcome: string }>;
}

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir)
    .filter((n) => /\.(tf|tfvars)$/.test(n))
    .sort())
    out[f] = readFileSync(path.join(dir, f), 'utf8');
  return out;
}

async function stateResources(
  dir: string,
): Promise<Array<{ address: string; values: { input?: Record<string, unknown> } }>> {
  const r = await execa('terraform', ['show', '-json', '-no-color'], {
    cwd: dir,
    env: { TF_CLI_CONFIG_FILE: '/dev/null' },
  });
  const parsed = JSON.parse(r.stdout) as {
    values?: { root_module?: { resources?: Array<{ address: string; values: { input?: Record<string, unknown> } }> } };
  };
  return parsed.values?.root_module?.resources ?? [];
}

async function actionFor(stack: Stack, address: string, statuses: string[]): Promise<ActionItem> {
  return waitFor(
    `an action on ${address} in ${statuses.join('|')}`,
    async () => {
      const { body } = await stack.api<{ items: ActionItem[] }>('/ops/actions?run_id=shop&limit=50');
      const a = body.items.find((x) => x.target_address === address);
      if (a && !statuses.includes(a.status) && ['prepare_failed', 'superseded'].includes(a.status)) {
        throw new Error(`action ${a.id} ended ${a.status}: ${a.status_reason ?? ''}`);
      }
      return a && statuses.includes(a.status) ? a : undefined;
    },
    90_000,
  );
}

async function detail(stack: Stack, id: string): Promise<ActionDetail> {
  return (await stack.api<ActionDetail>(`/ops/actions/${id}`)).body;
}

/** The Telegram request for an action: the message whose buttons carry its id. */
async function requestMessage(stack: Stack, actionId: string) {
  return waitFor(`the Telegram request for ${actionId}`, () =>
    [...stack.telegram.messages.values()].find((m) =>
      m.reply_markup?.inline_keyboard.flat().some((b) => b.callback_data === `a:${actionId}`),
    ),
  );
}

async function pressOnTelegram(stack: Stack, actionId: string, verb: 'a' | 'r'): Promise<void> {
  const msg = await requestMessage(stack, actionId);
  const buttons = msg.reply_markup!.inline_keyboard.flat();
  expect(buttons.map((b) => b.callback_data)).toEqual([`a:${actionId}`, `r:${actionId}`]);
  stack.telegram.injectCallback({
    fromId: ALLOWED_USER,
    data: `${verb}:${actionId}`,
    messageId: msg.message_id,
    username: 'alice',
  });
}

describe('full loop with Gemini: alert → Alertmanager → decision → Telegram approval → apply → verified', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ gemini: true });
    stack.gemini!.fallback = () => ({
      kind: 'json',
      value: {
        action_type: 'scale_up',
        resource_id: 'terraform_data.vm',
        parameters: { node_count: 3 },
        confidence: 0.9,
        reason: 'CPU at 93% on shop-vm for 10 minutes with 2 nodes; add one node',
      },
    });
  }, 180_000);
  afterAll(async () => {
    expect(await stack?.stop()).toBe(0);
  });

  it('applies the approved plan, records a revision, syncs the registry and marks the action effective', async () => {
    const before = snapshot(stack.runDir);
    await stack.fireAlert({ alertname: 'VMCPUHigh', resource_id: 'shop-vm', severity: 'critical' });
    const pending = await actionFor(stack, 'terraform_data.vm', ['awaiting_approval']);
    // Nothing in the run dir changes before a human approves.
    expect(snapshot(stack.runDir)).toEqual(before);

    const decision = (
      await stack.api<{ decision: { source: string; action_type: string; parameters: unknown } }>(
        `/ops/decisions/${pending.decision_id}`,
      )
    ).body;
    expect(decision.decision).toMatchObject({
      source: 'gemini',
      action_type: 'scale_up',
      parameters: { node_count: 3 },
    });
    expect(stack.gemini!.requests.length).toBeGreaterThanOrEqual(1);
    expect(stack.gemini!.requests[0]!.headers['x-goog-api-key']).toBe('fake-gemini-key-e2e');
    expect(stack.gemini!.requests[0]!.prompt).toContain('shop-vm');

    const msg = await requestMessage(stack, pending.id);
    expect(msg.chat_id).toBe('-100777');
    expect(msg.text).toContain('terraform_data.vm');
    expect(msg.text).toContain('VMCPUHigh');
    await pressOnTelegram(stack, pending.id, 'a');

    const applied = await actionFor(stack, 'terraform_data.vm', ['applied', 'effective']);
    expect(applied.revision_id).toMatch(/^rev_/);
    expect(readFileSync(path.join(stack.runDir, 'main.tf'), 'utf8')).toContain('node_count = 3');
    const vm = (await stateResources(stack.runDir)).find((r) => r.address === 'terraform_data.vm');
    expect(vm?.values.input?.node_count).toBe(3);
    const resources = (
      await stack.api<{ items: Array<{ address: string; attributes: { input?: { node_count?: number } } }> }>(
        '/ops/resources?q=shop-vm',
      )
    ).body;
    expect(resources.items.find((r) => r.address === 'terraform_data.vm')?.attributes.input?.node_count).toBe(3);
    await stack.telegram.waitFor(
      () => /Applied/i.test(stack.telegram.messages.get(msg.message_id)?.text ?? ''),
      'the request edited to applied',
    );

    await stack.fireAlert({ alertname: 'VMCPUHigh', resource_id: 'shop-vm', severity: 'critical' }, { resolved: true });
    const effective = await actionFor(stack, 'terraform_data.vm', ['effective']);
    const d = await detail(stack, effective.id);
    expect(d.status_history.map((h) => h.status)).toEqual([
      'proposed',
      'preparing',
      'awaiting_approval',
      'approved',
      'applying',
      'applied',
      'effective',
    ]);
    expect(d.approvals).toContainEqual(expect.objectContaining({ channel: 'telegram', outcome: 'accepted' }));
    expect(d.incident_id).toBe(pending.incident_id);
    expect(d.diff).toContain('+    node_count = 3');
    const active = (await stack.api<{ items: Array<{ resource_address: string | null }> }>('/ops/alerts/active')).body;
    expect(active.items.filter((a) => a.resource_address === 'terraform_data.vm')).toEqual([]);
  }, 240_000);
});

describe('full loop with the rules agent: apply, rejection and a failing apply', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ gemini: false });
  }, 180_000);
  afterAll(async () => {
    expect(await stack?.stop()).toBe(0);
  });

  it('scales the pool on approval and verifies the alert resolved', async () => {
    await stack.fireAlert({ alertname: 'NodePoolCPUHigh', pool: 'shop-pool', severity: 'warning' });
    const pending = await actionFor(stack, 'terraform_data.pool', ['awaiting_approval']);
    const decision = (
      await stack.api<{ decision: { source: string; parameters: unknown } }>(`/ops/decisions/${pending.decision_id}`)
    ).body;
    expect(decision.decision).toMatchObject({ source: 'rules', parameters: { count: 3 } });
    await pressOnTelegram(stack, pending.id, 'a');
    await actionFor(stack, 'terraform_data.pool', ['applied', 'effective']);
    expect(readFileSync(path.join(stack.runDir, 'main.tf'), 'utf8')).toMatch(/count = 3/);
    expect(
      (await stateResources(stack.runDir)).filter((r) => r.address.startsWith('terraform_data.pool[')),
    ).toHaveLength(3);
    await stack.fireAlert({ alertname: 'NodePoolCPUHigh', pool: 'shop-pool', severity: 'warning' }, { resolved: true });
    await actionFor(stack, 'terraform_data.pool', ['effective']);
  }, 240_000);

  it('a rejection on Telegram changes nothing', async () => {
    const files = snapshot(stack.runDir);
    const state = await stateResources(stack.runDir);
    await stack.fireAlert({ alertname: 'WebLatencyHigh', resource_id: 'shop-web', severity: 'warning' });
    const pending = await actionFor(stack, 'terraform_data.web', ['awaiting_approval']);
    await pressOnTelegram(stack, pending.id, 'r');
    const rejected = await actionFor(stack, 'terraform_data.web', ['rejected']);
    expect(snapshot(stack.runDir)).toEqual(files);
    expect(await stateResources(stack.runDir)).toEqual(state);
    expect((await detail(stack, rejected.id)).approvals).toContainEqual(
      expect.objectContaining({ channel: 'telegram', outcome: 'accepted' }),
    );
  }, 240_000);

  it('an apply that fails is rolled back: files byte-identical, state converged, status rolled_back', async () => {
    const files = snapshot(stack.runDir);
    await stack.fireAlert({ alertname: 'BatchQueueHigh', pool: 'batch-pool', severity: 'warning' });
    const pending = await actionFor(stack, 'terraform_data.batch', ['awaiting_approval']);
    const msg = await requestMessage(stack, pending.id);
    const approve = await stack.api(`/ops/approve/${pending.id}`, {
      method: 'POST',
      body: { actor: 'e2e', reason: 'try it' },
    });
    expect(approve.status).toBe(200);
    const done = await actionFor(stack, 'terraform_data.batch', ['rolled_back', 'rollback_failed']);
    expect(done.status).toBe('rolled_back');
    expect(snapshot(stack.runDir)).toEqual(files);
    expect(
      (await stateResources(stack.runDir)).filter((r) => r.address.startsWith('terraform_data.batch[')),
    ).toHaveLength(1);
    const d = await detail(stack, done.id);
    expect(JSON.stringify(d.rollback)).toContain('local-exec');
    expect(d.approvals).toContainEqual(expect.objectContaining({ channel: 'rest', outcome: 'accepted' }));
    await stack.telegram.waitFor(
      () => /rolled back/i.test(stack.telegram.messages.get(msg.message_id)?.text ?? ''),
      'the request edited to rolled back',
    );
    expect(stack.telegram.messages.get(msg.message_id)?.reply_markup?.inline_keyboard.flat() ?? []).toEqual([]);
  }, 240_000);
});
