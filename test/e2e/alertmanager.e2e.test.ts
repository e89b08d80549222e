import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../src/main.js';
import { freePort, waitFor } from '../helpers/net.js';
import { startTestService, tempWorkspace, testConfig } from '../helpers/service.js';
import { RecordingTrigger, seedRegistry } from '../helpers/webhook.js';

const ALERTMANAGER = '/usr/bin/prometheus-alertmanager';
const TOKEN = 'e2e-webhook-token-0123456789';

function alertmanagerConfig(webhookUrl: string): string {
  return `route:
  receiver: ops
  group_by: ['alertname']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: ops
    webhook_configs:
      - url: ${webhookUrl}
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: ${TOKEN}
`;
}

describe('a real Alertmanager delivering to the service with bearer auth', () => {
  let service: Service;
  let am: ChildProcess | undefined;
  let amUrl = '';
  let amLog = '';
  const trigger = new RecordingTrigger();

  beforeAll(async () => {
    if (!existsSync(ALERTMANAGER)) {
      throw new Error(`${ALERTMANAGER} is missing: install the Debian package prometheus-alertmanager (.ci/run does)`);
    }
    const ws = tempWorkspace('infraai-e2e-am-');
    service = await startTestService(testConfig({ WEBHOOK_TOKEN: TOKEN }, ws), { decisionTrigger: trigger });
    seedRegistry(service);
    const address = await service.app.listen({ port: 0, host: '127.0.0.1' });
    const amDir = path.join(ws.root, 'alertmanager');
    mkdirSync(amDir, { recursive: true });
    writeFileSync(path.join(amDir, 'am.yml'), alertmanagerConfig(`${address}/ops/webhook`));
    const amPort = await freePort();
    amUrl = `http://127.0.0.1:${amPort}`;
    am = spawn(
      ALERTMANAGER,
      [
        `--config.file=${path.join(amDir, 'am.yml')}`,
        `--storage.path=${path.join(amDir, 'data')}`,
        `--web.listen-address=127.0.0.1:${amPort}`,
        '--cluster.listen-address=',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    am.stdout?.on('data', (d: Buffer) => {
      amLog += d.toString();
    });
    am.stderr?.on('data', (d: Buffer) => {
      amLog += d.toString();
    });
    await waitFor('Alertmanager to be ready', async () => {
      if (am?.exitCode !== null) throw new Error(`alertmanager exited: ${amLog.slice(-2000)}`);
      const ok = await fetch(`${amUrl}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
      return ok ? true : undefined;
    });
  });

  afterAll(async () => {
    if (am && am.exitCode === null) {
      const exited = new Promise((r) => am?.once('exit', r));
      am.kill('SIGTERM');
      await exited;
    }
    await service?.stop();
  });

  async function postAlert(endsAt: Date): Promise<void> {
    const res = await fetch(`${amUrl}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        {
          labels: { alertname: 'NodePoolCPUHigh', resource_id: 'api_pool', severity: 'critical', cluster: 'e2e' },
          annotations: { summary: 'CPU above 95% on api_pool' },
          startsAt: new Date(Date.now() - 60_000).toISOString(),
          endsAt: endsAt.toISOString(),
          generatorURL: 'http://prometheus.test/graph?g0.expr=up',
        },
      ]),
    });
    expect(res.status).toBe(200);
  }

  const storedAlert = () =>
    service.db.prepare(`SELECT * FROM alerts WHERE alertname = 'NodePoolCPUHigh'`).get() as
      | { fingerprint: string; status: string; lookup_status: string; resource_address: string; incident_id: string }
      | undefined;

  it('stores the alert as firing, matched to its resource, then stores the resolve', async () => {
    await postAlert(new Date(Date.now() + 3_600_000));
    const firing = await waitFor('the firing alert to be stored', () => storedAlert());
    expect(firing).toMatchObject({
      status: 'firing',
      lookup_status: 'matched',
      resource_address: 'terraform_data.api_pool',
    });
    expect(firing.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(trigger.calls).toEqual([firing.incident_id]);
    const notification = service.db.prepare('SELECT format, receiver FROM notifications').get();
    expect(notification).toEqual({ format: 'alertmanager', receiver: 'ops' });

    await postAlert(new Date(Date.now() - 1_000));
    const resolved = await waitFor('the resolve to be stored', () => {
      const a = storedAlert();
      return a?.status === 'resolved' ? a : undefined;
    });
    expect(resolved.fingerprint).toBe(firing.fingerprint);
    expect(service.alerts.getIncident(firing.incident_id)?.status).toBe('resolved');
    expect(amLog).not.toMatch(/status code 401|\b401 Unauthorized\b|Unauthorized/);
  });
});
