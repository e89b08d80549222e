import { describe, expect, it } from 'vitest';
import { buildPrompt } from '../../src/agent/context.js';
import { alert, ctxFor } from '../fakes/agent-context.js';

describe('verification feedback in the agent prompt', () => {
  it('lists what was tried on the resource before and whether it worked', () => {
    const ctx = ctxFor('terraform_data.vm', [alert('HighCPU')]);
    ctx.history = [
      {
        decisionId: 'dec_2',
        createdAt: '2026-01-01T01:00:00Z',
        actionType: 'scale_up',
        parameters: { node_count: 4 },
        status: 'proposed',
        source: 'rules',
        actionStatus: 'ineffective',
        timeToResolveSeconds: null,
      },
      {
        decisionId: 'dec_1',
        createdAt: '2026-01-01T00:00:00Z',
        actionType: 'scale_up',
        parameters: { node_count: 3 },
        status: 'proposed',
        source: 'rules',
        actionStatus: 'effective',
        timeToResolveSeconds: 42,
      },
    ];
    const doc = JSON.parse(buildPrompt(ctx).prompt.split('Incident context (JSON):\n')[1]!) as {
      recent_decisions: Array<Record<string, unknown>>;
    };
    expect(doc.recent_decisions).toEqual([
      {
        at: '2026-01-01T01:00:00Z',
        action_type: 'scale_up',
        parameters: { node_count: 4 },
        status: 'proposed',
        source: 'rules',
        action_status: 'ineffective',
      },
      {
        at: '2026-01-01T00:00:00Z',
        action_type: 'scale_up',
        parameters: { node_count: 3 },
        status: 'proposed',
        source: 'rules',
        action_status: 'effective',
        time_to_resolve_seconds: 42,
      },
    ]);
  });
});
