import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../src/main.js';
import { buildDashboard, launchChromium, screenshot, startListening } from './dashboard-harness.js';

/** Two incidents on the demo deployment at once: its node pool and its VM both run hot. */
const ALERTS = [
  {
    resource_id: 'web-pool',
    metric: 'cpu_utilisation',
    value: 0.97,
    threshold: 0.85,
    alertname: 'NodePoolSaturated',
    severity: 'critical',
  },
  {
    resource_id: 'vm-1',
    metric: 'cpu_utilisation',
    value: 0.95,
    threshold: 0.85,
    alertname: 'VmCpuHigh',
    severity: 'warning',
  },
];

describe('dashboard in headless Chromium: queued actions', () => {
  let service: Service;
  let url: string;
  let browser: Browser;

  beforeAll(async () => {
    await buildDashboard();
    ({ service, url } = await startListening());
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await service?.stop();
  });

  it('shows the second action of a deployment as queued behind the first, and as a request once the first is rejected', async () => {
    const page = await (await browser.newContext({ viewport: { width: 1366, height: 900 } })).newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url, { waitUntil: 'load' });
    await page.locator('#live-mode[data-mode="live"]').waitFor();
    for (const alert of ALERTS) {
      const res = await fetch(`${url}/ops/webhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alert),
      });
      expect(res.status).toBe(202);
    }
    const pending = page.locator('#approvals-list li.approval');
    const queued = page.locator('#approvals-list li.queued');
    await pending.first().waitFor({ timeout: 60_000 });
    await queued.first().waitFor({ timeout: 60_000 });
    const firstId = await pending.first().getAttribute('data-action-id');
    const queuedId = await queued.first().getAttribute('data-action-id');
    expect(firstId && queuedId && firstId !== queuedId).toBeTruthy();
    await expect.poll(() => queued.first().textContent()).toMatch(new RegExp(`queued #1 on demo .* behind ${firstId}`));
    await screenshot(page, 'dashboard-queued-desktop.png');

    await pending
      .first()
      .getByRole('button', { name: /^Reject / })
      .click();
    await page.locator(`#approvals-list li.approval[data-action-id="${queuedId}"]`).waitFor({ timeout: 60_000 });
    await expect.poll(() => queued.count()).toBe(0);
    const detail = (await (await fetch(`${url}/ops/actions/${queuedId}`)).json()) as {
      status: string;
      queue_position: number | null;
    };
    expect(detail).toMatchObject({ status: 'awaiting_approval', queue_position: null });
    expect(errors).toEqual([]);
  });
});
