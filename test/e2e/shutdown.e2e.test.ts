/**
 * The built service stops gracefully on SIGTERM even while a Terraform child is running (exit
 * code 0, not killed by the signal). Needs `npm run build` first (npm test does it).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { describe, expect, it } from 'vitest';
import { freePort, waitFor } from '../helpers/net.js';
import { tempWorkspace } from '../helpers/service.js';

const ROOT = new URL('../../', import.meta.url).pathname;

describe('service shutdown', () => {
  it('SIGTERM while terraform runs: graceful stop, exit code 0', async () => {
    const ws = tempWorkspace('infraai-shutdown-');
    const port = await freePort();
    const marker = path.join(ws.root, 'terraform-running');
    const child = spawn('node', [path.join(ROOT, 'dist', 'src', 'cli.js'), 'serve'], {
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_PATH: ws.dbPath,
        RUNS_DIR: ws.runsDir,
        LOG_LEVEL: 'info',
        TERRAFORM_BIN: path.join(ROOT, 'test', 'fixtures', 'terraform-hang.sh'),
        TF_HANG_MARKER: marker,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout.on('data', (d: Buffer) => {
      log += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      log += d.toString();
    });
    const exited = new Promise<[number | null, string | null]>((r) =>
      child.once('exit', (code, signal) => r([code, signal])),
    );
    const url = `http://127.0.0.1:${port}`;
    await waitFor(
      'the service to answer /health',
      async () => ((await fetch(`${url}/health`)).status > 0 ? true : undefined),
      30_000,
    );
    // A deployment appears; syncing it starts a Terraform child that does not finish on its own.
    mkdirSync(path.join(ws.runsDir, 'web'));
    writeFileSync(path.join(ws.runsDir, 'web', 'main.tf'), 'resource "terraform_data" "a" {}\n');
    void fetch(`${url}/ops/registry/sync`, { method: 'POST', headers: { 'content-type': 'application/json' } }).catch(
      () => undefined,
    );
    await waitFor('terraform to be running', () => (existsSync(marker) ? true : undefined), 30_000);
    child.kill('SIGTERM');
    const [code, signal] = await exited;
    expect({ code, signal }, log.slice(-2000)).toEqual({ code: 0, signal: null });
    expect(log).toContain('"msg":"shutting down"');
  }, 60_000);
});

describe('service shutdown under load', () => {
  it('SIGTERM while a keep-alive client keeps posting alerts: the service still exits 0', async () => {
    const ws = tempWorkspace('infraai-shutdown-load-');
    const port = await freePort();
    const child = spawn('node', [path.join(ROOT, 'dist', 'src', 'cli.js'), 'serve'], {
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_PATH: ws.dbPath,
        RUNS_DIR: ws.runsDir,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stderr.on('data', (d: Buffer) => {
      log += d.toString();
    });
    const exited = new Promise<[number | null, string | null]>((r) =>
      child.once('exit', (code, signal) => r([code, signal])),
    );
    const url = `http://127.0.0.1:${port}`;
    await waitFor(
      'the service to answer /health',
      async () => ((await fetch(`${url}/health`)).status > 0 ? true : undefined),
      30_000,
    );
    // 50 keep-alive connections with pipelining that never pause (as autocannon or a busy
    // Alertmanager fleet would): without a cut-off, close() waits on their connections.
    const load = autocannon(
      {
        url: `${url}/ops/webhook`,
        connections: 50,
        pipelining: 4,
        duration: 120,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ resource_id: 'vm-1', metric: 'cpu_usage', value: 91, threshold: 80 }),
      },
      // With a callback autocannon returns its instance (stop()), not a promise.
      () => undefined,
    );
    await new Promise((r) => setTimeout(r, 1500));
    child.kill('SIGTERM');
    const [code, signal] = await exited;
    load.stop();
    expect({ code, signal }, log.slice(-2000)).toEqual({ code: 0, signal: null });
  }, 60_000);
});
