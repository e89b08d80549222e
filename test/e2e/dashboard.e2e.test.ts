import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../src/main.js';
import { parseExposition, sampleValue } from '../helpers/ops-api.js';
import {
  buildDashboard,
  countBytes,
  firstContentfulPaint,
  launchChromium,
  screenshot,
  startListening,
} from './dashboard-harness.js';

/** A firing alert for the demo's node pool, in the simple webhook form. */
const POOL_ALERT = {
  resource_id: 'web-pool',
  metric: 'cpu_utilisation',
  value: 0.97,
  threshold: 0.85,
  alertname: 'NodePoolSaturated',
  severity: 'critical',
  annotations: { summary: 'CPU above 85% on pool web-pool' },
};

describe('dashboard in headless Chromium', () => {
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

  it('shows an alert and its pending action live, approves it, watches it apply; fits 390 px', async () => {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, colorScheme: 'dark' });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    const bytes = countBytes(page, url);

    await page.goto(url, { waitUntil: 'load' });
    const fcp = await firstContentfulPaint(page);
    await page.locator('#live-mode[data-mode="live"]').waitFor();
    await page.locator('.deployments li', { hasText: 'demo' }).waitFor();
    await page.locator('#health-list .check-name', { hasText: /^Terraform$/ }).waitFor();
    await expect.poll(() => page.locator('[data-figure="alerts_received"] .figure-value').textContent()).toBe('0');
    await page.locator('#alerts-list', { hasText: 'No alerts firing.' }).waitFor();

    // Marks this document: a reload would lose the mark.
    await page.evaluate(() => {
      (window as unknown as { __mark: number }).__mark = 42;
    });
    const res = await fetch(`${url}/ops/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(POOL_ALERT),
    });
    expect(res.status).toBe(202);

    // The alert, then the pending action (rules agent → executor plan) arrive without a reload.
    const alert = page.locator('#alerts-list li.alert', { hasText: 'NodePoolSaturated' });
    await alert.waitFor({ timeout: 10_000 });
    await expect.poll(() => alert.textContent()).toContain('web-pool');
    await expect.poll(() => page.locator('[data-figure="alerts_received"] .figure-value').textContent()).toBe('1');
    const pending = page.locator('#approvals-list li.approval');
    await pending.first().waitFor({ timeout: 60_000 });
    await expect
      .poll(() => page.locator('#announcer').textContent(), { timeout: 10_000 })
      .toMatch(/waiting for your approval/);
    const actionId = await pending.first().getAttribute('data-action-id');
    expect(actionId).toBeTruthy();
    await expect.poll(() => pending.first().locator('.confidence').textContent()).toMatch(/\d+ % confident/);
    await pending.first().locator('pre.diff .add').first().waitFor();
    await pending.first().locator('.plan li').first().waitFor();
    await page.fill('#resource-search', 'web-pool');
    await page.locator('#resource-results td', { hasText: 'terraform_data.pool[0]' }).waitFor();
    await screenshot(page, 'dashboard-pending-desktop.png');
    await page.setViewportSize({ width: 390, height: 844 });
    // Nothing may force horizontal scrolling of the page itself at phone width (the diff scrolls inside).
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot(page, 'dashboard-pending-390.png', false);
    await page.setViewportSize({ width: 1366, height: 900 });

    await pending
      .first()
      .getByRole('button', { name: /^Approve / })
      .click();
    const done = page.locator(`#timeline-list li.action[data-action-id="${actionId}"]`);
    await done.waitFor({ timeout: 120_000 });
    await expect
      .poll(() => done.getAttribute('data-status'), { timeout: 120_000 })
      .toMatch(/^(applied|effective|ineffective)$/);
    await page.locator('#approvals-list', { hasText: 'Nothing is waiting for approval.' }).waitFor();
    await expect.poll(() => page.locator('[data-figure="applied"] .figure-value').textContent()).toBe('1');
    expect(await page.evaluate(() => (window as unknown as { __mark?: number }).__mark)).toBe(42);
    const approvals = (await (await fetch(`${url}/ops/actions/${actionId}`)).json()) as {
      approvals: Array<{ channel: string; outcome: string }>;
    };
    expect(approvals.approvals).toEqual([expect.objectContaining({ channel: 'dashboard', outcome: 'accepted' })]);
    // The same flow, as Prometheus sees it.
    const metrics = parseExposition(await (await fetch(`${url}/metrics`)).text());
    expect(
      sampleValue(metrics, 'infraai_approvals_total', {
        verdict: 'approve',
        outcome: 'accepted',
        channel: 'dashboard',
      }),
    ).toBe(1);
    expect(sampleValue(metrics, 'infraai_decisions_total', { source: 'rules' })).toBe(1);
    expect(sampleValue(metrics, 'infraai_actions_total', { outcome: 'applied' })).toBe(1);
    expect(
      sampleValue(metrics, 'infraai_terraform_command_duration_seconds_count', { subcommand: 'apply' }),
    ).toBeGreaterThanOrEqual(1);

    // Terraform output on demand.
    await done.locator('summary', { hasText: 'Terraform output' }).click();
    await done.locator('pre.tf-output').first().waitFor();
    await done.locator('summary', { hasText: 'Status history' }).click();
    await done.locator('ol.history li', { hasText: 'applied' }).first().waitFor();

    const desktop = await screenshot(page, 'dashboard-applied-desktop.png');
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    const phone = await screenshot(page, 'dashboard-applied-390.png');

    const total = bytes.total();
    console.log(
      `[dashboard] first contentful paint: ${fcp?.toFixed(0) ?? 'n/a'} ms; bytes shipped: ${total} ` +
        `(${[...bytes.byType].map(([k, v]) => `${k} ${v}`).join(', ')}); screenshots: ${desktop}, ${phone}`,
    );
    expect(total).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('with API_TOKEN set: asks for the token, says when a typed one is wrong, then reads live and rejects through the dashboard channel', async () => {
    const secured = await startListening({ API_TOKEN: 'e2e-secret-token' });
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
    try {
      const page = await context.newPage();
      await page.goto(secured.url);
      await page.locator('#token-form').waitFor({ state: 'visible' });
      const res = await fetch(`${secured.url}/ops/webhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(POOL_ALERT),
      });
      expect(res.status).toBe(202);
      // Every read needs the token: the page says so instead of showing empty lists, and the live
      // stream waits for it instead of polling with failing requests.
      await page.locator('#approvals-list', { hasText: 'Enter the API token' }).waitFor({ timeout: 60_000 });
      await page.locator('#alerts-list', { hasText: 'Enter the API token' }).waitFor();
      await page.locator('#live-mode[data-mode="locked"]').waitFor();
      // A wrong token is refused by the server, and the page says so (not "Token set").
      await page.getByLabel('API token').fill('not-the-token');
      await page.getByRole('button', { name: 'Use token' }).click();
      await page.locator('#token-state', { hasText: 'Token rejected' }).waitFor();
      expect(await page.evaluate(() => sessionStorage.getItem('infraai.apiToken'))).toBeNull();
      await page.getByLabel('API token').fill('e2e-secret-token');
      await page.getByRole('button', { name: 'Use token' }).click();
      await page.locator('#token-state', { hasText: 'Token accepted' }).waitFor();
      // The event stream now carries the token too (fetch, not EventSource).
      await page.locator('#live-mode[data-mode="live"]').waitFor({ timeout: 30_000 });
      await page.locator('#alerts-list li.alert').first().waitFor();
      const card = page.locator('#approvals-list li.approval').first();
      await card.waitFor({ timeout: 60_000 });
      const actionId = await card.getAttribute('data-action-id');
      await card.getByRole('button', { name: /^Reject / }).click();
      const row = page.locator(`#timeline-list li.action[data-action-id="${actionId}"]`);
      await expect.poll(() => row.getAttribute('data-status'), { timeout: 30_000 }).toBe('rejected');
      // The token stays in sessionStorage only, and never appears in the page.
      expect(await page.evaluate(() => sessionStorage.getItem('infraai.apiToken'))).toBe('e2e-secret-token');
      expect(await page.content()).not.toContain('e2e-secret-token');
      await screenshot(page, 'dashboard-token-390.png', false);
    } finally {
      await context.close();
      await secured.service.stop();
    }
  });
});
