import { afterEach, describe, expect, it } from 'vitest';
import { GeminiDecisionClient } from '../../src/agent/gemini-decision-client.js';
import { FakeGeminiServer } from '../fakes/fake-gemini-server.js';
import {
  VALIDATED_WORKERS,
  prepareDecision,
  snapshot,
  startWithDeployments,
  type Harness,
} from '../helpers/executor-harness.js';

const FILES = VALIDATED_WORKERS;

describe('fix agent through the real @google/genai client and a fake Gemini server', () => {
  let h: Harness | undefined;
  let gemini: FakeGeminiServer | undefined;
  afterEach(async () => {
    await h?.service.stop();
    await gemini?.close();
    h = undefined;
  });

  it('a plan that fails after the edit is repaired by one round and planned; the run dir is untouched', async () => {
    gemini = await FakeGeminiServer.start();
    // The model answers like Gemini would: the corrected full file as {"file": "..."}.
    gemini.fallback = (req) => {
      const file = req.prompt.split('File main.tf:\n')[1] ?? '';
      return { kind: 'json', value: { file: file.replace('var.workers <= 3', 'var.workers <= 8') } };
    };
    const model = new GeminiDecisionClient({
      apiKey: 'fake-key-fix',
      model: 'gemini-2.5-flash',
      timeoutMs: 5_000,
      maxRetries: 0,
      baseUrl: gemini.baseUrl,
    });
    h = await startWithDeployments({ fixme: FILES }, { FIX_MAX_ATTEMPTS: '2' }, { decisionModel: model });
    const { action } = await prepareDecision(h, {
      runId: 'fixme',
      address: 'terraform_data.workers',
      actionType: 'scale_up',
      parameters: { count: 4 },
    });

    expect(action.status, action.statusReason ?? '').toBe('awaiting_approval');
    const attempts = action.fixAttempts as Array<{ accepted: boolean; diff?: string }>;
    expect(attempts.map((a) => a.accepted)).toEqual([true]);
    expect(attempts[0]!.diff).toContain('+    condition     = var.workers <= 8');
    // One request, with the diagnostics and the file, through the real SDK's wire format.
    expect(gemini.requests).toHaveLength(1);
    expect(gemini.requests[0]!.headers['x-goog-api-key']).toBe('fake-key-fix');
    expect(gemini.requests[0]!.prompt).toContain('At most 3 workers.');
    expect(gemini.requests[0]!.path).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(snapshot(h.runDir('fixme'))['main.tf']).toBe(Buffer.from(FILES['main.tf']).toString('base64'));
  });

  it('a model answer that breaks the schema is recorded as a refused round; no fix is applied', async () => {
    gemini = await FakeGeminiServer.start();
    gemini.fallback = () => ({ kind: 'json', value: { patch: 'not what was asked' } });
    const model = new GeminiDecisionClient({
      apiKey: 'fake-key-fix',
      model: 'gemini-2.5-flash',
      timeoutMs: 5_000,
      maxRetries: 0,
      baseUrl: gemini.baseUrl,
    });
    h = await startWithDeployments({ fixme: FILES }, { FIX_MAX_ATTEMPTS: '1' }, { decisionModel: model });
    const { action } = await prepareDecision(h, {
      runId: 'fixme',
      address: 'terraform_data.workers',
      actionType: 'scale_up',
      parameters: { count: 4 },
    });
    expect(action.status).toBe('prepare_failed');
    const attempts = action.fixAttempts as Array<{ accepted: boolean; reason?: string }>;
    expect(attempts).toHaveLength(1);
    expect(attempts[0]!.accepted).toBe(false);
    expect(gemini.requests).toHaveLength(1);
  });
});
