/**
 * Soak: the real service (runServer, real SQLite file, real Terraform on a terraform_data
 * deployment, rules agent) in a child process on 127.0.0.1:0, fed for SOAK_SECONDS with webhook
 * notifications at SOAK_RATE/s (new alerts, repeats, resolves) plus REST reads at SOAK_READ_RATE/s.
 * Samples the child's RSS and heap every 5 s; at the end checks every accepted notification id is
 * in the database. Prints a markdown table.
 *
 *   npm run bench:soak     (SOAK_SECONDS=180 SOAK_RATE=1500 SOAK_READ_RATE=100 by default)
 */
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TOKEN = 'soak-webhook-token';
const POOLS = 5;

export interface SoakOptions {
  seconds: number;
  rate: number;
  readRate: number;
  connections: number;
  sampleMs: number;
}
interface Mem {
  rss: number;
  heapUsed: number;
}
export interface SoakResult {
  sent: number;
  accepted: number;
  errors: number;
  non2xx: number;
  lost: number;
  p50: number;
  p99: number;
  reads: number;
  readErrors: number;
  decisions: number;
  samples: Array<Mem & { t: number }>;
  /** Non-2xx webhook answers by "status ERR_CODE". */
  refusals: Record<string, number>;
}

/** Mixed traffic: ~60% new alerts, ~30% repeats of a firing one, ~10% resolves. Deterministic. */
export class Traffic {
  private seq = 0;
  private firing: string[] = [];
  next(): Record<string, unknown> {
    const n = (this.seq += 1);
    const roll = n % 10;
    let fingerprint: string;
    let status: 'firing' | 'resolved' = 'firing';
    if (roll < 6 || this.firing.length < 10) {
      fingerprint = n.toString(16).padStart(16, '0');
      this.firing.push(fingerprint);
      if (this.firing.length > 5000) this.firing.shift();
    } else if (roll < 9) {
      fingerprint = this.firing[n % this.firing.length] as string;
    } else {
      fingerprint = this.firing.splice(n % this.firing.length, 1)[0] as string;
      status = 'resolved';
    }
    const pool = Number.parseInt(fingerprint.slice(-4), 16) % (POOLS * 4);
    // A quarter of the alerts name a pool the deployment owns (incidents → rules decisions); the rest match nothing.
    const labels = {
      alertname: 'PoolCPUHigh',
      pool: pool < POOLS ? `soak-pool-${pool}` : `elsewhere-${pool}`,
      severity: 'warning',
    };
    return {
      version: '4',
      receiver: 'ops',
      status,
      groupLabels: { alertname: 'PoolCPUHigh' },
      commonLabels: labels,
      commonAnnotations: {},
      externalURL: 'http://alertmanager:9093',
      groupKey: `{}:{fp="${fingerprint}",n="${n}"}`,
      truncatedAlerts: 0,
      alerts: [
        {
          status,
          labels,
          annotations: { summary: 'CPU above 90% for 5m' },
          fingerprint,
          generatorURL: 'http://prometheus:9090/graph',
          startsAt: '2026-11-23T09:00:00Z',
          endsAt: status === 'firing' ? '0001-01-01T00:00:00Z' : '2026-11-23T09:30:00Z',
        },
      ],
    };
  }
}

function deploymentFiles(): string {
  return Array.from(
    { length: POOLS },
    (_, i) => `resource "terraform_data" "pool${i}" {
  count = 1
  input = { pool = "soak-pool-${i}" }
}
`,
  ).join('\n');
}

