/**
 * The fix agent's edits go through the same allow-list guard: on a deployment created by
 * POST /infra nothing refused may come in through a fix; on a deployment placed in RUNS_DIR by
 * hand, what is already there may stay but nothing refused may be added. Real app, real
 * Terraform; the fix agent is scripted (it stands for the LLM, which alert text can steer).
 */
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FixClient, FixRequest } from '../../src/agent/fix-client.js';
import { prepareDecision, startWithDeployments, type Harness } from '../helpers/executor-harness.js';

const TOKEN = 'infra-fix-token-1234567';
const auth = { authorization: `Bearer ${TOKEN}` };
const MARK = path.join(tmpdir(), `infraai-fix-marker-${process.pid}`);

const MAIN = `variable "workers" {
  type = number
  validation {
    condition     = var.workers <= 3
    error_message = "At most 3 workers."
  }
}

resource "terraform_data" "workers" {
  count = var.workers
}
`;
const relaxed = (text: string) => text.replace('var.workers <= 3', 'var.workers <= 8');
/** The same limit as a resource precondition: the plan fails in main.tf (the tfvars file holds the value). */
const PRECONDITION = `variable "workers" {
  type = number
}

resource "terraform_data" "workers" {
  count = var.workers
  lifecycle {
    precondition {
      condition     = var.workers <= 3
      error_message = "At most 3 workers."
    }
  }
}
`;

/** Answers each round with the next rewrite of the file it is shown. */
class ScriptedFix implements FixClient {
  readonly seen: FixRequest[] = [];
  constructor(private readonly rounds: Array<(file: string) => string>) {}
  async proposeFix(input: FixRequest): Promise<{ content: string } | { error: string }> {
    this.seen.push(input);
    const next = this.rounds[this.seen.length - 1];
    return next === undefined ? { error: 'no more rounds' } : { content: next(input.fileContent) };
  }
}

const PROVISIONER = `\nresource "terraform_data" "x" {\n  provisioner "local-exec" {\n    command = "touch ${MARK}"\n  }\n}\n`;

describe('fix-agent edits pass through the configuration guard', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.service.stop();
    h = undefined;
  });

  it('a POST /infra deployment: rounds adding a provisioner, a file read or a module are refused and recorded; a clean round is accepted', async () => {
    const fix = new ScriptedFix([
      (f) => relaxed(f) + PROVISIONER,
      (f) =>
        relaxed(f).replace(
          'count = var.workers',
          'count = var.workers\n  input = filebase64 /* c */ ("/proc/self/environ")',
        ),
      (f) => `${relaxed(f)}\nmodule "m" {\n  source = "git::file:///etc"\n}\n`,
      (f) => relaxed(f),
    ]);
    h = await startWithDeployments({}, { API_TOKEN: TOKEN, FIX_MAX_ATTEMPTS: '4' }, { fixClient: fix });
    const created = await h.service.app.inject({
      method: 'POST',
      url: '/infra',
      headers: auth,
      payload: { run_id: 'fixme', files: { 'main.tf': PRECONDITION, 'terraform.tfvars': 'workers = 2\n' } },
    });
    expect(created.statusCode, created.body).toBe(202);
    const approved = await h.service.app.inject({
      method: 'POST',
      url: `/ops/approve/${created.json().action_id as string}`,
      headers: auth,
      payload: { plan_sha256: created.json().plan_sha256 },
    });
    expect(approved.statusCode, approved.body).toBe(200);
    await h.service.executor.idle();

    const { action } = await prepareDecision(h, {
      runId: 'fixme',
      address: 'terraform_data.workers',
      actionType: 'scale_up',
      parameters: { count: 4 },
    });
    const attempts = action.fixAttempts as Array<{ round: number; accepted: boolean; reason?: string }>;
    expect(
      attempts.map((a) => a.accepted),
      JSON.stringify(attempts.map((a) => a.reason)),
    ).toEqual([false, false, false, true]);
    expect(attempts[0]!.reason).toMatch(
      /introduces what the configuration guard refuses: main\.tf:\d+: provisioner blocks are not allowed/,
    );
    expect(attempts[1]!.reason).toMatch(/function "filebase64" is not allowed/);
    expect(attempts[2]!.reason).toMatch(/module source "git::file:\/\/\/etc" is not allowed/);
    expect(action.status, action.statusReason ?? '').toBe('awaiting_approval');
    const staged = readFileSync(path.join(action.stagingDir!, 'main.tf'), 'utf8');
    expect(staged).toContain('var.workers <= 8');
    expect(staged).not.toMatch(/provisioner|filebase64|git::/);
    expect(fix.seen.map((r) => r.fileName)).toEqual(['main.tf', 'main.tf', 'main.tf', 'main.tf']);
    expect(readFileSync(path.join(h.runDir('fixme'), 'main.tf'), 'utf8')).toBe(PRECONDITION);
    expect(existsSync(MARK)).toBe(false);
  });

  it('a hand-made deployment keeps its own provisioner through a fix, but a fix may not add another', async () => {
    const hand = `${MAIN.replace('type = number', 'type    = number\n  default = 2')}\nresource "terraform_data" "hook" {\n  provisioner "local-exec" {\n    command = "true"\n  }\n}\n`;
    const fix = new ScriptedFix([
      (f) => relaxed(f).replace('command = "true"', `command = "touch ${MARK}"`),
      (f) => relaxed(f),
    ]);
    h = await startWithDeployments({ hand: { 'main.tf': hand } }, { FIX_MAX_ATTEMPTS: '2' }, { fixClient: fix });
    const { action } = await prepareDecision(h, {
      runId: 'hand',
      address: 'terraform_data.workers',
      actionType: 'scale_up',
      parameters: { count: 4 },
    });
    const attempts = action.fixAttempts as Array<{ accepted: boolean; reason?: string }>;
    expect(attempts.map((a) => a.accepted)).toEqual([false, true]);
    expect(attempts[0]!.reason).toMatch(/provisioner blocks are not allowed/);
    expect(action.status, action.statusReason ?? '').toBe('awaiting_approval');
    expect(readFileSync(path.join(action.stagingDir!, 'main.tf'), 'utf8')).toContain('command = "true"');
  });
});
