/**
 * The loop on the local cloud with nothing scripted between the parts: a GKE deployment applied
 * through the local provider → the cloud's /metrics → a real Prometheus with an alerting rule →
 * a real Alertmanager → the BUILT service (rules agent, PROMETHEUS_URL) → REST approval → apply
 * through the local provider → utilisation falls → Prometheus empties → effective. And the case
 * where the load outgrows the new capacity → ineffective, with the proposed rollback on /ops.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startExporterProcess, startPrometheus, type Proc } from '../../cloud/demo/processes.js';
import { GOOGLE_PROVIDER, withLocalCloud, type LocalCloud } from '../helpers/local-cloud.js';
import { startStack, waitFor, type Stack } from './stack.js';

const RUN = 'gke-shop';
const HOLD_SECONDS = 2;
const WINDOW_SECONDS = 25;

const MAIN_TF = `${GOOGLE_PROVIDER}
resource "google_container_cluster" "shop" {
  name                     = "shop"
  location                 = "europe-west1"
  initial_node_count       = 1
  remove_default_node_pool = true
  deletion_protection      = false
}

resource "google_container_node_pool" "web" {
  name       = "web"
  cluster    = google_container_cluster.shop.name
  location   = "europe-west1"
  node_count = 2
  node_config {
    machine_type = "e2-standard-4"
  }
}

resource "google_container_node_pool" "batch" {
  name       = "batch"
  cluster    = google_container_cluster.shop.name
  location   = "europe-west1"
  node_count = 2
  node_config {
    machine_type = "e2-standard-4"
  }
}
`;

// keep_firing_for holds the alert in Alertmanager 20 s after the expression empties, so the
// service's own query of the expression (hold 2 s) is what decides, before the resolve arrives.
const RULES = `groups:
  - name: localcloud
    rules:
      - alert: NodePoolCPUHigh
        expr: localcloud_node_pool_cpu_utilization > 0.8
        for: 0s
        keep_firing_for: 20s
        labels:
          severity: warning
        annotations:
          summary: 'node pool {{ $labels.pool }} of {{ $labels.cluster }} at {{ $value | humanizePercentage }} CPU'
`;

interface ActionItem {
  id: string;
  status: string;
  target_address: string;
  action_type: string;
  decision_id: string;
  status_reason: string | null;
}

describe('the loop on the local cloud, driven by a real Prometheus', () => {
  let cloud: LocalCloud;
  let stack: Stack;
  let exporter: Proc;
  let prometheus: Proc;
  let loadPath: string;
  let runDir: string;

  const setLoad = (demand: Record<string, number>) => {
    writeFileSync(`${loadPath}.tmp`, JSON.stringify({ demand }));
    renameSync(`${loadPath}.tmp`, loadPath);
  };
  const nodeCount = (pool: string) => {
    const pools = cloud.readCloudState().resources['google_container_node_pool'] ?? {};
    const p = Object.values(pools).find((x) => x['name'] === pool);
    return p?.['node_count'];
  };
  const actions = async () =>
    (await stack.api<{ items: ActionItem[] }>(`/ops/actions?run_id=${RUN}&limit=50`)).body.items;
  const actionOn = (address: string, statuses: string[], actionType = 'scale_up') =>
    waitFor(
      `a ${actionType} action on ${address} in ${statuses.join('|')}`,
      async () => {
        const a = (await actions()).find((x) => x.target_address === address && x.action_type === actionType);
        if (a && ['prepare_failed', 'failed', 'rolled_back', 'blocked_by_policy'].includes(a.status))
          throw new Error(
            `action ${a.id} ended ${a.status}: ${a.status_reason ?? ''}\n${stack.serviceLog.text.slice(-3000)}`,
          );
        return a && statuses.includes(a.status) ? a : undefined;
      },
      120_000,
    );
  const detail = async (id: string) => (await stack.api<Record<string, any>>(`/ops/actions/${id}`)).body;
  const approve = async (id: string) => {
    const r = await stack.api(`/ops/approve/${id}`, { method: 'POST', body: { actor: 'sre-e2e', reason: 'go' } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  };

  beforeAll(async () => {
    cloud = withLocalCloud();
    loadPath = path.join(cloud.dir, 'load.json');
    setLoad({ web: 1.8 }); // 0.9 of 2 nodes: above the rule's 0.8
    const promPort = await freePort();
    stack = await startStack({
      gemini: false,
      runId: RUN,
      files: { 'main.tf': MAIN_TF },
      verifyWindowSeconds: WINDOW_SECONDS,
      beforeService: async (dir) => {
        runDir = dir;
        for (const cmd of [['init'], ['apply', '-auto-approve']]) {
          const r = await cloud.tf(cmd, { cwd: dir });
          if (r.code !== 0) throw new Error(`terraform ${cmd[0]}: ${r.stderr}`);
        }
      },
      env: {
        ...cloud.env,
        PROMETHEUS_URL: `http://127.0.0.1:${promPort}`,
        PROMETHEUS_HOLD_SECONDS: String(HOLD_SECONDS),
      },
    });
    exporter = await startExporterProcess({ statePath: cloud.stateFile, loadPath });
    prometheus = await startPrometheus({
      dir: path.join(stack.root, 'prometheus'),
      exporter: `127.0.0.1:${exporter.port}`,
      alertmanager: new URL(stack.amUrl).host,
      rules: RULES,
      port: promPort,
    });
  }, 240_000);

  afterAll(async () => {
    await prometheus?.stop();
    await exporter?.stop();
    expect(await stack?.stop()).toBe(0);
    cloud?.cleanup();
  });

  it('load above the rule → approved scale-up 2→3 through the local provider → Prometheus empties → effective', async () => {
    expect(nodeCount('web')).toBe(2);
    const pending = await actionOn('google_container_node_pool.web', ['awaiting_approval']);
    const decision = (await stack.api<Record<string, any>>(`/ops/decisions/${pending.decision_id}`)).body;
    expect(decision.decision).toMatchObject({
      source: 'rules',
      action_type: 'scale_up',
      parameters: { node_count: 3 },
    });
    // The alert came from Prometheus via Alertmanager, labelled with the pool's name and carrying its expression.
    const alerts = (await stack.api<{ items: Array<Record<string, any>> }>('/ops/alerts/active')).body.items;
    const alert = alerts.find((a) => a.labels?.pool === 'web');
    expect(alert?.labels).toMatchObject({ alertname: 'NodePoolCPUHigh', cluster: 'shop', pool: 'web' });
    expect(new URL(alert?.generator_url ?? 'http://x').searchParams.get('g0.expr')).toBe(
      'localcloud_node_pool_cpu_utilization > 0.8',
    );
    expect(nodeCount('web')).toBe(2);

    await approve(pending.id);
    const done = await actionOn('google_container_node_pool.web', ['effective', 'ineffective']);
    expect(done.status).toBe('effective');
    expect(readFileSync(path.join(runDir, 'main.tf'), 'utf8')).toMatch(/name\s+= "web"[\s\S]*?node_count = 3/);
    expect(nodeCount('web')).toBe(3);
    const d = await detail(done.id);
    expect(d.result.verification).toMatchObject({
      outcome: 'effective',
      decided_by: 'prometheus',
      prometheus: { hold_seconds: HOLD_SECONDS, last: 'empty' },
    });
    expect(d.status_history.map((h: { status: string }) => h.status).slice(-3)).toEqual([
      'applying',
      'applied',
      'effective',
    ]);
    expect(d.ledger.find((e: any) => e.kind === 'verification.effective')?.data.decided_by).toBe('prometheus');

    // Then Prometheus resolves the alert and Alertmanager delivers the resolve.
    await waitFor(
      'the resolve from Alertmanager',
      async () => {
        const active = (await stack.api<{ items: Array<Record<string, any>> }>('/ops/alerts/active')).body.items;
        return active.some((a) => a.labels?.pool === 'web') ? undefined : true;
      },
      90_000,
    );
    expect((await detail(done.id)).status).toBe('effective');
  }, 300_000);

  it('load raised beyond the new capacity → still firing at the deadline → ineffective, rollback proposed on /ops', async () => {
    setLoad({ web: 1.0, batch: 1.8 });
    const pending = await actionOn('google_container_node_pool.batch', ['awaiting_approval']);
    // The load grows faster than the change: 5 nodes of work for the 3 the action gives.
    setLoad({ web: 1.0, batch: 5 });
    await approve(pending.id);
    const done = await actionOn('google_container_node_pool.batch', ['effective', 'ineffective']);
    expect(done.status).toBe('ineffective');
    expect(nodeCount('batch')).toBe(3);
    const d = await detail(done.id);
    expect(d.result.verification).toMatchObject({ outcome: 'ineffective', decided_by: 'prometheus' });
    expect(d.result.verification.prometheus.last).toBe('firing');
    expect(d.status_reason).toContain('still firing');

    // What verification proposes next, as a human sees it: a rollback decision and its action
    // waiting for approval, with the plan putting the pool back to 2 nodes.
    const rollbackId: string = d.result.verification.rollback_decision_id;
    expect(rollbackId).toMatch(/^dec_/);
    const rd = (await stack.api<Record<string, any>>(`/ops/decisions/${rollbackId}`)).body;
    expect(rd.decision).toMatchObject({ source: 'verification', action_type: 'rollback' });
    expect(rd.decision.reason).toContain(`action ${done.id} was ineffective`);
    const rollback = await actionOn('google_container_node_pool.batch', ['awaiting_approval'], 'rollback');
    expect(rollback.decision_id).toBe(rollbackId);
    expect((await detail(rollback.id)).diff).toMatch(/-\s*node_count = 3[\s\S]*\+\s*node_count = 2/);
    // Nothing is rolled back without approval.
    expect(nodeCount('batch')).toBe(3);
  }, 300_000);
});
