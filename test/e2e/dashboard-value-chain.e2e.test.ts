import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareDecision, startWithDeployments, type Harness } from '../helpers/executor-harness.js';
import { buildDashboard, launchChromium, screenshot } from './dashboard-harness.js';

/** The worker count is `var.workers`, set on line 2 of terraform.tfvars: the edit lands there. */
const WORKERS = {
  'main.tf':
    'variable "workers" {\n  type = number\n}\n\nresource "terraform_data" "workers" {\n  count = var.workers\n}\n',
  'terraform.tfvars': '# how many workers\nworkers = 2\n',
};
const CHAIN = 'terraform_data.workers.count ← terraform.tfvars workers (line 2): 2 → 3';

describe('dashboard in headless Chromium: the value chain', () => {
  let h: Harness;
  let url: string;
  let browser: Browser;
  let actionId: string;

  beforeAll(async () => {
    await buildDashboard();
    h = await startWithDeployments({ vars: WORKERS });
    url = await h.service.app.listen({ host: '127.0.0.1', port: 0 });
    const { action } = await prepareDecision(h, {
      runId: 'vars',
      address: 'terraform_data.workers[0]',
      actionType: 'scale_up',
      parameters: { count: 3 },
    });
    expect(action.status).toBe('awaiting_approval');
    actionId = action.id;
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await h?.service.stop();
  });

  it('the approval card shows where the edited value comes from: each step, the tfvars line, 2 → 3', async () => {
    const page = await (await browser.newContext({ viewport: { width: 1366, height: 900 } })).newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url, { waitUntil: 'load' });
    const card = page.locator(`#approvals-list li.approval[data-action-id="${actionId}"]`);
    await card.waitFor({ timeout: 30_000 });
    const chain = card.locator('.value-chains > li.value-chain');
    await chain.first().waitFor({ timeout: 10_000 });
    expect(await chain.count()).toBe(1);
    expect(await chain.first().isVisible()).toBe(true);
    expect(await chain.first().textContent()).toBe(CHAIN);
    const steps = chain.first().locator('code.chain-step');
    expect(await steps.allTextContents()).toEqual(['terraform_data.workers.count', 'terraform.tfvars workers']);
    expect(await steps.nth(1).getAttribute('title')).toBe('terraform.tfvars:2');
    expect(await steps.nth(1).getAttribute('data-kind')).toBe('tfvars');

    // The page shows what GET /ops/actions/:id says.
    const detail = (await (await fetch(`${url}/ops/actions/${actionId}`)).json()) as {
      value_chains: Array<{ text: string }>;
    };
    expect(detail.value_chains.map((c) => c.text)).toEqual([CHAIN]);
    await screenshot(page, 'dashboard-value-chain-desktop.png');
    expect(errors).toEqual([]);
  });
});
