/**
 * Local cloud speed: (1) provider start — spawn to handshake line, with a cold certificate cache
 * (openssl mint) and a warm one; (2) `terraform plan -out` + `terraform apply <plan>` of a node pool
 * change through the local google provider against the same change on `terraform_data`, interleaved,
 * N runs each. Prints medians and the ratio. Usage: npm run bench:cloud [-- <repetitions>]
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { installLocalCloud } from '../cloud/provider/install.js';

const REPS = Number(process.argv[2] ?? 7);
const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../cloud/provider/main.js');
const COOKIE = 'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

/** ms from spawn to the handshake line; the process is then stopped with SIGINT. */
function handshake(env: Record<string, string>): Promise<number> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [MAIN, 'google'], {
    env: { ...process.env, TF_PLUGIN_MAGIC_COOKIE: COOKIE, ...env },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return new Promise((resolve, reject) => {
    child.stdout.once('data', () => {
      const ms = performance.now() - t0;
      child.once('exit', () => resolve(ms));
      child.kill('SIGINT');
    });
    child.once('error', reject);
  });
}

async function tf(dir: string, env: Record<string, string>, args: string[]): Promise<void> {
  const r = await execa('terraform', args, { cwd: dir, env, reject: false });
  if (r.exitCode !== 0) throw new Error(`terraform ${args.join(' ')}: ${String(r.stderr)}`);
}

const POOL = (n: number) => `terraform {
  required_providers {
    google = { source = "hashicorp/google" }
  }
}
provider "google" {
  project = "bench"
  region  = "europe-west1"
}
resource "google_container_node_pool" "web" {
  name       = "web"
  cluster    = "prod"
  location   = "europe-west1"
  node_count = ${n}
  node_config {
    machine_type = "e2-standard-4"
  }
}
`;
const DATA = (n: number) => `resource "terraform_data" "web" {
  input = { node_count = ${n}, machine_type = "e2-standard-4" }
}
`;

async function planApply(
  dir: string,
  env: Record<string, string>,
  write: (n: number) => string,
  n: number,
): Promise<number> {
  writeFileSync(path.join(dir, 'main.tf'), write(n));
  const t0 = performance.now();
  await tf(dir, env, ['plan', '-input=false', '-out=tfplan']);
  await tf(dir, env, ['apply', '-input=false', 'tfplan']);
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const root = mkdtempSync(path.join(tmpdir(), 'bench-local-cloud-'));
  try {
    const cold: number[] = [];
    const warm: number[] = [];
    // a client CA certificate like the one Terraform passes in PLUGIN_CLIENT_CERT
    const clientPem = path.join(root, 'client.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        path.join(root, 'client.key'),
        '-out',
        clientPem,
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
      ],
      { stdio: 'ignore' },
    );
    const tls = { PLUGIN_CLIENT_CERT: readFileSync(clientPem, 'utf8') };
    for (let i = 0; i < REPS; i++) {
      const certDir = path.join(root, `certs-${i}`);
      cold.push(await handshake({ ...tls, LOCAL_CLOUD_CERT_DIR: certDir }));
      warm.push(await handshake({ ...tls, LOCAL_CLOUD_CERT_DIR: certDir }));
    }
    const plain: number[] = [];
    for (let i = 0; i < REPS; i++) plain.push(await handshake({ TF_DISABLE_PLUGIN_TLS: '1' }));

    const install = installLocalCloud(path.join(root, 'install'));
    const base = { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' } as Record<string, string>;
    const cloudEnv = { ...base, ...install.env, LOCAL_CLOUD_STATE: path.join(root, 'cloud.json') };
    const dataEnv = { ...base, TF_CLI_CONFIG_FILE: '/dev/null' };
    const poolDir = mkdtempSync(path.join(root, 'pool-'));
    const dataDir = mkdtempSync(path.join(root, 'data-'));
    writeFileSync(path.join(poolDir, 'main.tf'), POOL(2));
    writeFileSync(path.join(dataDir, 'main.tf'), DATA(2));
    await tf(poolDir, cloudEnv, ['init', '-input=false']);
    await tf(poolDir, cloudEnv, ['apply', '-input=false', '-auto-approve']);
    await tf(dataDir, dataEnv, ['apply', '-input=false', '-auto-approve']);
    const pool: number[] = [];
    const data: number[] = [];
    for (let i = 0; i < REPS; i++) {
      pool.push(await planApply(poolDir, cloudEnv, POOL, 3 + i));
      data.push(await planApply(dataDir, dataEnv, DATA, 3 + i));
    }
    const rows: [string, number][] = [
      ['provider start, cold cert (openssl mint)', median(cold)],
      ['provider start, cached cert', median(warm)],
      ['provider start, TF_DISABLE_PLUGIN_TLS=1', median(plain)],
      ['plan+apply node_count change, google_container_node_pool', median(pool)],
      ['plan+apply same change, terraform_data', median(data)],
    ];
    console.log(`local cloud bench, ${REPS} runs each, medians`);
    for (const [name, ms] of rows) console.log(`${name.padEnd(60)} ${ms.toFixed(0).padStart(6)} ms`);
    console.log(
      `${'ratio node pool / terraform_data'.padEnd(60)} ${(median(pool) / median(data)).toFixed(2).padStart(6)} x`,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
