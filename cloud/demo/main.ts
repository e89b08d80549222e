/**
 * `npm run demo:cloud`: the whole loop on the local cloud, on loopback. Installs the local provider
 * into data/cloud-demo/, applies a demo GKE deployment (cluster + node pool "web", node_count 2),
 * then starts the metrics exporter, Prometheus (alert NodePoolCPUHigh), Alertmanager and the
 * service wired together, and prints how to drive it. Ctrl-C stops every process it started.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { installLocalCloud } from '../provider/install.js';
import { DEMO_MAIN_TF, DEMO_RULES } from './demo-files.js';
import {
  spawnLogged,
  startAlertmanager,
  startExporterProcess,
  startPrometheus,
  stopChild,
  waitReady,
  type Proc,
} from './processes.js';

const root = process.cwd();
const dataDir = path.resolve(root, 'data', 'cloud-demo');
const runsDir = path.join(dataDir, 'terraform-runs');
const runDir = path.join(runsDir, 'gke-demo');
const statePath = path.join(dataDir, 'cloud-state.json');
const loadPath = path.join(dataDir, 'load.json');
const port = (name: string, def: number) => Number(process.env[name] ?? def);
const PORTS = {
  service: port('DEMO_SERVICE_PORT', 8081),
  exporter: port('DEMO_EXPORTER_PORT', 9464),
  prometheus: port('DEMO_PROMETHEUS_PORT', 9090),
  alertmanager: port('DEMO_ALERTMANAGER_PORT', 9093),
};

const running: Proc[] = [];
let stopping = false;

async function stopAll(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    // Reverse order: Alertmanager stops sending before the service goes.
    for (const p of running.reverse()) await p.stop();
  }
  process.exit(code);
}

function terraform(args: string[], env: NodeJS.ProcessEnv): void {
  execFileSync('terraform', [...args, '-no-color', '-input=false'], {
    cwd: runDir,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function main(): Promise<void> {
  mkdirSync(runDir, { recursive: true });
  const cloud = installLocalCloud(path.join(dataDir, 'install'));
  const tfEnv = {
    ...process.env,
    ...cloud.env,
    LOCAL_CLOUD_STATE: statePath,
    TF_IN_AUTOMATION: '1',
    CHECKPOINT_DISABLE: '1',
  };
  if (!existsSync(path.join(runDir, 'main.tf'))) writeFileSync(path.join(runDir, 'main.tf'), DEMO_MAIN_TF);
  if (!existsSync(loadPath)) writeFileSync(loadPath, JSON.stringify({ demand: { web: 1.0 } }, null, 2) + '\n');
  if (!existsSync(path.join(runDir, 'terraform.tfstate'))) {
    process.stdout.write('demo: terraform init + apply of data/cloud-demo/terraform-runs/gke-demo (local cloud)…\n');
    terraform(['init'], tfEnv);
    terraform(['apply', '-auto-approve'], tfEnv);
  }

  running.push(await startExporterProcess({ statePath, loadPath, port: PORTS.exporter }));
  running.push(
    await startPrometheus({
      dir: path.join(dataDir, 'prometheus'),
      exporter: `127.0.0.1:${PORTS.exporter}`,
      alertmanager: `127.0.0.1:${PORTS.alertmanager}`,
      rules: DEMO_RULES,
      port: PORTS.prometheus,
      intervalSeconds: 2,
    }),
  );
  const token = randomBytes(16).toString('hex');
  const url = `http://127.0.0.1:${PORTS.service}`;
  const log = { text: '' };
  const cli = new URL('../../src/cli.js', import.meta.url).pathname;
  const child = spawnLogged(
    process.execPath,
    [cli, 'serve'],
    {
      ...tfEnv,
      PORT: String(PORTS.service),
      HOST: '127.0.0.1',
      DATABASE_PATH: path.join(dataDir, 'infraai.sqlite'),
      RUNS_DIR: runsDir,
      WEBHOOK_TOKEN: token,
      PROMETHEUS_URL: `http://127.0.0.1:${PORTS.prometheus}`,
      PROMETHEUS_HOLD_SECONDS: process.env.PROMETHEUS_HOLD_SECONDS ?? '10',
      VERIFY_WINDOW_SECONDS: process.env.VERIFY_WINDOW_SECONDS ?? '300',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    },
    log,
  );
  const service: Proc = { url, port: PORTS.service, log, child, stop: () => stopChild(child) };
  running.push(service);
  await waitReady('the service', `${url}/health`, service, 120_000);
  running.push(
    await startAlertmanager({
      dir: path.join(dataDir, 'alertmanager'),
      webhookUrl: `${url}/ops/webhook`,
      token,
      groupWait: '2s',
      groupInterval: '5s',
      port: PORTS.alertmanager,
    }),
  );
  for (const p of running) {
    p.child.once('exit', (code) => {
      if (stopping) return;
      process.stderr.write(`demo: a process exited (${code}); its last output:\n${p.log.text.slice(-3000)}\n`);
      void stopAll(1);
    });
  }
  process.stdout.write(instructions(url));
}

function instructions(url: string): string {
  const rel = path.relative(root, loadPath);
  return `
The loop on a local cloud is running (Ctrl-C stops everything):
  dashboard       ${url}/
  metrics         http://127.0.0.1:${PORTS.exporter}/metrics
  Prometheus      http://127.0.0.1:${PORTS.prometheus}/alerts
  Alertmanager    http://127.0.0.1:${PORTS.alertmanager}/

Fire the alert: raise the node pool's CPU demand above 80 % of its 2 nodes
  echo '{"demand":{"web":1.9}}' > ${rel}
Within ~10 s Prometheus fires NodePoolCPUHigh, Alertmanager delivers it and the rules agent
proposes node_count 2 → 3. Approve it on the dashboard, or:
  id=$(curl -s '${url}/ops/actions?status=awaiting_approval' | jq -r '.items[0].id')
  curl -s -XPOST ${url}/ops/approve/$id -H 'content-type: application/json' -d '{"actor":"me"}'
The apply raises node_count through the local provider, utilisation falls to 0.63, and once
Prometheus has answered empty for PROMETHEUS_HOLD_SECONDS the action is effective:
  curl -s ${url}/ops/actions/$id | jq '{status, verification: .result.verification}'
To see an ineffective action instead, raise the demand beyond 3 nodes (e.g. 5) after approving.
Start over: rm -rf data/cloud-demo
`;
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void stopAll(0));
main().catch((err: unknown) => {
  process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
  void stopAll(1);
});
