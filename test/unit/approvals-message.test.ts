import { describe, expect, it } from 'vitest';
import {
  CallbackDataSchema,
  encodeCallbackData,
  keyboardFor,
  renderActionMessage,
  renderBlockedNotice,
  statusLine,
} from '../../src/approvals/message.js';
import type { ApprovalRequestView } from '../../src/approvals/ports.js';
import { retryDelay, withRetry, DEFAULT_RETRY } from '../../src/approvals/telegram-retry.js';
import { MESSAGE_MAX_CHARS } from '../../src/approvals/message.js';
import { parsePlanSummary } from '../../src/db/actions/sqlite-approval-view.js';
import { summarisePlan } from '../../src/plan/summary.js';
import type { PlanJson } from '../../src/plan/plan-json.js';

const TOKEN = '123456789:AAAbbbCCCdddEEEfffGGGhhhIIIjjjKKKlll';

function view(over: Partial<ApprovalRequestView> = {}): ApprovalRequestView {
  return {
    actionId: 'act_0abc123def456',
    status: 'awaiting_approval',
    statusReason: null,
    runId: 'web',
    actionType: 'scale_up',
    targetAddress: 'terraform_data.pool',
    parameters: { 'input.node_count': 4 },
    planSha256: 'f'.repeat(64),
    expiresAt: '2026-01-01T00:15:00.000Z',
    planChanges: [
      {
        address: 'terraform_data.pool',
        action: 'update',
        attributes: [{ path: 'input.node_count', before: '2', after: '4' }],
      },
    ],
    decidedBy: null,
    decidedVia: null,
    decidedAt: null,
    revisionId: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    decision: {
      id: 'dec_1',
      actionType: 'scale_up',
      parameters: { 'input.node_count': 4 },
      confidence: 0.87,
      reason: 'CPU > 90%',
      source: 'gemini',
      status: 'proposed',
    },
    alert: {
      name: 'HighCPU',
      fingerprint: 'fp',
      status: 'firing',
      resource: 'terraform_data.pool',
      value: 0.97,
      since: '2025-12-31T23:40:00Z',
    },
    ...over,
  };
}

describe('callback data', () => {
  it('round-trips and stays within 64 bytes', () => {
    const data = encodeCallbackData('approve', 'act_0abc123def456');
    expect(data).toBe('a:act_0abc123def456');
    expect(CallbackDataSchema.parse(data)).toEqual({ verdict: 'approve', actionId: 'act_0abc123def456' });
    expect(CallbackDataSchema.parse('r:act_1')).toEqual({ verdict: 'reject', actionId: 'act_1' });
    expect(() => encodeCallbackData('approve', 'x'.repeat(63))).toThrow();
    expect(() => encodeCallbackData('approve', 'a:b')).toThrow();
    for (const bad of ['', 'a:', 'x:act', 'a:act 1', `a:${'y'.repeat(63)}`, 'a:act\u00e9', 'approve:act_1']) {
      expect(CallbackDataSchema.safeParse(bad).success).toBe(false);
    }
  });

  it('keyboard only while awaiting approval', () => {
    const k = keyboardFor(view())!;
    expect(k[0]!.map((b) => b.callback_data)).toEqual(['a:act_0abc123def456', 'r:act_0abc123def456']);
    expect(keyboardFor(view({ status: 'approved' }))).toBeUndefined();
  });
});

describe('request message', () => {
  it('says what, why, which plan, where and until when', () => {
    const t = renderActionMessage(view(), Date.parse('2026-01-01T00:00:00Z'), [TOKEN]);
    expect(t).toContain('Approval needed');
    expect(t).toContain(
      'HighCPU (firing) on <code>terraform_data.pool</code> · value <b>0.97</b> · since 2025-12-31 23:40 UTC',
    );
    expect(t).toContain('scale_up (input.node_count = 4)');
    expect(t).toContain('confidence 87% · source gemini');
    expect(t).toContain('input.node_count: 2 → 4');
    expect(t).toContain('<b>Deployment:</b> <code>web</code>');
    expect(t).toContain('2026-01-01 00:15 UTC (in 15 min)');
  });

  it('escapes user-controlled text and scrubs secrets', () => {
    const t = renderActionMessage(
      view({
        alert: { ...view().alert!, name: '<a href="x">&' },
        decision: { ...view().decision, reason: `bot ${TOKEN} and secret-ish` },
      }),
      0,
      ['secret-ish'],
    );
    expect(t).toContain('&lt;a href=&quot;x&quot;&gt;&amp;');
    expect(t).not.toContain(TOKEN);
    expect(t).not.toContain('secret-ish');
  });

  it('status lines after the request', () => {
    const by = { decidedBy: 'telegram:1 @alice', decidedVia: 'telegram' };
    expect(statusLine(view({ status: 'approved', ...by }))).toContain('Approved</b> by telegram:1 @alice via telegram');
    expect(statusLine(view({ status: 'applied', revisionId: 'rev_1', ...by }))).toContain(
      'revision <code>rev_1</code>',
    );
    expect(statusLine(view({ status: 'rolled_back', statusReason: '\nError: boom\nmore' }))).toContain(
      'rolled back</b>: Error: boom',
    );
    expect(statusLine(view({ status: 'rolled_back', statusReason: 'Error: boom\nmore' }))).not.toContain('more');
    expect(statusLine(view({ status: 'expired' }))).toContain('Expired');
    expect(statusLine(view({ status: 'obsolete' }))).toContain('resolved on its own');
  });

  it('blocked-by-policy notice', () => {
    const v = view();
    const t = renderBlockedNotice(
      { decision: v.decision, runId: 'web', resourceAddress: null, policyReason: 'max 10 <nodes>', alert: v.alert },
      [],
    );
    expect(t).toContain('Blocked by policy');
    expect(t).toContain('max 10 &lt;nodes&gt;');
  });
});

