/**
 * Registry benchmark: a synthetic `terraform show -json` state of 50,000 resource instances is
 * parsed (zod + redaction + cross-scrub) and synced into a fresh SQLite file, re-synced unchanged,
 * then looked up 10,000 times. Terraform itself is not run (it is not what is measured): the
 * parser and the store are called directly, the same code RegistrySync calls.
 *
 * Usage: npm run bench:registry [-- <instances>]
 */
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openDatabase } from '../src/db/connection/database.js';
import { SqliteRegistryStore } from '../src/db/registry/sqlite-registry-store.js';
import { ConfigReader } from '../src/registry/config-lifecycle.js';
import { parseShowJson } from '../src/registry/state-parser.js';
import { systemClock } from '../src/shared/clock.js';

const INSTANCES = Number(process.argv[2] ?? 50_000);
const LOOKUPS = 10_000;
const PER_BLOCK = 50;

function instance(i: number, modulePrefix: string): Record<string, unknown> {
  const block = Math.floor(i / PER_BLOCK);
  const idx = i % PER_BLOCK;
  const forEach = block % 2 === 1;
  const index = forEach ? `k${idx}` : idx;
  const type = block % 3 === 0 ? 'google_compute_instance' : 'google_container_node_pool';
  const addr = `${modulePrefix}${type}.b${block}[${forEach ? JSON.stringify(index) : index}]`;
  const secret = i % 100 === 0 ? { admin_password: `pw-${i}-Xk29sLq0` } : {};
  return {
    address: addr,
    mode: 'managed',
    type,
    name: `b${block}`,
    index,
    provider_name: 'registry.terraform.io/hashicorp/google',
    schema_version: 1,
    values: {
      id: `projects/bench/zones/europe-west1-b/instances/vm-${i}`,
      name: `vm-${i}`,
      self_link: `https://www.googleapis.com/compute/v1/projects/bench/zones/europe-west1-b/instances/vm-${i}`,
      machine_type: 'e2-small',
      zone: 'europe-west1-b',
      node_count: 3,
      labels: { team: `team-${block % 20}`, app: `app-${block}` },
      metadata: { note: `instance ${i} of block ${block}` },
      ...secret,
    },
    sensitive_values: i % 100 === 0 ? { admin_password: true, labels: {}, metadata: {} } : { labels: {}, metadata: {} },
  };
}

/**
 * Writes the state instance by instance (half in the root module, half two module levels
 * down) so generating it does not inflate the peak RSS being measured.
 */
