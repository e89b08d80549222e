import { execa } from 'execa';
import { cpSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Service } from '../../src/main.js';
import { startTestService, tempWorkspace, testConfig } from '../helpers/service.js';

export const ROOT = new URL('../../', import.meta.url).pathname;
export const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const DEMO = path.join(ROOT, 'terraform-runs', 'demo');

/** Builds the dashboard exactly as `npm run build` does, so the test serves the shipped files. */
export async function buildDashboard(): Promise<void> {
  await execa('npm', ['run', '--silent', 'build:dashboard'], { cwd: ROOT });
}

/** The real service on 127.0.0.1:<random>, with the offline demo deployment and real Terraform. */
export async function startListening(
  extraEnv: Record<string, string> = {},
): Promise<{ service: Service; url: string }> {
  const ws = tempWorkspace('infraai-e2e-dashboard-');
  cpSync(DEMO, path.join(ws.runsDir, 'demo'), { recursive: true });
  const service = await startTestService(testConfig(extraEnv, ws));
  const url = await service.app.listen({ host: '127.0.0.1', port: 0 });
  return { service, url };
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Bytes of the page's own HTML, JS and CSS as received (uncompressed: the service does not gzip). */
export function countBytes(page: Page, origin: string): { total: () => number; byType: Map<string, number> } {
  const byType = new Map<string, number>();
  page.on('response', (res) => {
    const url = res.url();
    if (!url.startsWith(origin) || (!url.endsWith('/') && !url.includes('/assets/'))) return;
    void res.body().then(
      (b) => {
        const type = url.endsWith('.js') ? 'js' : url.endsWith('.css') ? 'css' : 'html';
        byType.set(type, (byType.get(type) ?? 0) + b.length);
      },
      () => undefined,
    );
  });
  return { total: () => [...byType.values()].reduce((a, b) => a + b, 0), byType };
}

/** First contentful paint as the browser measured it, in ms since navigation start. */
export async function firstContentfulPaint(page: Page): Promise<number | null> {
  return page.evaluate(
    () =>
      new Promise<number | null>((resolve) => {
        const seen = performance.getEntriesByName('first-contentful-paint')[0];
        if (seen) return resolve(seen.startTime);
        new PerformanceObserver((list) => {
          const e = list.getEntriesByName('first-contentful-paint')[0];
          if (e) resolve(e.startTime);
        }).observe({ type: 'paint', buffered: true });
        setTimeout(() => resolve(null), 3000);
      }),
  );
}

export async function screenshot(page: Page, name: string, fullPage = true): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, name);
  if (!fullPage) await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: file, fullPage });
  return file;
}