/** Starts the service child on a fresh workspace; resolves with its port. */
export async function startSoakService(): Promise<{ child: ChildProcess; port: number; dbPath: string; root: string }> {
  const root = mkdtempSync(path.join(tmpdir(), 'infraai-soak-'));
  const runDir = path.join(root, 'terraform-runs', 'soak');
  mkdirSync(runDir, { recursive: true });
  writeFileSync(path.join(runDir, 'main.tf'), deploymentFiles());
  const tfEnv = { ...process.env, TF_CLI_CONFIG_FILE: '/dev/null' };
  execFileSync('terraform', ['init', '-input=false', '-no-color'], { cwd: runDir, env: tfEnv, stdio: 'ignore' });
  execFileSync('terraform', ['apply', '-auto-approve', '-input=false', '-no-color'], {
    cwd: runDir,
    env: tfEnv,
    stdio: 'ignore',
  });
  const dbPath = path.join(root, 'data', 'infraai.sqlite');
  const child = fork(fileURLToPath(import.meta.url), ['--child'], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TF_CLI_CONFIG_FILE: '/dev/null',
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_PATH: dbPath,
      RUNS_DIR: path.join(root, 'terraform-runs'),
      LOG_LEVEL: 'warn',
      WEBHOOK_TOKEN: TOKEN,
    },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port?: number }) => (m.port ? resolve(m.port) : reject(new Error('no port'))));
    child.once('exit', (code) => reject(new Error(`service child exited ${code}`)));
  });
  return { child, port, dbPath, root };
}

function memoryOf(child: ChildProcess): Promise<Mem> {
  return new Promise((resolve) => {
    child.once('message', (m: Mem) => resolve(m));
    child.send('mem');
  });
}

export async function runSoak(o: SoakOptions, log: (s: string) => void = () => {}): Promise<SoakResult> {
  const svc = await startSoakService();
  const traffic = new Traffic();
  const accepted: string[] = [];
  const refusals: Record<string, number> = {};
  const samples: SoakResult['samples'] = [];
  const started = Date.now();
  const sample = async () =>
    samples.push({ t: Math.round((Date.now() - started) / 1000), ...(await memoryOf(svc.child)) });
  await sample();
  const timer = setInterval(
    () => void sample().then(() => log(`t=${samples.at(-1)?.t}s rss=${mb(samples.at(-1)?.rss)} MB`)),
    o.sampleMs,
  );
  const base = `http://127.0.0.1:${svc.port}`;
  const webhooks = autocannon({
    url: `${base}/ops/webhook`,
    connections: o.connections,
    duration: o.seconds,
    overallRate: o.rate,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    requests: [
      {
        setupRequest: (req) => ({ ...req, body: JSON.stringify(traffic.next()) }),
        onResponse: (status, body) => {
          if (status >= 200 && status < 300)
            accepted.push((JSON.parse(body) as { notification_id: string }).notification_id);
          else {
            const code = (JSON.parse(body) as { error?: { code?: string } }).error?.code ?? '?';
            refusals[`${status} ${code}`] = (refusals[`${status} ${code}`] ?? 0) + 1;
          }
        },
      },
    ],
  });
  const readPaths = [
    '/ops/alerts/active?limit=50',
    '/ops/actions?limit=20',
    '/ops/decisions?limit=20',
    '/ops/resources?q=soak-pool',
    '/metrics',
  ];
  const reads = autocannon({
    url: base,
    connections: 4,
    duration: o.seconds,
    overallRate: o.readRate,
    requests: readPaths.map((p) => ({ method: 'GET' as const, path: p })),
  });
  const [w, r] = await Promise.all([webhooks, reads]);
  clearInterval(timer);
  await sample();
  const exited = new Promise((resolve) => svc.child.once('exit', resolve));
  svc.child.kill('SIGTERM');
  await exited;
  const db = new Database(svc.dbPath, { readonly: true });
  const have = new Set((db.prepare('SELECT id FROM notifications').all() as Array<{ id: string }>).map((x) => x.id));
  const decisions = (db.prepare('SELECT count(*) AS n FROM decisions').get() as { n: number }).n;
  db.close();
  return {
    sent: w.requests.sent,
    accepted: accepted.length,
    errors: w.errors + w.timeouts,
    non2xx: w.non2xx,
    lost: accepted.filter((id) => !have.has(id)).length,
    p50: w.latency.p50,
    p99: w.latency.p99,
    reads: r.requests.total,
    readErrors: r.errors + r.timeouts + r.non2xx,
    decisions,
    samples,
    refusals,
  };
}