describe('disruptive changes in the request message', () => {
  /** A node pool replaced because initial_node_count is ForceNew, as `terraform show -json` has it. */
  const poolReplace: PlanJson = {
    format_version: '1.2',
    resource_changes: [
      {
        address: 'google_container_node_pool.web',
        mode: 'managed',
        type: 'google_container_node_pool',
        name: 'web',
        action_reason: 'replace_because_cannot_update',
        change: {
          actions: ['delete', 'create'],
          before: { name: 'web-pool', initial_node_count: 1 },
          after: { name: 'web-pool', initial_node_count: 3 },
          replace_paths: [['initial_node_count']],
        },
      },
    ],
  };
  /** The summary as the executor stores it (plan_summary_json), read back as the approval view does. */
  const stored = parsePlanSummary(JSON.stringify(summarisePlan(poolReplace)));

  it('a warning line names the resource and what happens, last before the buttons', () => {
    const t = renderActionMessage(
      view({ planChanges: stored, targetAddress: 'google_container_node_pool.web' }),
      0,
      [],
    );
    const last = t.split('\n').at(-1);
    expect(last).toBe(
      '⚠️ <b>Disruptive (replace):</b> <code>google_container_node_pool.web</code> destroys and recreates the whole node pool (every node) because initial_node_count cannot change in place',
    );
    expect(keyboardFor(view())).toBeDefined();
  });

  it('no warning line for an in-place update', () => {
    expect(renderActionMessage(view(), 0, [])).not.toContain('Disruptive');
  });

  it('the warning survives a message cut to the Telegram limit', () => {
    const many = Array.from({ length: 12 }, (_, i) => ({
      address: `terraform_data.r${i}`,
      action: 'update',
      attributes: Array.from({ length: 6 }, (_, j) => ({
        path: `p${j}`.repeat(30),
        before: 'x'.repeat(60),
        after: 'y'.repeat(60),
      })),
    }));
    const t = renderActionMessage(
      view({ planChanges: [...many, ...stored], decision: { ...view().decision, reason: 'r'.repeat(500) } }),
      0,
      [],
    );
    expect(t.length).toBeLessThanOrEqual(MESSAGE_MAX_CHARS);
    expect(t).toContain('(truncated)');
    expect(t.split('\n').at(-1)).toContain('destroys and recreates the whole node pool (every node)');
  });

  it('a stop/start is shown as such; the warning text is escaped and scrubbed', () => {
    const t = renderActionMessage(
      view({
        planChanges: [
          {
            address: 'google_compute_instance.api',
            action: 'update',
            attributes: [],
            disruption: { kind: 'stop_start', warning: 'stops <b>and</b> starts s3cr3t' },
          },
        ],
      }),
      0,
      ['s3cr3t'],
    );
    expect(t).toContain(
      '⚠️ <b>Disruptive (stop/start):</b> <code>google_compute_instance.api</code> stops &lt;b&gt;and&lt;/b&gt; starts',
    );
    expect(t).not.toContain('s3cr3t');
  });
});

describe('telegram retry', () => {
  const opts = { ...DEFAULT_RETRY, baseDelayMs: 100, retryAfterUnitMs: 1000, maxDelayMs: 10_000 };
  it('retries 429 after retry_after, 5xx and network errors with backoff, nothing else', () => {
    expect(retryDelay({ response: { error_code: 429 }, parameters: { retry_after: 3 } }, 1, opts)).toBe(3000);
    expect(retryDelay({ response: { error_code: 429 }, parameters: { retry_after: 60 } }, 1, opts)).toBeUndefined();
    expect(retryDelay({ response: { error_code: 502 } }, 3, opts)).toBe(400);
    expect(retryDelay({ name: 'FetchError', code: 'ECONNRESET' }, 1, opts)).toBe(100);
    expect(retryDelay({ response: { error_code: 400 } }, 1, opts)).toBeUndefined();
    expect(retryDelay({ response: { error_code: 403 } }, 1, opts)).toBeUndefined();
  });

  it('gives up after the configured attempts', async () => {
    let calls = 0;
    const fail = async () => {
      calls++;
      throw Object.assign(new Error('down'), { response: { error_code: 500 } });
    };
    await expect(withRetry(fail, { ...opts, attempts: 3, sleep: async () => {} })).rejects.toThrow('down');
    expect(calls).toBe(3);
  });
});
