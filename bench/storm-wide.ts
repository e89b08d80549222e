/**
 * Wide alert storm: 100,000 firing alerts over 20,000 distinct registry resources (so about
 * 20,000 incidents, each decided by the real decision service), against the same storm over 50
 * resources as the baseline, in the same run. The service runs in a child process (real
 * compose() graph, fresh SQLite file, registry seeded through its write path); this process
 * posts Alertmanager notifications (100 alerts each, 4 in flight; a 503 is retried like
 * Alertmanager would) while it samples GET /health, then keeps sampling while the decision
 * backlog drains.
 *
 *   npm run bench:storm        (STORM_ALERTS, STORM_RESOURCES, STORM_CONCURRENCY to change the size)
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ChildCounts } from './storm-wide-child.js';

const ALERTS = Number(process.env.STORM_ALERTS ?? 100_000);
const RESOURCES = Number(process.env.STORM_RESOURCES ?? 20_000);
const NARROW = 50;
const PER_NOTIFICATION = 100;
const PER_DEPLOYMENT = 100;
const CONCURRENCY = Number(process.env.STORM_CONCURRENCY ?? 4);
const HEALTH_EVERY_MS = 20;
const DRAIN_LIMIT_MS = Number(process.env.STORM_DRAIN_LIMIT_S ?? 150) * 1000;
const TOKEN = 'bench-storm-token';

type Reply = { port?: number; seedMs?: number; counts?: ChildCounts };

/** Notification `seq`: alerts seq*100 … seq*100+99, alert g on resource p<g % spread>. */
function notification(seq: number, spread: number) {
  const alerts = Array.from({ length: PER_NOTIFICATION }, (_, j) => {
    const g = seq * PER_NOTIFICATION + j;
    return {
      status: 'firing',
      labels: { alertname: 'NodePoolCPUHigh', resource_id: `p${g % spread}`, pod: `pod-${g}`, severity: 'warning' },
      annotations: { summary: 'CPU above 90% for 5m' },
      startsAt: '2026-11-23T09:14:28.263Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus:9090/graph',
      fingerprint: g.toString(16).padStart(16, '0'),
    };
  });
  return {
    version: '4',
    receiver: 'ops',
    status: 'firing',
    alerts,
    groupLabels: { alertname: 'NodePoolCPUHigh' },
    commonLabels: { alertname: 'NodePoolCPUHigh' },
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    groupKey: `{}:{alertname="NodePoolCPUHigh", seq="${seq}"}`,
    truncatedAlerts: 0,
  };
}

