/**
 * Starting the monitoring side of the local cloud as real processes on loopback: the metrics
 * exporter, Debian's Prometheus and Alertmanager. Used by `npm run demo:cloud` and by the tests
 * (test/e2e/stack.ts), so both run the same configuration.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROMETHEUS_BIN = '/usr/bin/prometheus';
export const ALERTMANAGER_BIN = '/usr/bin/prometheus-alertmanager';

export interface Proc {
  url: string;
  port: number;
  /** Everything the process printed (stdout + stderr). */
  log: { text: string };
  child: ChildProcess;
  /** SIGTERM, then waits for the exit. Idempotent. */
  stop(): Promise<number | null>;
}

/** A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export function spawnLogged(bin: string, args: string[], env: NodeJS.ProcessEnv, log: { text: string }): ChildProcess {
  if (bin.startsWith('/') && !existsSync(bin)) throw new Error(`${bin} is missing (.ci/run installs it)`);
  const child = spawn(bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (d: Buffer) => {
    // Bounded: a long demo must not grow the log without end.
    log.text = (log.text + d.toString()).slice(-200_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return child;
}

export async function stopChild(
  child: ChildProcess | undefined,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<number | null> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill(signal);
  return exited;
}

/** Polls `url` until it answers 2xx; fails with the process' log when it exits or `ms` pass. */
export async function waitReady(
  what: string,
  url: string,
  p: { child: ChildProcess; log: { text: string } },
  ms = 60_000,
) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (p.child.exitCode !== null) throw new Error(`${what} exited ${p.child.exitCode}: ${p.log.text.slice(-2000)}`);
    const r = await fetch(url).catch(() => undefined);
    if (r?.ok) return;
    if (Date.now() > deadline) throw new Error(`${what} not ready after ${ms} ms: ${p.log.text.slice(-2000)}`);
    await new Promise((r2) => setTimeout(r2, 200));
  }
}

/** A compiled file of cloud/ (dist/cloud/…), also when this module runs from source (tests). */
function compiled(rel: string): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const cloudDir = here.split(path.sep).includes('dist') ? path.dirname(here) : path.resolve(here, '../../dist/cloud');
  const file = path.join(cloudDir, rel);
  if (!existsSync(file)) throw new Error(`${file} is missing; run \`npm run build\` first`);
  return file;
}

function proc(child: ChildProcess, port: number, log: { text: string }): Proc {
  return { url: `http://127.0.0.1:${port}`, port, log, child, stop: () => stopChild(child) };
}

/** The metrics exporter (dist/cloud/metrics/main.js) as a child process. */
export async function startExporterProcess(o: { statePath: string; loadPath: string; port?: number }): Promise<Proc> {
  const port = o.port ?? (await freePort());
  const main = compiled('metrics/main.js');
  const log = { text: '' };
  const env = { PATH: process.env.PATH, LOCAL_CLOUD_STATE: o.statePath, LOCAL_CLOUD_LOAD: o.loadPath };
  const child = spawnLogged(process.execPath, [main, '--port', String(port)], env, log);
  const p = proc(child, port, log);
  await waitReady('the metrics exporter', `${p.url}/metrics`, p);
  return p;
}

export interface PrometheusOptions {
  /** Config, rules and TSDB go here. */
  dir: string;
  /** host:port of the local cloud's exporter. */
  exporter: string;
  /** host:port of Alertmanager, if alerts are to be sent. */
  alertmanager?: string;
  /** The rule file's YAML (`groups: …`). */
  rules: string;
  /** Scrape and evaluation interval in seconds (default 1). */
  intervalSeconds?: number;
  /** Listen port (default: a free one), for when others must know the URL before it starts. */
  port?: number;
}

/**
 * Prometheus scraping the exporter with `honor_labels: true` (the exporter sets `instance` and
 * `job` like the node_exporters it stands in for), evaluating `rules`, sending to Alertmanager.
 */
export async function startPrometheus(o: PrometheusOptions): Promise<Proc> {
  mkdirSync(o.dir, { recursive: true });
  const every = `${o.intervalSeconds ?? 1}s`;
  writeFileSync(path.join(o.dir, 'rules.yml'), o.rules);
  writeFileSync(
    path.join(o.dir, 'prometheus.yml'),
    [
      'global:',
      `  scrape_interval: ${every}`,
      `  evaluation_interval: ${every}`,
      'rule_files: [rules.yml]',
      ...(o.alertmanager
        ? ['alerting:', '  alertmanagers:', `    - static_configs: [{ targets: ['${o.alertmanager}'] }]`]
        : []),
      'scrape_configs:',
      '  - job_name: localcloud',
      '    honor_labels: true',
      `    static_configs: [{ targets: ['${o.exporter}'] }]`,
      // Group series (pools, groups, services, Deployments) are not about the exporter's host: drop
      // the instance label Prometheus would add, so an alert's resource label is the pool's name.
      '    metric_relabel_configs:',
      '      - source_labels: [__name__]',
      "        regex: 'localcloud_(node_pool|autoscaling_group|ecs_service|deployment)_.*'",
      '        target_label: instance',
      "        replacement: ''",
      '',
    ].join('\n'),
  );
  const port = o.port ?? (await freePort());
  const log = { text: '' };
  const child = spawnLogged(
    PROMETHEUS_BIN,
    [
      `--config.file=${path.join(o.dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(o.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--web.external-url=http://127.0.0.1:${port}`,
      // Resolved alerts reach Alertmanager at once; firing ones are re-sent every second.
      '--rules.alert.resend-delay=1s',
    ],
    { PATH: process.env.PATH },
    log,
  );
  const p = proc(child, port, log);
  await waitReady('Prometheus', `${p.url}/-/ready`, p);
  return p;
}

export interface AlertmanagerOptions {
  dir: string;
  /** Where notifications go (InfraAI's POST /ops/webhook). */
  webhookUrl: string;
  /** Sent as `Authorization: Bearer …`. */
  token: string;
  groupWait?: string;
  groupInterval?: string;
  repeatInterval?: string;
  /** Listen port (default: a free one). */
  port?: number;
}

/** Alertmanager (single node) delivering every group to the webhook with send_resolved. */
export async function startAlertmanager(o: AlertmanagerOptions): Promise<Proc> {
  mkdirSync(o.dir, { recursive: true });
  writeFileSync(
    path.join(o.dir, 'am.yml'),
    `route:
  receiver: infraai
  group_by: ['alertname']
  group_wait: ${o.groupWait ?? '1s'}
  group_interval: ${o.groupInterval ?? '1s'}
  repeat_interval: ${o.repeatInterval ?? '1h'}
receivers:
  - name: infraai
    webhook_configs:
      - url: ${o.webhookUrl}
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: ${o.token}
`,
  );
  const port = o.port ?? (await freePort());
  const log = { text: '' };
  const child = spawnLogged(
    ALERTMANAGER_BIN,
    [
      `--config.file=${path.join(o.dir, 'am.yml')}`,
      `--storage.path=${path.join(o.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
    ],
    { PATH: process.env.PATH },
    log,
  );
  const p = proc(child, port, log);
  await waitReady('Alertmanager', `${p.url}/-/ready`, p);
  return p;
}
