/**
 * The local cloud's plugin process and the guarantees every resource type shares: the go-plugin
 * handshake with AutoMTLS (certificate cached, safe when two start at once), GRPCController/Shutdown
 * and SIGINT ending the process, no provider left behind by terraform, unknown arguments refused
 * by `terraform validate`, a clear error without LOCAL_CLOUD_STATE, sensitive attributes redacted
 * in plans and state output, import by id, and the real deletion_protection refusal.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  GOOGLE_PROVIDER,
  KUBERNETES_PROVIDER,
  AWS_PROVIDER,
  type LocalCloud,
  planJson,
  withLocalCloud,
} from '../helpers/local-cloud.js';
import { waitFor } from '../helpers/net.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MAIN = path.join(root, 'dist/cloud/provider/main.js');
const PROTO = path.join(root, 'cloud/provider/proto/tfplugin6.8.proto');
const COOKIE = { TF_PLUGIN_MAGIC_COOKIE: 'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2' };

interface Plugin {
  child: ChildProcess;
  handshake: string;
  exited: Promise<number | null>;
}

function startPlugin(env: Record<string, string>, provider = 'google'): Promise<Plugin> {
  const child = spawn(process.execPath, [MAIN, provider], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve({ child, handshake: out.slice(0, nl), exited });
    });
    child.once('exit', (code) => reject(new Error(`plugin exited (${code}) before its handshake; stdout: ${out}`)));
  });
}

/** A client certificate like the one Terraform passes in PLUGIN_CLIENT_CERT. */
function clientCert(dir: string): { cert: string; key: string } {
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
      path.join(dir, 'client.key'),
      '-out',
      path.join(dir, 'client.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost',
    ],
    { stdio: 'ignore' },
  );
  return {
    cert: readFileSync(path.join(dir, 'client.pem'), 'utf8'),
    key: readFileSync(path.join(dir, 'client.key'), 'utf8'),
  };
}

function derToPem(b64: string): string {
  const padded = b64 + '='.repeat((4 - (b64.length % 4)) % 4);
  return `-----BEGIN CERTIFICATE-----\n${padded.match(/.{1,64}/g)?.join('\n')}\n-----END CERTIFICATE-----\n`;
}

function providerClient(addr: string, creds: grpc.ChannelCredentials): any {
  const def = protoLoader.loadSync(PROTO, {
    keepCase: true,
    longs: Number,
    enums: String,
    defaults: false,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(def) as any;
  return new pkg.tfplugin6.Provider(addr, creds, { 'grpc.ssl_target_name_override': 'localhost' });
}

function call<T>(client: any, method: string, req: object = {}): Promise<T> {
  return new Promise((resolve, reject) =>
    client[method](req, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))),
  );
}

function shutdown(addr: string, creds: grpc.ChannelCredentials): Promise<void> {
  const Ctor = grpc.makeGenericClientConstructor(
    {
      Shutdown: {
        path: '/plugin.GRPCController/Shutdown',
        requestStream: false,
        responseStream: false,
        requestSerialize: () => Buffer.alloc(0),
        requestDeserialize: () => ({}),
        responseSerialize: () => Buffer.alloc(0),
        responseDeserialize: () => ({}),
      },
    },
    'GRPCController',
  );
  const client = new Ctor(addr, creds, { 'grpc.ssl_target_name_override': 'localhost' }) as any;
  return new Promise((resolve, reject) => client.Shutdown({}, (err: Error | null) => (err ? reject(err) : resolve())));
}

/** Live processes whose environment names this cloud's state file (the providers it started). */
function providersOf(stateFile: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8');
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (environ.includes(`LOCAL_CLOUD_STATE=${stateFile}\0`) && cmdline.includes('main.js')) pids.push(Number(entry));
    } catch {
      // gone, or not ours
    }
  }
  return pids;
}

