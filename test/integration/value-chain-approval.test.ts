/**
 * The approver sees where the changed value comes from: the real service (real Terraform, SQLite,
 * the real executor and tracer, the real telegraf client against the fake Bot API server) prepares
 * an edit that goes through `var.NAME` to a tfvars line; GET /ops/actions/:id carries the value chain
 * and the Telegram approval request shows it. Through a sensitive variable, the value is redacted.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FakeTelegramServer } from '../fakes/fake-telegram-server.js';
import { prepareDecision, startWithDeployments, type Harness } from '../helpers/executor-harness.js';

let h: Harness | undefined;
let tg: FakeTelegramServer | undefined;

afterEach(async () => {
  await h?.service.stop();
  await tg?.close();
  h = undefined;
  tg = undefined;
});

const WORKERS = {
  'main.tf':
    'variable "workers" {\n  type = number\n}\n\nresource "terraform_data" "workers" {\n  count = var.workers\n}\n',
  'terraform.tfvars': '# how many workers\nworkers = 2\n',
};

/** machine_type comes from a variable declared sensitive: its value must never be shown. */
const SECRET_SIZE = {
  'main.tf':
    'variable "machine_type" {\n  type      = string\n  sensitive = true\n}\n\nresource "terraform_data" "app" {\n  input = {\n    machine_type = var.machine_type\n  }\n}\n',
  'terraform.tfvars': 'machine_type = "e2-small"\n',
};

/** A local module whose argument comes from a root variable set in an auto tfvars file. */
const MODULE = {
  'main.tf':
    'module "pool" {\n  source     = "./modules/pool"\n  node_count = var.node_count\n}\n\nvariable "node_count" {\n  type = number\n}\n',
  'prod.auto.tfvars': '# sizes\nnode_count = 2\n',
  'modules/pool/main.tf':
    'variable "node_count" {\n  type = number\n}\n\nresource "terraform_data" "pool" {\n  input = {\n    node_count = var.node_count\n  }\n}\n',
};

async function start(deployments: Record<string, Record<string, string>>): Promise<Harness> {
  tg = new FakeTelegramServer();
  const apiRoot = await tg.start();
  return startWithDeployments(deployments, {
    TELEGRAM_BOT_TOKEN: tg.token,
    TELEGRAM_CHAT_ID: '-1001',
    TELEGRAM_ALLOWED_USER_IDS: '111',
    TELEGRAM_API_ROOT: apiRoot,
  });
}

async function requestText(actionId: string): Promise<string> {
  await h!.service.telegram!.idle();
  const sent = tg!.callsOf('sendMessage').filter((c) => String(c.body['text']).includes(actionId));
  expect(sent).toHaveLength(1);
  return String(sent[0]!.body['text']);
}

async function detail(actionId: string): Promise<Record<string, unknown>> {
  const r = await h!.service.app.inject({ method: 'GET', url: `/ops/actions/${actionId}` });
  expect(r.statusCode).toBe(200);
  return r.json() as Record<string, unknown>;
}

describe('the value chain reaches the approver', () => {
  it('count = var.workers → terraform.tfvars line 2: on GET /ops/actions/:id, in the list, and in the Telegram request', async () => {
    h = await start({ vars: WORKERS });
    const { action } = await prepareDecision(h, {
      runId: 'vars',
      address: 'terraform_data.workers[0]',
      actionType: 'scale_up',
      parameters: { count: 3 },
    });
    expect(action.status).toBe('awaiting_approval');
    const text = 'terraform_data.workers.count ← terraform.tfvars workers (line 2): 2 → 3';
    const d = await detail(action.id);
    expect(d['value_chains']).toEqual([
      {
        steps: [
          { kind: 'count', where: 'terraform_data.workers.count', file: 'main.tf', line: 6 },
          { kind: 'tfvars', where: 'terraform.tfvars workers', file: 'terraform.tfvars', line: 2 },
        ],
        from: 2,
        to: 3,
        text,
      },
    ]);
    const page = (await h.service.app.inject({ method: 'GET', url: '/ops/actions?run_id=vars' })).json() as {
      items: Array<Record<string, unknown>>;
    };
    expect(page.items.find((i) => i['id'] === action.id)?.['value_chains']).toEqual(d['value_chains']);
    expect(await requestText(action.id)).toContain(`🔗 <b>Edits:</b> <code>${text}</code>`);
  });

  it('through a local module argument to an auto tfvars line: every step with its file and line, API and Telegram', async () => {
    h = await start({ mod: MODULE });
    const { action } = await prepareDecision(h, {
      runId: 'mod',
      address: 'module.pool.terraform_data.pool',
      actionType: 'scale_up',
      parameters: { 'input.node_count': 3 },
    });
    expect(action.status).toBe('awaiting_approval');
    const text =
      'module.pool.terraform_data.pool.input.node_count ← module.pool var.node_count ← prod.auto.tfvars node_count (line 2): 2 → 3';
    expect((await detail(action.id))['value_chains']).toEqual([
      {
        steps: [
          {
            kind: 'attribute',
            where: 'module.pool.terraform_data.pool.input.node_count',
            file: 'modules/pool/main.tf',
            line: 7,
          },
          { kind: 'module_argument', where: 'module.pool var.node_count', file: 'main.tf', line: 3 },
          { kind: 'tfvars', where: 'prod.auto.tfvars node_count', file: 'prod.auto.tfvars', line: 2 },
        ],
        from: 2,
        to: 3,
        text,
      },
    ]);
    expect(await requestText(action.id)).toContain(`🔗 <b>Edits:</b> <code>${text}</code>`);
  });

  it('through a sensitive variable: the chain is shown with its value redacted, on the API and in Telegram', async () => {
    h = await start({ secret: SECRET_SIZE });
    const { action } = await prepareDecision(h, {
      runId: 'secret',
      address: 'terraform_data.app',
      actionType: 'modify_config',
      parameters: { 'input.machine_type': 'e2-medium' },
    });
    expect(action.status).toBe('awaiting_approval');
    const d = await detail(action.id);
    const chains = d['value_chains'] as Array<Record<string, unknown>>;
    expect(chains).toHaveLength(1);
    expect(chains[0]).toMatchObject({
      steps: [
        { kind: 'attribute', where: 'terraform_data.app.input.machine_type' },
        { kind: 'tfvars', where: 'terraform.tfvars machine_type', file: 'terraform.tfvars', line: 1 },
      ],
      from: '[REDACTED]',
      to: '[REDACTED]',
    });
    expect(JSON.stringify(chains)).not.toMatch(/e2-(small|medium)/);
    const line = (await requestText(action.id)).split('\n').find((l) => l.startsWith('🔗')) ?? '';
    expect(line).toBe(
      '🔗 <b>Edits:</b> <code>terraform_data.app.input.machine_type ← terraform.tfvars machine_type (line 1): [REDACTED] → [REDACTED]</code>',
    );
  });
});
