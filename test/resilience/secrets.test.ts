/**
 * Canary secrets through the whole loop (webhook → Gemini via the real client → prepare →
 * Telegram via real telegraf → approve → apply → verify), then a byte-wise scan of everything that
 * leaves the process or is kept by it: the SQLite file (+ -wal, -shm), the pino log file, every
 * Telegram call body, every GET response, every request Gemini received.
 *
 * Files under the data dir (revisions/, staging/) are config snapshots and saved plans: they hold
 * the same secrets as the run dir's terraform.tfvars and terraform.tfstate do, by design, and are
 * checked only for what must NOT be there (no log or DB copy).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asLogger, createPinoLogger } from '../../src/shared/pino-logger.js';
import { FakeGeminiServer } from '../fakes/fake-gemini-server.js';
import { FakeTelegramServer } from '../fakes/fake-telegram-server.js';
import { prepareDecision, startWithDeployments, type Harness } from '../helpers/executor-harness.js';
import { waitUntil } from './poll.js';
import { Tally } from './tally.js';

const hex = () => randomBytes(8).toString('hex');
/** Each canary is distinct, so a hit names the path it leaked through. */
const C = {
  tfvarsSensitive: `CANARY-${hex()}`, // sensitive var set in terraform.tfvars, flows into terraform_data input (key `dsn`: mask-only)
  defaultSensitive: `zqk${hex()}w`, // sensitive var default in main.tf (no secret-looking shape at all)
  labelPassword: `CANARY-${hex()}`,
  annotApiKey: `CANARY-${hex()}`,
  annotToken: `CANARY-${hex()}`,
  gemini: `CANARY-gem-${hex()}`,
  telegram: `CANARY-tg-${hex()}`,
  api: `CANARY-api-${hex()}`,
  webhook: `CANARY-wh-${hex()}`,
};
const ALICE = 111;
const tally = new Tally('secrets (canaries absent)');
afterAll(() => tally.print());

const MAIN_TF = `variable "node_count" {
  type = number
}

variable "dsn" {
  type      = string
  sensitive = true
}

variable "admin_key" {
  type      = string
  sensitive = true
  default   = "${C.defaultSensitive}"
}

resource "terraform_data" "app" {
  input = {
    node_count   = var.node_count
    machine_type = "e2-small"
    dsn          = var.dsn
    admin        = var.admin_key
  }
}

# An unmarked copy: only scrubbing by value (not the mask) can catch it.
resource "terraform_data" "mirror" {
  input = {
    note = nonsensitive(var.dsn)
  }
}
`;
// The edited value sits next to the secret: the diff's context lines carry it.
const TFVARS = `node_count = 2
dsn        = "${C.tfvarsSensitive}"
`;

function alertBody(status: 'firing' | 'resolved') {
  return {
    version: '4',
    receiver: 'ops',
    status,
    groupKey: '{}:{alertname="AppCPUHigh"}',
    truncatedAlerts: 0,
    groupLabels: { alertname: 'AppCPUHigh' },
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://am:9093',
    alerts: [
      {
        status,
        fingerprint: 'c0ffee0000000001',
        generatorURL: '',
        startsAt: '2026-11-23T09:00:00Z',
        endsAt: status === 'firing' ? '0001-01-01T00:00:00Z' : '2026-11-23T09:30:00Z',
        labels: {
          alertname: 'AppCPUHigh',
          resource_id: 'terraform_data.app',
          severity: 'critical',
          password: C.labelPassword,
        },
        annotations: { summary: 'CPU 95% on app', api_key: C.annotApiKey, token: C.annotToken },
      },
    ],
  };
}

/** Every file under `dir` (recursively). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/** The canaries found in one scanned artifact; each artifact is one case of its sink's class. */
function hits(haystack: Buffer | string, what: string): string[] {
  const buf = Buffer.isBuffer(haystack) ? haystack : Buffer.from(haystack);
  const found = Object.entries(C)
    .filter(([, v]) => buf.includes(Buffer.from(v)))
    .map(([k]) => `${what}: ${k}`);
  const sink = /^GET |^\/docs/.test(what)
    ? 'REST GET responses'
    : /^telegram/.test(what)
      ? 'Telegram call bodies'
      : /^gemini/.test(what)
        ? 'Gemini request bodies'
        : /log/.test(what)
          ? 'pino debug log'
          : /sqlite/.test(what)
            ? 'SQLite db/-wal/-shm'
            : 'data dir files';
  tally.record(sink, found.length === 0, found.join(', '));
  return found;
}