function writeSyntheticState(file: string, n: number): void {
  const fd = openSync(file, 'w');
  const list = (from: number, to: number, prefix: string) => {
    for (let i = from; i < to; i++) writeSync(fd, `${i > from ? ',' : ''}${JSON.stringify(instance(i, prefix))}`);
  };
  const outputs = { admin: { sensitive: true, value: 'pw-0-Xk29sLq0', type: 'string' } };
  writeSync(fd, `{"format_version":"1.0","terraform_version":"1.11.4","values":{"outputs":${JSON.stringify(outputs)},`);
  writeSync(fd, '"root_module":{"resources":[');
  list(0, Math.floor(n / 2), '');
  writeSync(fd, '],"child_modules":[{"address":"module.platform","child_modules":[');
  writeSync(fd, '{"address":"module.platform.module.nodes[0]","resources":[');
  list(Math.floor(n / 2), n, 'module.platform.module.nodes[0].');
  writeSync(fd, ']}]}]}}}');
  closeSync(fd);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** ignore_changes reading: 20 root-module files with 50 blocks each; first read parses, re-reads only stat. */
async function configRead(dir: string): Promise<{ firstMs: number; cachedMs: number; blocks: number }> {
  const conf = path.join(dir, 'conf');
  mkdirSync(conf);
  for (let f = 0; f < 20; f++) {
    let text = '';
    for (let b = 0; b < 50; b++) {
      text += `resource "aws_autoscaling_group" "g${f}_${b}" {\n  name = "g${f}-${b}"\n  lifecycle {\n    ignore_changes = [desired_capacity, tags["Name"]]\n  }\n}\n`;
    }
    writeFileSync(path.join(conf, `f${f}.tf`), text);
  }
  const reader = new ConfigReader();
  const t0 = performance.now();
  const first = await reader.read(conf);
  const firstMs = performance.now() - t0;
  const n = 200;
  const t1 = performance.now();
  for (let i = 0; i < n; i++) if ((await reader.read(conf)).fresh) throw new Error('bench: unchanged files re-read');
  return { firstMs, cachedMs: (performance.now() - t1) / n, blocks: Object.keys(first.facts.ignoredChanges).length };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'infraai-bench-'));
  const stateFile = path.join(dir, 'show.json');
  writeSyntheticState(stateFile, INSTANCES);
  const stateBytes = statSync(stateFile).size;
  const db = openDatabase(path.join(dir, 'bench.sqlite'));
  const store = new SqliteRegistryStore(db, systemClock);

  // What RegistrySync does with `terraform show -json` stdout: JSON.parse, parse, store.
  const syncOnce = (serial: number) => {
    const t0 = performance.now();
    const state = parseShowJson('bench', JSON.parse(readFileSync(stateFile, 'utf8')));
    const t1 = performance.now();
    const outcome = store.applyState({ runId: 'bench', dir, serial, lineage: 'bench-lineage', state });
    const t2 = performance.now();
    return { parseMs: t1 - t0, storeMs: t2 - t1, outcome };
  };
  const first = syncOnce(1);
  const rssAfterFirst = process.resourceUsage().maxRSS / 1024;
  // What RegistrySync does first on a re-sync: serial+lineage from `state pull` still match.
  const tc = performance.now();
  const current = store.isCurrent('bench', dir, { serial: 1, lineage: 'bench-lineage' });
  const currentMs = performance.now() - tc;
  if (!current) throw new Error('bench: isCurrent should hold');
  // The slow path (e.g. no serial available): full parse, hash compare, still no writes.
  const again = syncOnce(1);
  if (first.outcome.added !== INSTANCES || again.outcome.changed) throw new Error('bench sync did not behave');
  const keyRows = (db.prepare('SELECT count(*) AS n FROM resource_keys').get() as { n: number }).n;

  const keys: string[] = [];
  for (let i = 0; i < LOOKUPS; i++) {
    const n = Math.floor(Math.random() * INSTANCES);
    const kind = i % 4;
    keys.push(
      kind === 0
        ? `vm-${n}`
        : kind === 1
          ? `projects/bench/zones/europe-west1-b/instances/vm-${n}`
          : kind === 2
            ? `app-${Math.floor(n / PER_BLOCK)}`
            : `team-${n % 20}`,
    );
  }
  const latencies: number[] = [];
  const byOutcome: Record<'matched' | 'ambiguous' | 'unknown', number[]> = { matched: [], ambiguous: [], unknown: [] };
  for (const key of keys) {
    const t = performance.now();
    const r = store.lookup(key);
    const ms = performance.now() - t;
    latencies.push(ms);
    byOutcome[r.status].push(ms);
  }
  latencies.sort((a, b) => a - b);
  const outcomes = Object.fromEntries(
    Object.entries(byOutcome).map(([k, v]) => [
      k,
      {
        n: v.length,
        p99: percentile(
          v.sort((a, b) => a - b),
          99,
        ),
      },
    ]),
  ) as Record<keyof typeof byOutcome, { n: number; p99: number }>;
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  const config = await configRead(dir);
  const dbBytes = statSync(path.join(dir, 'bench.sqlite')).size;
  db.close();
  if (process.env.BENCH_KEEP === undefined) rmSync(dir, { recursive: true, force: true });
  else process.stderr.write(`kept ${dir}\n`);

  const f = (ms: number) => `${ms.toFixed(0)} ms`;
  const rows: Array<[string, string, string]> = [
    ['instances', String(INSTANCES), ''],
    ['show-json size', `${(stateBytes / 1e6).toFixed(1)} MB`, ''],
    ['lookup key rows', String(keyRows), ''],
    ['first sync: parse (JSON + zod + redaction)', f(first.parseMs), ''],
    ['first sync: store (one transaction)', f(first.storeMs), ''],
    ['first sync total', f(first.parseMs + first.storeMs), '≤ 5000 ms'],
    ['re-sync unchanged, serial+lineage match (parse skipped)', `${currentMs.toFixed(2)} ms`, ''],
    ['re-sync unchanged, full parse + hash compare (writes nothing)', f(again.parseMs + again.storeMs), ''],
    ['peak RSS after first sync', `${rssAfterFirst.toFixed(0)} MB`, '≤ 400 MB'],
    [
      "peak RSS whole run (second full parse while the first one's garbage is uncollected)",
      `${maxRssMb.toFixed(0)} MB`,
      '',
    ],
    [`lookup p50 (${LOOKUPS} random keys)`, `${percentile(latencies, 50).toFixed(3)} ms`, ''],
    ['lookup p99', `${percentile(latencies, 99).toFixed(3)} ms`, '≤ 1 ms'],
    [
      'lookup outcomes',
      `${outcomes.matched.n} matched / ${outcomes.ambiguous.n} ambiguous / ${outcomes.unknown.n} unknown`,
      '',
    ],
    [
      'lookup p99 matched / ambiguous',
      `${outcomes.matched.p99.toFixed(3)} / ${outcomes.ambiguous.p99.toFixed(3)} ms`,
      '',
    ],
    [
      `ignore_changes: first read of 20 files / ${config.blocks} blocks (tree-sitter, grammar load included)`,
      f(config.firstMs),
      '',
    ],
    ['ignore_changes: re-sync with unchanged files (readdir + stat only)', `${config.cachedMs.toFixed(3)} ms`, ''],
    ['load average (1 min) at end', (loadavg()[0] ?? 0).toFixed(2), 'machine has 2 cores'],
    ['database file', `${(dbBytes / 1e6).toFixed(1)} MB`, ''],
  ];
  process.stdout.write('| measure | value | aim |\n|---|---|---|\n');
  for (const [m, v, aim] of rows) process.stdout.write(`| ${m} | ${v} | ${aim} |\n`);
}

await main();
