import { describe, expect, it } from 'vitest';
import { autoApprove, evaluateAutoApprove, onAwaitingApproval } from '../../src/approvals/auto-approve.js';
import { connectAutoApproval } from '../../src/compose/reactions.js';
import type { ApprovalRequestView, ApprovalView, VerdictRequest } from '../../src/approvals/ports.js';
import { DEFAULT_POLICY } from '../../src/policy/policy-schema.js';
import { InProcessEventBus } from '../../src/shared/events.js';
import { silentLogger } from '../../src/shared/logger.js';

const base = {
  actionId: 'act_1',
  status: 'awaiting_approval',
  actionType: 'scale_up',
  planSha256: 'a'.repeat(64),
  decision: { confidence: 0.97 },
} as unknown as ApprovalRequestView;
const on = { enabled: true, min_confidence: 0.95, action_types: ['scale_up'] };

describe('evaluateAutoApprove', () => {
  it('is off by default (the shipped policy)', () => {
    expect(evaluateAutoApprove(DEFAULT_POLICY.auto_approve, base)).toEqual({
      approve: false,
      reason: 'auto-approve is disabled',
    });
  });
  it('approves only when enabled, confident, allowed type and gated plan', () => {
    expect(evaluateAutoApprove(on, base).approve).toBe(true);
    expect(evaluateAutoApprove(on, { ...base, decision: { ...base.decision, confidence: 0.9 } }).reason).toContain(
      'below',
    );
    expect(evaluateAutoApprove({ ...on, min_confidence: 0.97 }, base).approve).toBe(true);
    expect(evaluateAutoApprove(on, { ...base, actionType: 'restart' }).reason).toContain('not in');
    expect(evaluateAutoApprove(on, { ...base, planSha256: null }).approve).toBe(false);
    expect(evaluateAutoApprove(on, { ...base, status: 'approved' }).approve).toBe(false);
  });
});

describe('auto-approver wiring', () => {
  function deps(policy = on) {
    const calls: VerdictRequest[] = [];
    const view = { getRequest: async (id: string) => (id === 'act_1' ? base : undefined) } as unknown as ApprovalView;
    const approvals = {
      submitVerdict: async (r: VerdictRequest) => {
        calls.push(r);
        return { ok: true as const, status: 'approved' as const };
      },
    };
    return { calls, d: { policy, view, approvals, logger: silentLogger } };
  }
  it('decides through the policy channel, bound to the plan hash', async () => {
    const { calls, d } = deps();
    expect((await autoApprove(d, 'act_1')).approve).toBe(true);
    expect(calls).toEqual([
      {
        actionId: 'act_1',
        verdict: 'approve',
        channel: 'policy',
        actor: 'policy',
        planSha256: 'a'.repeat(64),
        reason: expect.stringContaining('auto-approved'),
      },
    ]);
  });
  it('does nothing when disabled, even on awaiting_approval', async () => {
    const events = new InProcessEventBus();
    const { calls, d } = deps({ ...on, enabled: false });
    connectAutoApproval(events, (actionId) => onAwaitingApproval(d, actionId));
    events.publish({ type: 'action.status', actionId: 'act_1', status: 'awaiting_approval', runId: 'r' });
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual([]);
  });
  it('reacts to awaiting_approval events when enabled', async () => {
    const events = new InProcessEventBus();
    const { calls, d } = deps();
    connectAutoApproval(events, (actionId) => onAwaitingApproval(d, actionId));
    events.publish({ type: 'action.status', actionId: 'act_1', status: 'applying', runId: 'r' });
    events.publish({ type: 'action.status', actionId: 'act_1', status: 'awaiting_approval', runId: 'r' });
    await new Promise((r) => setImmediate(r));
    expect(calls).toHaveLength(1);
  });
});
