/**
 * The whole stack as a user runs it: the BUILT service as a child process (`node
 * dist/src/cli.js serve`), a real Alertmanager delivering to it with bearer auth, real Terraform,
 * and fake Gemini / Telegram servers on loopback speaking their real HTTP protocols.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  ALERTMANAGER_BIN as ALERTMANAGER,
  spawnLogged,
  startAlertmanager,
  stopChild,
  type AlertmanagerOptions,
} from '../../cloud/demo/processes.js';
import { FakeGeminiServer } from '../fakes/fake-gemini-server.js';
import { FakeTelegramServer } from '../fakes/fake-telegram-server.js';
import { freePort, waitFor } from '../helpers/net.js';
import { tempWorkspace } from '../helpers/service.js';

export const ROOT = new URL('../../', import.meta.url).pathname;
const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');
export const WEBHOOK_TOKEN = 'e2e-webhook-token-4f1d2c';
export const API_TOKEN = 'e2e-api-token-9a8b7c';
export const ALLOWED_USER = 4242;
export const CHAT_ID = '-100777';

/** A terraform_data deployment shaped like the demo, plus a pool whose new instances fail on apply. */
export const SHOP_FILES: Record<string, string> = {
  'main.tf': `# E2E deployment (offline: terraform_data only).
resource "terraform_data" "pool" {
  count = 2
  input = {
    pool         = "shop-pool"
    machine_type = "e2-small"
  }
}

resource "terraform_data" "vm" {
  input = {
    name       = "shop-vm"
    node_count = 2
  }
}

resource "terraform_data" "web" {
  input = {
    name     = "shop-web"
    replicas = var.web_replicas
  }
}

# Instances at index >= 1 fail on create, so scaling this pool exercises rollback.
resource "terraform_data" "batch" {
  count = 1
  input = {
    pool = "batch-pool"
  }

  provisioner "local-exec" {
    command = "test \${count.index} -lt 1"
  }
}
`,
  'variables.tf': 'variable "web_replicas" {\n  type    = number\n  default = 1\n}\n',
  'terraform.tfvars': 'web_replicas = 2\n',
  '.infraai-bootstrap': '',
};

// Re-exported: resilience tests import them from here.
export { freePort, waitFor };

export interface Stack {
  url: string;
  amUrl: string;
  runDir: string;
  root: string;
  telegram: FakeTelegramServer;
  gemini: FakeGeminiServer | undefined;
  serviceLog: { text: string };
  api<T = Record<string, unknown>>(
    pathAndQuery: string,
    init?: { method?: string; body?: unknown },
  ): Promise<{ status: number; body: T }>;
  /** Posts one alert to Alertmanager's API; `resolved` sends it with an end time in the past. */
  fireAlert(
    labels: Record<string, string>,
    opts?: { resolved?: boolean; annotations?: Record<string, string> },
  ): Promise<void>;
  stop(): Promise<number | null>;
}

export interface StackOptions {
  gemini: boolean;
  verifyWindowSeconds?: number;
  /** The deployment's directory name under RUNS_DIR (default `shop`) and its files (default SHOP_FILES). */
  runId?: string;
  files?: Record<string, string>;
  /** Runs before the service starts, e.g. `terraform init` + `apply` through the local cloud. */
  beforeService?: (runDir: string) => Promise<void>;
  /** Extra service environment (wins over the defaults: TF_CLI_CONFIG_FILE, PROMETHEUS_URL …). */
  env?: Record<string, string>;
  /** Alertmanager's route timings (default group_wait/group_interval 1s, repeat 1h). */
  alertmanager?: Pick<AlertmanagerOptions, 'groupWait' | 'groupInterval' | 'repeatInterval'>;
}

export async function startStack(opts: StackOptions): Promise<Stack> {
  for (const f of [CLI, ALERTMANAGER]) {
    if (!existsSync(f))
      throw new Error(`${f} is missing (run \`npm run build\`; .ci/run installs prometheus-alertmanager)`);
  }
  const ws = tempWorkspace('infraai-e2e-loop-');
  const runDir = path.join(ws.runsDir, opts.runId ?? 'shop');
  mkdirSync(runDir, { recursive: true });
  for (const [name, text] of Object.entries(opts.files ?? SHOP_FILES)) writeFileSync(path.join(runDir, name), text);
  await opts.beforeService?.(runDir);

  const telegram = new FakeTelegramServer();
  await telegram.start();
  const gemini = opts.gemini ? await FakeGeminiServer.start() : undefined;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const serviceLog = { text: '' };
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TF_CLI_CONFIG_FILE: '/dev/null',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_PATH: ws.dbPath,
    RUNS_DIR: ws.runsDir,
    LOG_LEVEL: 'info',
    WEBHOOK_TOKEN,
    API_TOKEN,
    VERIFY_WINDOW_SECONDS: String(opts.verifyWindowSeconds ?? 120),
    TELEGRAM_BOT_TOKEN: telegram.token,
    TELEGRAM_CHAT_ID: CHAT_ID,
    TELEGRAM_ALLOWED_USER_IDS: String(ALLOWED_USER),
    TELEGRAM_API_ROOT: telegram.apiRoot,
    ...(gemini
      ? { GEMINI_API_KEY: 'fake-gemini-key-e2e', GEMINI_BASE_URL: gemini.baseUrl, GEMINI_MAX_RETRIES: '0' }
      : {}),
    ...opts.env,
  };
  const service: ChildProcess = spawnLogged(process.execPath, [CLI, 'serve'], env, serviceLog);
  await waitFor(
    'the service to answer /health',
    async () => {
      if (service.exitCode !== null)
        throw new Error(`service exited ${service.exitCode}: ${serviceLog.text.slice(-3000)}`);
      const r = await fetch(`${url}/health`).catch(() => undefined);
      return r?.status === 200 ? true : undefined;
    },
    90_000,
  );

  const am = await startAlertmanager({
    dir: path.join(ws.root, 'alertmanager'),
    webhookUrl: `${url}/ops/webhook`,
    token: WEBHOOK_TOKEN,
    ...opts.alertmanager,
  });
  const amUrl = am.url;

  const api: Stack['api'] = async (p, init = {}) => {
    const r = await fetch(`${url}${p}`, {
      method: init.method ?? 'GET',
      // Every write says it is JSON, also without a body (the service refuses it otherwise).
      headers: {
        authorization: `Bearer ${API_TOKEN}`,
        ...((init.method ?? 'GET') !== 'GET' ? { 'content-type': 'application/json' } : {}),
      },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
    return { status: r.status, body: (await r.json()) as never };
  };

  const fireAlert: Stack['fireAlert'] = async (labels, o = {}) => {
    const now = Date.now();
    const r = await fetch(`${amUrl}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        {
          labels,
          annotations: o.annotations ?? { summary: `${labels.alertname} on ${Object.values(labels).join(' ')}` },
          startsAt: new Date(now - 120_000).toISOString(),
          endsAt: new Date(o.resolved ? now - 1_000 : now + 3_600_000).toISOString(),
          generatorURL: 'http://prometheus.e2e.test/graph',
        },
      ]),
    });
    if (r.status !== 200) throw new Error(`alertmanager refused the alert: ${r.status} ${await r.text()}`);
  };

  return {
    url,
    amUrl,
    runDir,
    root: ws.root,
    telegram,
    gemini,
    serviceLog,
    api,
    fireAlert,
    async stop() {
      await am.stop();
      const code = await stopChild(service);
      await telegram.close();
      await gemini?.close();
      return code;
    },
  };
}