describe('secrets: canaries never reach the database, logs, Telegram, the API or the LLM', () => {
  let h: Harness;
  let gemini: FakeGeminiServer;
  let tg: FakeTelegramServer;
  let logFile: string;
  const auth = { authorization: `Bearer ${C.api}` };

  beforeAll(async () => {
    gemini = await FakeGeminiServer.start();
    gemini.fallback = () => ({
      kind: 'json',
      value: {
        action_type: 'scale_up',
        resource_id: 'terraform_data.app',
        parameters: { node_count: 3 },
        confidence: 0.9,
        reason: 'CPU 95% with 2 nodes',
      },
    });
    tg = new FakeTelegramServer(C.telegram);
    const apiRoot = await tg.start();
    logFile = path.join(mkdtempSync(path.join(tmpdir(), 'infraai-secrets-log-')), 'service.log');
    const dest = pino.destination({ dest: logFile, sync: true });
    h = await startWithDeployments(
      { vault: { 'main.tf': MAIN_TF, 'terraform.tfvars': TFVARS } },
      {
        LOG_LEVEL: 'debug',
        GEMINI_API_KEY: C.gemini,
        GEMINI_BASE_URL: gemini.baseUrl,
        API_TOKEN: C.api,
        WEBHOOK_TOKEN: C.webhook,
        TELEGRAM_BOT_TOKEN: C.telegram,
        TELEGRAM_CHAT_ID: '-1001',
        TELEGRAM_ALLOWED_USER_IDS: `${ALICE}`,
        TELEGRAM_API_ROOT: apiRoot,
      },
      { logger: asLogger(createPinoLogger('debug', dest)), telegramRetry: { baseDelayMs: 10, retryAfterUnitMs: 10 } },
    );
  }, 60_000);

  afterAll(async () => {
    await h?.service.stop();
    await tg?.close();
    await gemini?.close();
    rmSync(path.dirname(logFile), { recursive: true, force: true });
  });

  it('runs the full loop with canaries everywhere, then finds none of them outside the run dir', async () => {
    const s = h.service;
    const fire = await s.app.inject({
      method: 'POST',
      url: '/ops/webhook',
      headers: { authorization: `Bearer ${C.webhook}` },
      payload: alertBody('firing'),
    });
    expect(fire.statusCode, fire.body).toBeLessThan(300);
    const actionId = await waitUntil('an action awaiting approval', () => {
      const row = s.db.prepare("SELECT id, status, status_reason FROM actions WHERE run_id = 'vault'").get() as
        { id: string; status: string; status_reason: string | null } | undefined;
      if (row && ['prepare_failed', 'blocked_by_policy', 'superseded'].includes(row.status))
        throw new Error(`${row.status}: ${row.status_reason}`);
      return row?.status === 'awaiting_approval' ? row.id : undefined;
    });
    await tg.waitFor(() => tg.messages.size === 1, 'the approval request');
    const msg = [...tg.messages.values()][0]!;
    tg.injectCallback({ fromId: ALICE, data: `a:${actionId}`, messageId: msg.message_id, username: 'alice' });
    await waitUntil('applied', () => ['applied', 'effective'].includes(s.actions.get(actionId)!.status) || undefined);
    await s.executor.idle();
    const resolved = await s.app.inject({
      method: 'POST',
      url: '/ops/webhook',
      headers: { authorization: `Bearer ${C.webhook}` },
      payload: alertBody('resolved'),
    });
    expect(resolved.statusCode).toBeLessThan(300);
    await waitUntil('effective', () => s.actions.get(actionId)!.status === 'effective' || undefined);
    await s.telegram!.idle();
    // The loop really carried the canaries: the state has the sensitive value, the apply happened.
    const state = readFileSync(path.join(h.runDir('vault'), 'terraform.tfstate'), 'utf8');
    expect(state).toContain(C.tfvarsSensitive);
    expect(state).toContain(C.defaultSensitive);
    expect(readFileSync(path.join(h.runDir('vault'), 'terraform.tfvars'), 'utf8')).toContain('node_count = 3');
    expect(gemini.requests.length).toBeGreaterThan(0);
    expect(s.actions.get(actionId)!.diff).toContain('+node_count = 3');

    const found: string[] = [];
    // REST reads: every GET route in the OpenAPI document, with real ids filled in.
    const ids: Record<string, string> = {
      '/ops/actions/{id}': actionId,
      '/ops/decisions/{id}': (s.db.prepare('SELECT id FROM decisions LIMIT 1').get() as { id: string }).id,
      '/ops/incidents/{id}': (s.db.prepare('SELECT id FROM incidents LIMIT 1').get() as { id: string }).id,
      '/ops/deployments/{runId}': 'vault',
    };
    const doc = await s.app.inject({ method: 'GET', url: '/docs/json' });
    found.push(...hits(doc.body, '/docs/json'));
    const paths = Object.entries((doc.json() as { paths: Record<string, Record<string, unknown>> }).paths)
      .filter(([p, ops]) => 'get' in ops && p !== '/ops/events')
      .map(([p]) => p);
    expect(paths).toEqual(
      expect.arrayContaining(['/ops/actions/{id}', '/ops/resources', '/metrics', '/health', '/ops/ledger']),
    );
    const urls = [
      ...paths.map((p) => (ids[p] ? p.replace(/\{[^}]+\}/, ids[p]!) : p)),
      '/',
      '/ops/resources?q=app',
      '/ops/ledger?limit=500',
      '/ops/actions?run_id=vault',
      ...readdirSync(path.resolve('dist', 'dashboard'))
        .filter((f) => /^[a-z0-9-]+\.(js|css|svg)$/.test(f))
        .map((f) => `/assets/${f}`),
    ];
    for (const url of urls) {
      if (/\{/.test(url)) continue;
      const r = await s.app.inject({ method: 'GET', url, headers: auth });
      expect(r.statusCode, `${url}: ${r.body.slice(0, 200)}`).toBeLessThan(400);
      found.push(...hits(r.rawPayload, `GET ${url}`));
    }
    // Telegram: every call body the fake received (the bot token is in the URL path by protocol).
    for (const c of tg.calls) found.push(...hits(JSON.stringify(c.body), `telegram ${c.method}`));
    found.push(...hits([...tg.messages.values()].map((m) => m.text).join('\n'), 'telegram message text'));
    // The LLM: every raw request body (the API key is in a header by protocol).
    for (const r of gemini.requests) found.push(...hits(r.raw, 'gemini request body'));
    for (const r of gemini.requests) expect(r.headers['x-goog-api-key']).toBe(C.gemini);
    // Logs (written synchronously by pino at debug level).
    const log = readFileSync(logFile);
    expect(log.length).toBeGreaterThan(1000);
    found.push(...hits(log, 'pino log'));
    // The database, with its WAL and shared-memory files, byte-wise (before and after a checkpoint).
    const dbPath = s.config.databasePath;
    for (const f of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`].filter(existsSync))
      found.push(...hits(readFileSync(f), path.basename(f)));
    s.db.pragma('wal_checkpoint(TRUNCATE)');
    found.push(...hits(readFileSync(dbPath), 'sqlite after checkpoint'));
    // Data dir: revisions hold config snapshots (tfvars: secrets on disk like the run dir); nothing else may.
    const dataDir = path.dirname(dbPath);
    for (const f of filesUnder(dataDir).filter(
      (f) => !f.startsWith(dbPath) && !/\.tf(vars)?(\.json)?$|\.tfplan$|backup\/state\.json$/.test(f),
    )) {
      found.push(...hits(readFileSync(f), path.relative(dataDir, f)));
    }
    expect(found).toEqual([]);
  }, 120_000);
});

describe('secrets: regressions in prepare (config text)', () => {
  const WORKERS = (secret: string) => `variable "workers" {
  type    = number
  default = 2
  validation {
    condition     = var.workers <= 3
    error_message = "At most 3 workers."
  }
}

variable "signing_seed" {
  type      = string
  sensitive = true
  default   = "${secret}"
}

resource "terraform_data" "workers" {
  count = var.workers
  input = var.signing_seed
}
`;
  let h: Harness | undefined;
  afterAll(async () => h?.service.stop());

  it('a failed prepare stores no fmt output and no config secret; the fix agent sees placeholders, the file keeps the secret', async () => {
    const secret = `zqk${hex()}w`;
    const seen: string[] = [];
    // Round 1: echo the file (still invalid). Round 2: relax the validation, keeping the placeholder.
    const fix = {
      async proposeFix(req: { fileContent: string }) {
        seen.push(req.fileContent);
        return {
          content:
            seen.length === 1
              ? `${req.fileContent}\n`
              : req.fileContent.replace('var.workers <= 3', 'var.workers <= 8'),
        };
      },
    };
    h = await startWithDeployments(
      { w: { 'main.tf': WORKERS(secret) } },
      { FIX_MAX_ATTEMPTS: '1' },
      { fixClient: fix },
    );
    const { action } = await prepareDecision(h, {
      runId: 'w',
      address: 'terraform_data.workers',
      actionType: 'scale_up',
      parameters: { count: 4 },
    });
    expect(action.status, action.statusReason ?? '').toBe('prepare_failed');
    const fmt = (action.tfOutput as Array<{ step: string; output: string }>).filter((o) => o.step.startsWith('fmt'));
    expect(fmt.length).toBeGreaterThan(0);
    for (const o of fmt) expect(o.output).not.toContain('terraform_data');
    expect(seen).toHaveLength(1);
    expect(seen[0]).not.toContain(secret);
    expect(seen[0]).toContain('__INFRAAI_SECRET_1__');
    tally.record('prepare_failed: fmt output / fix-agent file', !seen[0]!.includes(secret));
    h.service.db.pragma('wal_checkpoint(TRUNCATE)');
    expect(readFileSync(h.service.config.databasePath).includes(Buffer.from(secret))).toBe(false);

    // Same deployment, two rounds allowed: the accepted fix is planned with the real secret restored.
    const { action: again } = await prepareDecision(h, {
      runId: 'w',
      address: 'terraform_data.workers',
      actionType: 'scale_up',
      parameters: { count: 4 },
    });
    expect(again.status, again.statusReason ?? '').toBe('awaiting_approval');
    expect(seen).toHaveLength(2);
    expect(seen[1]).not.toContain(secret);
    const staged = readFileSync(path.join(again.stagingDir!, 'main.tf'), 'utf8');
    expect(staged).toContain(`default   = "${secret}"`);
    expect(staged).toContain('var.workers <= 8');
    expect(staged).not.toContain('__INFRAAI_SECRET_');
    h.service.db.pragma('wal_checkpoint(TRUNCATE)');
    expect(readFileSync(h.service.config.databasePath).includes(Buffer.from(secret))).toBe(false);
  });
});