describe('local cloud plugin process', { timeout: 120_000 }, () => {
  let dir: string;
  const started: ChildProcess[] = [];
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'local-cloud-plugin-'));
  });
  afterEach(() => {
    for (const c of started.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses to run without the magic cookie, saying it is a plugin', () => {
    let stderr = '';
    try {
      execFileSync(process.execPath, [MAIN, 'google'], { env: { PATH: process.env['PATH'] ?? '' }, stdio: 'pipe' });
    } catch (err) {
      stderr = String((err as { stderr?: Buffer }).stderr);
    }
    expect(stderr).toContain('This binary is a plugin');
  });

  it('speaks AutoMTLS: handshake with an unpadded DER certificate for localhost, serves the schema, exits on Shutdown', async () => {
    const certDir = path.join(dir, 'certs-mtls');
    const client = clientCert(dir);
    const p = await startPlugin({ ...COOKIE, PLUGIN_CLIENT_CERT: client.cert, LOCAL_CLOUD_CERT_DIR: certDir });
    started.push(p.child);
    const fields = p.handshake.split('|');
    expect(fields.slice(0, 3)).toEqual(['1', '6', 'tcp']);
    expect(fields[3]).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(fields[4]).toBe('grpc');
    const cert = fields[5] ?? '';
    expect(cert.length).toBeGreaterThan(50);
    expect(cert).not.toContain('=');
    const san = execFileSync('openssl', ['x509', '-noout', '-ext', 'subjectAltName'], {
      input: derToPem(cert),
    }).toString();
    expect(san).toContain('DNS:localhost');

    const creds = grpc.credentials.createSsl(
      Buffer.from(derToPem(cert)),
      Buffer.from(client.key),
      Buffer.from(client.cert),
    );
    const provider = providerClient(fields[3] ?? '', creds);
    const schema = await call<any>(provider, 'GetProviderSchema');
    expect(Object.keys(schema.resource_schemas).sort()).toEqual([
      'google_compute_instance',
      'google_container_cluster',
      'google_container_node_pool',
    ]);
    provider.close();
    // a client without Terraform's certificate is turned away
    const stranger = providerClient(fields[3] ?? '', grpc.credentials.createSsl(Buffer.from(derToPem(cert))));
    await expect(call(stranger, 'GetProviderSchema')).rejects.toThrow();
    stranger.close();

    await shutdown(fields[3] ?? '', creds);
    expect(await p.exited).toBe(0);
  });

  it('mints the certificate once and reuses it; two plugins starting at once both come up', async () => {
    const certDir = path.join(dir, 'certs-race');
    const client = clientCert(dir);
    const env = { ...COOKIE, PLUGIN_CLIENT_CERT: client.cert, LOCAL_CLOUD_CERT_DIR: certDir };
    const [a, b] = await Promise.all([startPlugin(env), startPlugin(env)]);
    started.push(a.child, b.child);
    expect(existsSync(path.join(certDir, 'server.json'))).toBe(true);
    const c = await startPlugin(env, 'aws');
    started.push(c.child);
    const cached = JSON.parse(readFileSync(path.join(certDir, 'server.json'), 'utf8')).cert as string;
    const body = cached.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, '').replace(/=+$/, '');
    expect(c.handshake.split('|')[5]).toBe(body);
    expect([a, b].map((p) => p.handshake.split('|')[5])).toContain(body);
    expect(readdirSync(certDir).filter((f) => f.endsWith('.tmp') || f.startsWith('mint-'))).toEqual([]);
    for (const p of [a, b, c]) p.child.kill('SIGINT');
    expect(await Promise.all([a.exited, b.exited, c.exited])).toEqual([0, 0, 0]);
  });

  it('after SIGINT still answers Terraform (which then calls StopProvider), and exits once idle (TF_DISABLE_PLUGIN_TLS=1)', async () => {
    const p = await startPlugin({ ...COOKIE, TF_DISABLE_PLUGIN_TLS: '1' }, 'kubernetes');
    started.push(p.child);
    expect(p.handshake).toMatch(/^1\|6\|tcp\|127\.0\.0\.1:\d+\|grpc$/);
    const provider = providerClient(p.handshake.split('|')[3] ?? '', grpc.credentials.createInsecure());
    p.child.kill('SIGINT');
    const schema = await call<any>(provider, 'GetProviderSchema');
    expect(Object.keys(schema.resource_schemas)).toContain('kubernetes_deployment');
    expect((await call<any>(provider, 'StopProvider')).Error ?? '').toBe('');
    provider.close();
    expect(await p.exited).toBe(0);
  });
});

