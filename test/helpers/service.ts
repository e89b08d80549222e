import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config/config.js';
import { compose, type Overrides, type Service } from '../../src/main.js';

/** A temporary working area: database file and runs dir on real disk. */
export function tempWorkspace(prefix = 'infraai-test-'): { root: string; runsDir: string; dbPath: string } {
  const root = mkdtempSync(path.join(tmpdir(), prefix));
  const runsDir = path.join(root, 'terraform-runs');
  mkdirSync(runsDir, { recursive: true });
  return { root, runsDir, dbPath: path.join(root, 'data', 'infraai.sqlite') };
}

export function testConfig(extra: Record<string, string> = {}, ws = tempWorkspace()): Config {
  return loadConfig({
    DATABASE_PATH: ws.dbPath,
    RUNS_DIR: ws.runsDir,
    LOG_LEVEL: 'silent',
    ...extra,
  });
}

/** The real service graph (real SQLite, real Terraform unless overridden), not listening. */
export async function startTestService(config: Config, overrides: Overrides = {}): Promise<Service> {
  const service = await compose(config, overrides);
  await service.start();
  await service.app.ready();
  return service;
}
