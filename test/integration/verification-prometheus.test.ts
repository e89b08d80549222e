/**
 * Verification's second signal against a REAL Prometheus (Debian's /usr/bin/prometheus) scraping
 * the local cloud's exporter: the service's PromQL query of the alert's own expression decides.
 */
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startExporter, type Exporter } from '../../cloud/metrics/exporter.js';
import { freePort, startPrometheus, type Proc } from '../../cloud/demo/processes.js';
import { approve, poolDeployment, startWithDeployments, type Harness } from '../helpers/executor-harness.js';
import { waitFor } from '../helpers/net.js';

const EXPR = 'localcloud_node_pool_cpu_utilization{pool="web"} > 0.8';
const STATE = {
  version: 1,
  resources: {
    google_container_node_pool: {
      'projects/p/locations/europe-west1/clusters/shop/nodePools/web': {
        name: 'web',
        cluster: 'projects/p/locations/europe-west1/clusters/shop',
        location: 'europe-west1',
        node_count: 2,
      },
    },
  },
};

function writeJson(file: string, value: unknown): void {
  writeFileSync(`${file}.tmp`, JSON.stringify(value));
  renameSync(`${file}.tmp`, file);
}

/** An Alertmanager v4 notification as Prometheus' alert produces it: the expression rides in generatorURL. */
function notification(promUrl: string, status: 'firing' | 'resolved') {
  const alert = {
    status,
    labels: { alertname: 'NodePoolCPUHigh', resource_id: 'terraform_data.pool[0]', severity: 'warning' },
    annotations: { summary: 'node pool web above 80 % CPU' },
    startsAt: new Date(Date.now() - 60_000).toISOString(),
    endsAt: status === 'firing' ? '0001-01-01T00:00:00Z' : new Date().toISOString(),
    generatorURL: `${promUrl}/graph?g0.expr=${encodeURIComponent(EXPR)}&g0.tab=1`,
    fingerprint: 'a1b2c3d4e5f60718',
  };
  return {
    receiver: 'infraai',
    status,
    alerts: [alert],
    groupLabels: { alertname: 'NodePoolCPUHigh' },
    commonLabels: alert.labels,
    commonAnnotations: alert.annotations,
    externalURL: 'http://127.0.0.1:9093',
    version: '4',
    groupKey: '{}:{alertname="NodePoolCPUHigh"}',
    truncatedAlerts: 0,
  };
}

async function alertAndApply(h: Harness, promUrl: string) {
  const res = await h.service.app.inject({
    method: 'POST',
    url: '/ops/webhook',
    payload: notification(promUrl, 'firing'),
  });
  expect(res.statusCode, res.body).toBeLessThan(300);
  await h.service.decisions.idle();
  await h.service.executor.idle();
  const waiting = h.service.actions.list({ status: 'awaiting_approval', limit: 10, offset: 0 }).items;
  expect(waiting).toHaveLength(1);
  expect(await approve(h, waiting[0]!.id, waiting[0]!.planSha256 ?? undefined)).toEqual({
    ok: true,
    status: 'approved',
  });
  expect(h.service.actions.get(waiting[0]!.id)!.status).toBe('applied');
  return waiting[0]!.id;
}

async function detail(h: Harness, id: string) {
  const res = await h.service.app.inject({ method: 'GET', url: `/ops/actions/${id}` });
  return res.json() as { status: string; result: { verification?: Record<string, any> }; ledger: any[] };
}

async function until(h: Harness, id: string, statuses: string[]) {
  return waitFor(
    `action ${id} in ${statuses.join('|')}`,
    async () => {
      const d = await detail(h, id);
      return statuses.includes(d.status) ? d : undefined;
    },
    60_000,
  );
}

describe('verification asks a real Prometheus for the alert expression', () => {
  let dir: string;
  let loadPath: string;
  let exporter: Exporter;
  let prometheus: Proc;
  let h: Harness | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'verify-prom-'));
    const statePath = path.join(dir, 'cloud-state.json');
    loadPath = path.join(dir, 'load.json');
    writeJson(statePath, STATE);
    exporter = await startExporter({ port: 0, statePath, loadPath });
    prometheus = await startPrometheus({
      dir: path.join(dir, 'prometheus'),
      exporter: `127.0.0.1:${exporter.port}`,
      rules: 'groups: []\n',
    });
  }, 120_000);
  afterEach(async () => {
    await h?.service.stop();
    h = undefined;
  });
  afterAll(async () => {
    await prometheus?.stop();
    await exporter?.close();
  });

  const series = async () => {
    const r = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(EXPR)}`);
    return ((await r.json()) as { data: { result: unknown[] } }).data.result.length;
  };

  it('the expression answers empty for the hold time → effective, decided_by prometheus (no resolve from Alertmanager)', async () => {
    writeJson(loadPath, { demand: { web: 1.9 } });
    await waitFor('Prometheus to see the pool saturated', async () => ((await series()) === 1 ? true : undefined));
    h = await startWithDeployments(
      { web: poolDeployment() },
      { PROMETHEUS_URL: prometheus.url, PROMETHEUS_HOLD_SECONDS: '2', VERIFY_WINDOW_SECONDS: '120' },
    );
    const id = await alertAndApply(h, prometheus.url);
    // Still saturated: Prometheus keeps returning the series, nothing is decided.
    await new Promise((r) => setTimeout(r, 3_000));
    expect((await detail(h, id)).status).toBe('applied');

    writeJson(loadPath, { demand: { web: 1.0 } });
    const done = await until(h, id, ['effective', 'ineffective']);
    expect(done.status).toBe('effective');
    expect(done.result.verification).toMatchObject({
      outcome: 'effective',
      decided_by: 'prometheus',
      prometheus: { expressions: [EXPR], hold_seconds: 2, last: 'empty' },
    });
    const entry = done.ledger.find((e) => e.kind === 'verification.effective');
    expect(entry.data.decided_by).toBe('prometheus');
    // Alertmanager never said resolved: the alert is still firing in the service's view.
    const alerts = await h.service.app.inject({ method: 'GET', url: '/ops/alerts/active' });
    expect(JSON.stringify(alerts.json())).toContain('a1b2c3d4e5f60718');
  }, 180_000);

  it('Prometheus unreachable: logged, never a recovery → ineffective at the deadline, decided_by alertmanager', async () => {
    writeJson(loadPath, { demand: { web: 1.9 } });
    const closed = await freePort();
    h = await startWithDeployments(
      { web: poolDeployment() },
      { PROMETHEUS_URL: `http://127.0.0.1:${closed}`, PROMETHEUS_HOLD_SECONDS: '1', VERIFY_WINDOW_SECONDS: '4' },
    );
    const id = await alertAndApply(h, prometheus.url);
    const done = await until(h, id, ['effective', 'ineffective']);
    expect(done.status).toBe('ineffective');
    expect(done.result.verification).toMatchObject({
      decided_by: 'alertmanager',
      prometheus: { last: 'error', empty_since: null },
    });
    expect(done.result.verification!.prometheus.last_error).toContain(`127.0.0.1:${closed}`);
    expect(done.result.verification!.rollback_decision_id).toMatch(/^dec_/);
    const health = await h.service.app.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(200);
  }, 180_000);
});