const POOL = `${GOOGLE_PROVIDER}
resource "google_container_node_pool" "web" {
  name       = "web"
  cluster    = "prod"
  location   = "europe-west1"
  node_count = 2
}
`;

describe('local cloud through terraform: shared guarantees', { timeout: 180_000 }, () => {
  let cloud: LocalCloud;
  afterEach(() => cloud.cleanup());

  it('leaves no provider process behind after terraform commands', async () => {
    cloud = withLocalCloud();
    cloud.write({ 'main.tf': POOL });
    expect((await cloud.tf(['init'])).code).toBe(0);
    expect((await cloud.tf(['apply', '-auto-approve'])).code).toBe(0);
    expect(
      await waitFor('providers gone', () => (providersOf(cloud.stateFile).length === 0 ? true : undefined), 10_000),
    ).toBe(true);
  });

  it('refuses an argument the real schema does not have at terraform validate', async () => {
    cloud = withLocalCloud();
    cloud.write({ 'main.tf': POOL.replace('node_count = 2', 'node_count = 2\n  max_nodes  = 5') });
    expect((await cloud.tf(['init'])).code).toBe(0);
    const v = await cloud.tf(['validate']);
    expect(v.code).toBe(1);
    expect(v.stderr).toContain('An argument named "max_nodes" is not expected here.');
    const tooMany = POOL.replace(
      'node_count = 2',
      'node_count = 2\n  autoscaling {\n    max_node_count = 3\n  }\n  autoscaling {\n    max_node_count = 4\n  }',
    );
    cloud.write({ 'main.tf': tooMany });
    const v2 = await cloud.tf(['validate']);
    expect(v2.code).toBe(1);
    expect(v2.stderr).toContain('Too many autoscaling blocks');
  });

  it('fails with a clear diagnostic when LOCAL_CLOUD_STATE is not set, writing nothing', async () => {
    cloud = withLocalCloud();
    cloud.write({ 'main.tf': POOL });
    expect((await cloud.tf(['init'])).code).toBe(0);
    const plan = await cloud.tf(['plan'], { env: { LOCAL_CLOUD_STATE: '' } });
    expect(plan.code).toBe(1);
    expect(plan.stderr).toContain('local cloud: LOCAL_CLOUD_STATE is not set');
    expect(existsSync(cloud.stateFile)).toBe(false);
  });

  it('keeps sensitive attributes out of human plan and state output, and marks them in plan JSON', async () => {
    cloud = withLocalCloud();
    const canary = 'canary-7f3a9c-do-not-leak';
    const config = (secret: string) => `${KUBERNETES_PROVIDER}
resource "kubernetes_secret" "db" {
  metadata { name = "db" }
  data = { password = "${secret}" }
}
`;
    cloud.write({ 'main.tf': config(canary) });
    expect((await cloud.tf(['init'])).code).toBe(0);
    const plan = await cloud.tf(['plan', '-out=tfplan']);
    expect(plan.stdout).toContain('(sensitive value)');
    expect(plan.stdout).not.toContain(canary);
    const created = (await planJson(cloud)).resource_changes[0];
    expect(created.change.after_sensitive.data).toBe(true);
    expect((await cloud.tf(['apply', 'tfplan'])).code).toBe(0);
    const show = await cloud.tf(['show']);
    expect(show.stdout).toContain('(sensitive value)');
    expect(show.stdout).not.toContain(canary);

    cloud.write({ 'main.tf': config(`${canary}-2`) });
    const upd = await cloud.tf(['plan', '-out=tfplan']);
    expect(upd.stdout).not.toContain(canary);
    const changed = (await planJson(cloud)).resource_changes[0];
    expect(changed.change.actions).toEqual(['update']);
    expect(changed.change.before_sensitive.data).toBe(true);
    expect(changed.change.after_sensitive.data).toBe(true);
  });

  it('marks computed secrets of google and aws resources sensitive (cluster client_key, IAM secret)', async () => {
    cloud = withLocalCloud();
    cloud.write({
      'main.tf': `${GOOGLE_PROVIDER}
resource "google_container_cluster" "c" {
  name                = "prod"
  location            = "europe-west1"
  initial_node_count  = 1
  deletion_protection = false
  master_auth {
    client_certificate_config { issue_client_certificate = true }
  }
}
`,
      'aws/main.tf': `${AWS_PROVIDER}
resource "aws_iam_access_key" "ci" { user = "ci" }
`,
    });
    expect((await cloud.tf(['init'])).code).toBe(0);
    expect((await cloud.tf(['apply', '-auto-approve'])).code).toBe(0);
    const key = (cloud.readCloudState().resources['google_container_cluster'] as any)[
      'projects/demo-project/locations/europe-west1/clusters/prod'
    ].master_auth[0].client_key as string;
    expect(key.length).toBeGreaterThan(40);
    const show = await cloud.tf(['show']);
    expect(show.stdout).toMatch(/client_key\s+= \(sensitive value\)/);
    expect(show.stdout).not.toContain(key);
    cloud.write({
      'main.tf': readFileSync(path.join(cloud.workdir, 'main.tf'), 'utf8').replace(
        'initial_node_count  = 1',
        'initial_node_count  = 2',
      ),
    });
    expect((await cloud.tf(['plan', '-out=tfplan'])).code).toBe(0);
    expect((await planJson(cloud)).resource_changes[0].change.before_sensitive.master_auth[0].client_key).toBe(true);

    const awsDir = path.join(cloud.workdir, 'aws');
    expect((await cloud.tf(['init'], { cwd: awsDir })).code).toBe(0);
    expect((await cloud.tf(['plan', '-out=tfplan'], { cwd: awsDir })).code).toBe(0);
    expect((await planJson(cloud, 'tfplan', awsDir)).resource_changes[0].change.after_sensitive.secret).toBe(true);
  });

  it('imports a resource by id from the cloud, and refuses an id the cloud does not hold', async () => {
    cloud = withLocalCloud();
    cloud.write({ 'main.tf': POOL });
    expect((await cloud.tf(['init'])).code).toBe(0);
    expect((await cloud.tf(['apply', '-auto-approve'])).code).toBe(0);
    const id = 'projects/demo-project/locations/europe-west1/clusters/prod/nodePools/web';
    expect((await cloud.tf(['state', 'rm', 'google_container_node_pool.web'])).code).toBe(0);
    const missing = await cloud.tf(['import', 'google_container_node_pool.web', `${id}-nope`]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Cannot import non-existent remote object');
    const imported = await cloud.tf(['import', 'google_container_node_pool.web', id]);
    expect(imported.code, imported.stderr).toBe(0);
    const plan = await cloud.tf(['plan', '-detailed-exitcode']);
    expect(plan.code, plan.stdout).toBe(0);
  });

  it('refuses to destroy a cluster under deletion_protection (the real default), with the real message', async () => {
    cloud = withLocalCloud();
    cloud.write({
      'main.tf': `${GOOGLE_PROVIDER}
resource "google_container_cluster" "c" {
  name               = "prod"
  location           = "europe-west1"
  initial_node_count = 1
}
`,
    });
    expect((await cloud.tf(['init'])).code).toBe(0);
    expect((await cloud.tf(['apply', '-auto-approve'])).code).toBe(0);
    const destroy = await cloud.tf(['destroy', '-auto-approve']);
    expect(destroy.code).toBe(1);
    expect(destroy.stderr).toContain('Cannot destroy cluster because deletion_protection is set to true.');
    expect(Object.keys(cloud.readCloudState().resources['google_container_cluster'] ?? {})).toHaveLength(1);
  });
});
