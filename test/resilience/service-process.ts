/**
 * The BUILT service (`node dist/src/cli.js serve`) as a child process on a given DATABASE_PATH /
 * RUNS_DIR, so resilience tests can SIGKILL it and start it again on the same files. No
 * Alertmanager, Telegram or Gemini: alerts are POSTed directly, approvals go through REST, the
 * rules agent decides.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { freePort, ROOT, waitFor } from '../e2e/stack.js';

export const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');
export const WEBHOOK_TOKEN = 'resilience-webhook-token';
export const API_TOKEN = 'resilience-api-token';

export interface ServiceProcess {
  url: string;
  child: ChildProcess;
  log: { text: string };
  /** Authenticated JSON call to the service. */
  api<T = Record<string, unknown>>(
    p: string,
    init?: { method?: string; body?: unknown },
  ): Promise<{ status: number; body: T }>;
  /** POSTs a one-alert Alertmanager notification. */
  alert(labels: Record<string, string>, status?: 'firing' | 'resolved'): Promise<number>;
  /** SIGKILL: no shutdown hook runs, exactly like a crash or the OOM killer. */
  kill(): Promise<void>;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
}

export async function startServiceProcess(opts: {
  dbPath: string;
  runsDir: string;
  env?: Record<string, string>;
}): Promise<ServiceProcess> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const log = { text: '' };
  const child = spawn(process.execPath, [CLI, 'serve'], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TF_CLI_CONFIG_FILE: '/dev/null',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_PATH: opts.dbPath,
      RUNS_DIR: opts.runsDir,
      LOG_LEVEL: 'info',
      WEBHOOK_TOKEN,
      API_TOKEN,
      TF_LOCK_TIMEOUT_SECONDS: '0',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => {
    log.text += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    log.text += d.toString();
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await waitFor(
    'the service to answer /health',
    async () => {
      if (child.exitCode !== null) throw new Error(`service exited ${child.exitCode}: ${log.text.slice(-3000)}`);
      const r = await fetch(`${url}/health`).catch(() => undefined);
      return r !== undefined ? true : undefined;
    },
    90_000,
  );

  const api: ServiceProcess['api'] = async (p, init = {}) => {
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
  const alert: ServiceProcess['alert'] = async (labels, status = 'firing') => {
    const fingerprint = createHash('sha256').update(JSON.stringify(labels)).digest('hex').slice(0, 16);
    const r = await fetch(`${url}/ops/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${WEBHOOK_TOKEN}` },
      body: JSON.stringify({
        version: '4',
        receiver: 'ops',
        status,
        groupLabels: {},
        commonLabels: labels,
        commonAnnotations: {},
        externalURL: 'http://am.test',
        groupKey: `{}:${fingerprint}`,
        truncatedAlerts: 0,
        alerts: [
          {
            status,
            labels,
            annotations: { summary: 'resilience test' },
            fingerprint,
            generatorURL: '',
            startsAt: new Date(Date.now() - 60_000).toISOString(),
            endsAt: status === 'firing' ? '0001-01-01T00:00:00Z' : new Date().toISOString(),
          },
        ],
      }),
    });
    await r.arrayBuffer();
    return r.status;
  };
  return {
    url,
    child,
    log,
    api,
    alert,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
