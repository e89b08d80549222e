/**
 * Webhook benchmark: the real service (real SQLite file, real registry, listening on 127.0.0.1)
 * against a bare Fastify route on the same machine, both in child processes so the load
 * generator does not share their event loop. Then a storm of 10,000 alerts over 50 resources.
 *
 *   npm run bench:webhook            (BENCH_SECONDS=10 BENCH_CONNECTIONS=50 by default)
 */
import autocannon from 'autocannon';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const TOKEN = 'bench-webhook-token';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const RESOURCES = 50;

type Reply = {
  port?: number;
  counts?: Record<string, number>;
  enqueued?: number;
  missing?: number;
  intake?: Record<string, number>;
};

/** One Alertmanager-shaped notification with `alerts` new alerts (fresh fingerprints) spread over the pools. */
export function notification(
  seq: number,
  alerts = 2,
  status: 'firing' | 'resolved' = 'firing',
  alertname = 'NodePoolCPUHigh',
) {
  return {
    version: '4',
    receiver: 'ops',
    status,
    alerts: Array.from({ length: alerts }, (_, i) => ({
      status,
      labels: {
        alertname,
        resource_id: `pool${(seq * alerts + i) % RESOURCES}`,
        pod: `pod-${seq}-${i}`,
        severity: 'warning',
      },
      annotations: { summary: 'CPU above 90% for 5m', value: '0.93' },
      startsAt: '2026-11-23T09:14:28.263399883Z',
      endsAt: status === 'firing' ? '0001-01-01T00:00:00Z' : '2026-11-23T09:30:00Z',
      generatorURL: 'http://prometheus:9090/graph?g0.expr=pool_cpu_utilisation%3E0.9',
      fingerprint: `${seq.toString(16).padStart(12, '0')}${i.toString(16).padStart(4, '0')}`,
    })),
    groupLabels: { alertname },
    commonLabels: { alertname },
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    groupKey: `{}:{alertname="${alertname}", seq="${seq}"}`,
    truncatedAlerts: 0,
  };
}

function startChild(
  role: 'service' | 'bare',
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; port: number }> {
  // BENCH_PROFILE_DIR=/tmp/prof writes a V8 CPU profile of the service child (open in Chrome DevTools).
  const profile =
    process.env.BENCH_PROFILE_DIR && role === 'service'
      ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`]
      : [];
  const child = fork(fileURLToPath(import.meta.url), ['--child', role], {
    env: { ...process.env, ...env },
    stdio: 'inherit',
    execArgv: profile,
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m: Reply) =>
      m.port ? resolve({ child, port: m.port }) : reject(new Error('child sent no port')),
    );
    child.once('exit', (code) => reject(new Error(`${role} child exited with ${code}`)));
  });
}

function ask(child: ChildProcess, what: string | { missing: string[] }): Promise<Reply> {
  return new Promise((resolve) => {
    child.once('message', (m: Reply) => resolve(m));
    child.send(what);
  });
}

async function load(port: number, url: string, firstSeq: number, acceptedIds: string[] = []) {
  let seq = firstSeq;
  const result = await autocannon({
    url: `http://127.0.0.1:${port}${url}`,
    connections: CONNECTIONS,
    duration: SECONDS,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    requests: [
      {
        setupRequest: (req) => ({ ...req, body: JSON.stringify(notification(seq++)) }),
        onResponse: (status, body) => {
          if (status >= 200 && status < 300)
            acceptedIds.push((JSON.parse(body) as { notification_id?: string }).notification_id ?? '?');
        },
      },
    ],
  });
  return {
    requestsPerSec: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok2xx: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    total: result.requests.total,
  };
}

async function postJson(port: number, body: unknown): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/ops/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  return res.status;
}

async function main(): Promise<void> {
  const root = mkdtempSync(path.join(tmpdir(), 'infraai-bench-'));
  mkdirSync(path.join(root, 'runs'));
  const env = {
    DATABASE_PATH: path.join(root, 'bench.sqlite'),
    RUNS_DIR: path.join(root, 'runs'),
    WEBHOOK_TOKEN: TOKEN,
    LOG_LEVEL: 'silent',
  };
  try {
    const bare = await startChild('bare');
    const bareResult = await load(bare.port, '/ops/webhook', 0);
    bare.child.kill('SIGTERM');

    const svc = await startChild('service', env);
    const acceptedIds: string[] = [];
    const serviceResult = await load(svc.port, '/ops/webhook', 0, acceptedIds);
    const afterLoad = await ask(svc.child, 'counts');
    // Every notification_id answered with a 2xx must be a stored row.
    const lost = (await ask(svc.child, { missing: acceptedIds })).missing ?? -1;

    // Storm: 10,000 new alerts over 50 resources, 1,000 per notification, under a new alertname.
    const before = (await ask(svc.child, 'counts')).enqueued ?? 0;
    const stormStart = process.hrtime.bigint();
    const stormStatuses: number[] = [];
    for (let b = 0; b < 10; b++)
      stormStatuses.push(await postJson(svc.port, notification(1_000_000 + b, 1000, 'firing', 'NodePoolMemoryHigh')));
    const stormMs = Number(process.hrtime.bigint() - stormStart) / 1e6;
    const after = await ask(svc.child, 'counts');
    await ask(svc.child, 'stop');

    const report = {
      seconds: SECONDS,
      connections: CONNECTIONS,
      alertsPerNotification: 2,
      bareFastify: bareResult,
      service: {
        ...serviceResult,
        acceptedIdsChecked: acceptedIds.length,
        storedNotifications: afterLoad.counts?.notifications,
        acceptedButNotStored: lost,
        intake: afterLoad.intake,
      },
      storm: {
        alerts: 10_000,
        resources: RESOURCES,
        statuses: stormStatuses,
        ms: Math.round(stormMs),
        decisionsEnqueued: (after.enqueued ?? 0) - before,
        incidents: after.counts?.incidents,
        storedAlerts: after.counts?.alerts,
        intake: after.intake,
      },
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    if (lost !== 0) process.exitCode = 1;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain && process.argv[2] === '--child') {
  const { runChild } = await import('./webhook-child.js');
  await runChild(process.argv[3] === 'bare' ? 'bare' : 'service', RESOURCES);
} else if (isMain) {
  await main();
}
