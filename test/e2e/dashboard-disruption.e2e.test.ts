import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../src/main.js';
import { buildDashboard, launchChromium, screenshot, startListening } from './dashboard-harness.js';

/** The demo VM is down: the rules agent restarts it, which is a `-replace` of the resource. */
const VM_DOWN = {
  resource_id: 'vm-1',
  metric: 'instance_down',
  value: 1,
  threshold: 0,
  alertname: 'InstanceDown',
  severity: 'critical',
};

describe('dashboard in headless Chromium: disruptive changes', () => {
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

  it('a pending restart that replaces the resource carries a visible "disruptive" badge and its sentence', async () => {
    const page = await (await browser.newContext({ viewport: { width: 1366, height: 900 } })).newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url, { waitUntil: 'load' });
    await page.locator('#live-mode[data-mode="live"]').waitFor();
    const res = await fetch(`${url}/ops/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(VM_DOWN),
    });
    expect(res.status).toBe(202);

    const card = page.locator('#approvals-list li.approval', { hasText: 'terraform_data.vm' });
    await card.first().waitFor({ timeout: 60_000 });
    const badge = card.first().locator('.plan .disruption-badge[data-disruption="replace"]');
    await badge.waitFor({ timeout: 10_000 });
    expect(await badge.isVisible()).toBe(true);
    expect(await badge.textContent()).toBe('⚠ disruptive: replaces');
    await expect
      .poll(() => card.first().locator('.plan .disruption-note').textContent())
      .toBe('destroys and recreates the resource on request (-replace)');
    // The badge sits on the line of the resource it concerns.
    const line = card.first().locator('.plan > li', { has: page.locator('.disruption-badge') });
    expect(await line.locator('code').first().textContent()).toBe('terraform_data.vm');

    // The same fields on the REST answer the page read.
    const id = await card.first().getAttribute('data-action-id');
    const detail = (await (await fetch(`${url}/ops/actions/${id}`)).json()) as {
      plan_summary: Array<{ address: string; disruption?: string; warning?: string }>;
    };
    expect(detail.plan_summary).toContainEqual(
      expect.objectContaining({
        address: 'terraform_data.vm',
        disruption: 'replace',
        warning: 'destroys and recreates the resource on request (-replace)',
      }),
    );
    await screenshot(page, 'dashboard-disruption-desktop.png');
    expect(errors).toEqual([]);
  });
});
