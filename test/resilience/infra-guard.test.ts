/**
 * POST /infra under attack, through the real app (real SQLite, real Terraform, the real telegraf
 * client against the fake Bot API): every hostile configuration is refused with 400 and a reason
 * naming what was refused, and changes nothing (no table row, nothing in RUNS_DIR, no staging
 * dir, no marker file). The original exploits are reproduced first. A benign configuration is
 * still accepted and applied end to end, and its plan shows no value that is not literal in the
 * files — not in the API, the database, or the Telegram message.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeTelegramServer } from '../fakes/fake-telegram-server.js';
import { startWithDeployments, type Harness } from '../helpers/executor-harness.js';
import { INFRA_PAYLOADS, MARK_PREFIX, OTHER_SECRET } from './infra-guard-payloads.js';
import { Tally, tableCounts } from './tally.js';

const TOKEN = 'infra-guard-token-7654321';
const auth = { authorization: `Bearer ${TOKEN}` };
const tally = new Tally('POST /infra guard');

describe('POST /infra guard: hostile configurations through the real app', () => {
  let h: Harness;
  let tg: FakeTelegramServer;
  let stagingRoot: string;
  const snapshot = () => ({
    db: tableCounts(h.service.db),
    runs: readdirSync(h.runsDir).sort(),
    staging: existsSync(stagingRoot) ? readdirSync(stagingRoot) : [],
  });

  beforeAll(async () => {
    tg = new FakeTelegramServer();
    const apiRoot = await tg.start();
    // Another deployment whose tfvars hold a secret: the file-read exploits aim at it.
    h = await startWithDeployments(
      {
        other: {
          'main.tf':
            'variable "db_password" {\n  type = string\n}\nresource "terraform_data" "db" {\n  input = "db"\n}\n',
          'terraform.tfvars': `db_password = "${OTHER_SECRET}"\n`,
        },
      },
      {
        API_TOKEN: TOKEN,
        TELEGRAM_BOT_TOKEN: tg.token,
        TELEGRAM_CHAT_ID: '-1001',
        TELEGRAM_ALLOWED_USER_IDS: '111',
        TELEGRAM_API_ROOT: apiRoot,
      },
      { telegramRetry: { baseDelayMs: 10, retryAfterUnitMs: 10 } },
    );
    stagingRoot = path.join(path.dirname(h.service.config.databasePath), 'staging');
  });
  afterAll(async () => {
    tally.print();
    await h.service.stop();
    await tg.close();
  });

  it.each(INFRA_PAYLOADS)('%s: %s → 400, nothing changes', async (cls, name, files, why) => {
    const before = snapshot();
    const res = await h.service.app.inject({
      method: 'POST',
      url: '/infra',
      headers: auth,
      payload: { run_id: `evil-${cls.length}`, files },
    });
    const body = res.json() as { error?: { code?: string; message?: string } };
    const good = res.statusCode === 400 && body.error?.code === 'ERR_VALIDATION' && why.test(body.error.message ?? '');
    const unchanged = JSON.stringify(snapshot()) === JSON.stringify(before);
    tally.record(cls, good && unchanged, `${name} → ${res.statusCode} ${res.body.slice(0, 200)}`);
    expect(res.statusCode, res.body).toBe(400);
    expect(body.error?.message).toMatch(why);
    expect(snapshot()).toEqual(before);
  });

  it("no marker file appeared and the other deployment's secret reached nothing", () => {
    const markers = readdirSync(tmpdir()).filter((n) => n.startsWith(path.basename(MARK_PREFIX)));
    tally.record('after the hostile payloads', markers.length === 0, markers.join(','));
    expect(markers).toEqual([]);
    const dbBytes = readFileSync(h.service.config.databasePath).toString('latin1');
    const wal = `${h.service.config.databasePath}-wal`;
    const walBytes = existsSync(wal) ? readFileSync(wal).toString('latin1') : '';
    expect(dbBytes.includes(OTHER_SECRET) || walBytes.includes(OTHER_SECRET)).toBe(false);
    expect([...tg.messages.values()].map((m) => m.text).join('\n')).not.toContain(OTHER_SECRET);
  });

  it('a benign configuration is still accepted, shown without non-literal values (API, database, Telegram), applied end to end', async () => {
    const derived = 'label-from-tfvars-9137';
    const files = {
      'main.tf':
        'variable "label" {\n  type = string\n}\nresource "terraform_data" "web" {\n  count = 2\n  input = { size = "small", label = var.label }\n  triggers_replace = "v1"\n}\noutput "labels" {\n  value = terraform_data.web[*].input.label\n}\n',
      'terraform.tfvars': `label = "${derived}"\n`,
    };
    const res = await h.service.app.inject({
      method: 'POST',
      url: '/infra',
      headers: auth,
      payload: { run_id: 'benign', files },
    });
    expect(res.statusCode, res.body).toBe(202);
    const { action_id: id, plan_sha256: sha } = res.json() as { action_id: string; plan_sha256: string };
    expect(res.json().plan_summary.map((p: { address: string }) => p.address)).toEqual([
      'terraform_data.web[0]',
      'terraform_data.web[1]',
    ]);
    await tg.waitFor(() => [...tg.messages.values()].some((m) => m.text.includes(id)), 'approval request');
    await h.service.telegram!.idle();
    const message = [...tg.messages.values()].find((m) => m.text.includes(id))!.text;
    expect(message).toContain('terraform_data.web[0]');
    expect(message).toContain('input: (none) → (hidden until approved)');
    expect(message).toContain('triggers_replace: (none) → &quot;v1&quot;');
    const row = JSON.stringify(
      h.service.db.prepare('SELECT plan_summary_json, plan_json, tf_output FROM actions WHERE id = ?').get(id),
    );
    for (const text of [message, res.body, row]) expect(text).not.toContain(derived);
    tally.record('benign configuration accepted and hidden before approval', true);

    const ok = await h.service.app.inject({
      method: 'POST',
      url: `/ops/approve/${id}`,
      headers: auth,
      payload: { plan_sha256: sha },
    });
    expect(ok.statusCode, ok.body).toBe(200);
    await h.service.executor.idle();
    const a = h.service.actions.get(id)!;
    expect(a.status, a.statusReason ?? '').toBe('applied');
    expect(
      h.service.registry
        .listByDeployment('benign', 10)
        .map((r) => r.address)
        .sort(),
    ).toEqual(['terraform_data.web[0]', 'terraform_data.web[1]']);
    tally.record('benign configuration applied end to end', a.status === 'applied');
    expect(tally.failures()).toEqual([]);
  });
});