function startChild(env: Record<string, string>): Promise<{ child: ChildProcess; port: number; seedMs: number }> {
  // BENCH_PROFILE_DIR=/tmp/prof writes a V8 CPU profile of each service child (open in Chrome DevTools).
  const profile = process.env.BENCH_PROFILE_DIR
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`]
    : [];
  const child = fork(fileURLToPath(import.meta.url), ['--child'], {
    env: { ...process.env, ...env },
    stdio: 'inherit',
    execArgv: profile,
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m: Reply) =>
      m.port ? resolve({ child, port: m.port, seedMs: m.seedMs ?? 0 }) : reject(new Error('no port')),
    );
    child.once('exit', (code) => reject(new Error(`service child exited with ${code}`)));
  });
}

function ask(child: ChildProcess, what: string): Promise<Reply> {
  return new Promise((resolve) => {
    child.once('message', (m: Reply) => resolve(m));
    child.send(what);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pct(samples: number[], p: number): number {
  const s = [...samples].sort((a, b) => a - b);
  return Number((s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN).toFixed(1));
}

const summary = (samples: number[]) => ({
  n: samples.length,
  p50: pct(samples, 50),
  p99: pct(samples, 99),
  max: pct(samples, 100),
});

/** GET /health once every HEALTH_EVERY_MS (one in flight) until stopped; latencies in ms. */
function healthSampler(port: number) {
  let stopped = false;
  const samples: number[] = [];
  const failures: number[] = [];
  const done = (async () => {
    while (!stopped) {
      const t = performance.now();
      const res = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined);
      if (res) await res.arrayBuffer();
      (res?.ok ? samples : failures).push(performance.now() - t);
      await sleep(HEALTH_EVERY_MS);
    }
  })();
  return {
    samples,
    failures,
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

async function post(port: number, body: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/ops/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body,
  });
  await res.arrayBuffer();
  return res.status;
}

/** Every notification posted until accepted (503 → wait 100 ms, retry); returns request latencies. */
async function storm(port: number, spread: number) {
  const notifications = Math.ceil(ALERTS / PER_NOTIFICATION);
  const latencies: number[] = [];
  let next = 0;
  let retried = 0;
  let failed = 0;
  const worker = async () => {
    for (let seq = next++; seq < notifications; seq = next++) {
      const body = JSON.stringify(notification(seq, spread));
      for (;;) {
        const t = performance.now();
        const status = await post(port, body);
        latencies.push(performance.now() - t);
        if (status < 300) break;
        if (status !== 503) {
          failed += 1;
          break;
        }
        retried += 1;
        await sleep(100);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { notifications, latencies, retried, failed };
}

async function scenario(name: string, spread: number) {
  const root = mkdtempSync(path.join(tmpdir(), 'infraai-storm-'));
  mkdirSync(path.join(root, 'runs'));
  const env = {
    DATABASE_PATH: path.join(root, 'storm.sqlite'),
    RUNS_DIR: path.join(root, 'runs'),
    WEBHOOK_TOKEN: TOKEN,
    LOG_LEVEL: 'silent',
  };
  const { child, port, seedMs } = await startChild(env);
  try {
    const idle = healthSampler(port);
    await sleep(3000);
    await idle.stop();
    const during = healthSampler(port);
    const t0 = performance.now();
    const { latencies, ...s } = await storm(port, spread);
    const stormMs = performance.now() - t0;
    await during.stop();
    const atEnd = (await ask(child, 'counts')).counts!;
    const drain = healthSampler(port);
    let counts = atEnd;
    while (
      performance.now() - t0 - stormMs < DRAIN_LIMIT_MS &&
      (counts.backlog > 0 || counts.decisions < counts.incidents)
    ) {
      await sleep(250);
      counts = (await ask(child, 'counts')).counts!;
    }
    const drainMs = performance.now() - t0 - stormMs;
    await drain.stop();
    await ask(child, 'stop');
    return {
      name,
      resources: RESOURCES,
      spread,
      alerts: ALERTS,
      registrySeedMs: seedMs,
      ...s,
      stormSeconds: Number((stormMs / 1000).toFixed(1)),
      alertsPerSecond: Math.round(ALERTS / (stormMs / 1000)),
      request: summary(latencies),
      healthIdle: summary(idle.samples),
      healthDuringStorm: summary(during.samples),
      healthFailuresDuringStorm: during.failures.length,
      healthWhileDeciding: summary(drain.samples),
      atStormEnd: atEnd,
      final: counts,
      decidedAllWithinLimit: counts.decisions >= counts.incidents && counts.backlog === 0,
      secondsToDecideAfterStorm: Number((drainMs / 1000).toFixed(1)),
    };
  } finally {
    // Let a stopping child exit on its own (it writes its CPU profile on exit), then make sure.
    if (child.exitCode === null) await Promise.race([new Promise((r) => child.once('exit', r)), sleep(10_000)]);
    child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  }
}

type Result = Awaited<ReturnType<typeof scenario>>;

function table(narrow: Result, wide: Result): string {
  const row = (label: string, f: (r: Result) => string | number, ratio?: (r: Result) => number) =>
    `| ${label} | ${f(narrow)} | ${f(wide)} | ${ratio ? `${(ratio(wide) / ratio(narrow)).toFixed(2)}×` : ''} |`;
  const ms = (s: { p50: number; p99: number }) => `${s.p50} / ${s.p99} ms`;
  return [
    `| measure (${ALERTS.toLocaleString('en')} alerts, registry of ${RESOURCES.toLocaleString('en')}) | over ${NARROW} resources | over ${RESOURCES.toLocaleString('en')} resources | wide ÷ narrow |`,
    '|---|---:|---:|---:|',
    row(
      'intake (alerts/s)',
      (r) => r.alertsPerSecond.toLocaleString('en'),
      (r) => r.alertsPerSecond,
    ),
    row(
      'webhook request p50 / p99',
      (r) => ms(r.request),
      (r) => r.request.p99,
    ),
    row('503 answers (retried)', (r) => r.retried),
    row('/health p50 / p99 idle', (r) => ms(r.healthIdle)),
    row(
      '/health p50 / p99 during the storm',
      (r) => ms(r.healthDuringStorm),
      (r) => r.healthDuringStorm.p99,
    ),
    row('/health max during the storm', (r) => `${r.healthDuringStorm.max} ms`),
    row('/health p50 / p99 while the backlog is decided', (r) => ms(r.healthWhileDeciding)),
    row("incidents / decisions at the storm's end", (r) => `${r.atStormEnd.incidents} / ${r.atStormEnd.decisions}`),
    row(
      'seconds to decide the rest',
      (r) => `${r.secondsToDecideAfterStorm}${r.decidedAllWithinLimit ? '' : ' (limit hit)'}`,
    ),
  ].join('\n');
}

async function main(): Promise<void> {
  const narrow = await scenario('narrow', NARROW);
  const wide = await scenario('wide', RESOURCES);
  process.stdout.write(`${JSON.stringify({ narrow, wide }, null, 2)}\n\n${table(narrow, wide)}\n`);
  if (narrow.failed + wide.failed > 0 || !wide.decidedAllWithinLimit) process.exitCode = 1;
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain && process.argv[2] === '--child') {
  const { runStormChild } = await import('./storm-wide-child.js');
  await runStormChild(RESOURCES, PER_DEPLOYMENT);
} else if (isMain) {
  await main();
}