const mb = (b: number | undefined) => (b === undefined ? '?' : (b / 1_048_576).toFixed(1));

/** Flat: the last third's max RSS within 15% of the second third's max. */
export function flatness(samples: SoakResult['samples']): {
  second: number;
  last: number;
  ratio: number;
  flat: boolean;
} {
  const third = Math.max(1, Math.floor(samples.length / 3));
  const max = (xs: typeof samples) => Math.max(...xs.map((s) => s.rss));
  const second = max(samples.slice(third, 2 * third));
  const last = max(samples.slice(2 * third));
  return { second, last, ratio: last / second, flat: last <= second * 1.15 };
}

function table(o: SoakOptions, r: SoakResult): string {
  const s = r.samples;
  const f = flatness(s);
  const rows: Array<[string, string]> = [
    ['duration / target rate', `${o.seconds} s at ${o.rate}/s webhooks + ${o.readRate}/s reads`],
    ['webhook requests sent / accepted (2xx)', `${r.sent} / ${r.accepted} (${Math.round(r.accepted / o.seconds)}/s)`],
    [
      'errors + timeouts / non-2xx',
      `${r.errors} / ${r.non2xx}${
        r.non2xx > 0
          ? ` (${Object.entries(r.refusals)
              .map(([k, v]) => `${k}: ${v}`)
              .join(', ')})`
          : ''
      }`,
    ],
    ['accepted notifications missing from the db', String(r.lost)],
    ['webhook latency p50 / p99', `${r.p50} ms / ${r.p99} ms`],
    ['REST reads / errors', `${r.reads} / ${r.readErrors}`],
    ['decisions made (rules agent)', String(r.decisions)],
    [
      'RSS start / middle / end',
      `${mb(s[0]?.rss)} / ${mb(s[Math.floor(s.length / 2)]?.rss)} / ${mb(s.at(-1)?.rss)} MB`,
    ],
    [
      'heap used start / middle / end',
      `${mb(s[0]?.heapUsed)} / ${mb(s[Math.floor(s.length / 2)]?.heapUsed)} / ${mb(s.at(-1)?.heapUsed)} MB`,
    ],
    [
      'RSS max 2nd third → last third',
      `${mb(f.second)} → ${mb(f.last)} MB (×${f.ratio.toFixed(2)}, ${f.flat ? 'flat' : 'GROWING'})`,
    ],
  ];
  return ['| measure | value |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n');
}

async function child(): Promise<void> {
  const { loadConfig } = await import('../src/config/config.js');
  const { runServer } = await import('../src/main.js');
  const service = await runServer(loadConfig(process.env));
  const address = service.app.server.address();
  process.on('message', (m) => {
    if (m !== 'mem') return;
    const u = process.memoryUsage();
    process.send?.({ rss: u.rss, heapUsed: u.heapUsed });
  });
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
}

async function main(): Promise<void> {
  const o: SoakOptions = {
    seconds: Number(process.env.SOAK_SECONDS ?? 180),
    rate: Number(process.env.SOAK_RATE ?? 1500),
    readRate: Number(process.env.SOAK_READ_RATE ?? 100),
    connections: Number(process.env.SOAK_CONNECTIONS ?? 50),
    sampleMs: 5000,
  };
  console.log(`soak: ${o.seconds} s, ${o.rate} webhooks/s, ${o.readRate} reads/s (service in a child process)`);
  const r = await runSoak(o, (s) => console.log(s));
  console.log(`\n${table(o, r)}\n`);
  const ok = r.errors === 0 && r.non2xx === 0 && r.lost === 0 && r.readErrors === 0;
  if (!ok) process.exitCode = 1;
}

if (process.argv[2] === '--child') await child();
else if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
