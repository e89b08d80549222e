import { accessSync, constants, statSync } from 'node:fs';
import type { HealthCheck, HealthChecks } from '../http/routes/health.js';
import type { Core } from './core.js';
import type { Domain } from './domain.js';

/** The Terraform check's latest outcome, filled in by start(). */
export interface TerraformStatus {
  version?: string;
  problem?: string;
}

export function checkRunsDir(dir: string): HealthCheck {
  try {
    if (!statSync(dir).isDirectory()) return { ok: false, detail: `${dir} is not a directory` };
    accessSync(dir, constants.R_OK | constants.W_OK);
    return { ok: true, detail: dir };
  } catch (err) {
    return { ok: false, detail: `RUNS_DIR ${dir}: ${(err as Error).message}` };
  }
}

/** Readiness checks shown by GET /health and the dashboard. Each answers quickly. */
export function buildHealthChecks(core: Core, d: Domain, tf: TerraformStatus): HealthChecks {
  const { config, db, terraform } = core;
  return {
    database: () => {
      db.prepare('SELECT 1').get();
      return d.writeHealth.check();
    },
    terraform: () =>
      tf.version !== undefined
        ? { ok: true, detail: `${terraform.bin} ${tf.version}` }
        : { ok: false, detail: tf.problem ?? 'not checked yet' },
    runs_dir: () => checkRunsDir(config.runsDir),
    telegram: () => d.telegram?.health() ?? { ok: true, detail: 'not configured (TELEGRAM_BOT_TOKEN unset)' },
    agent: () => ({
      ok: true,
      detail: d.decisionModel
        ? `gemini (${config.env.GEMINI_MODEL})`
        : 'rules (GEMINI_API_KEY unset: deterministic rules decide)',
    }),
    registry: () => {
      const all = d.registry.listDeployments();
      const failed = all.filter((x) => x.status === 'failed').map((x) => x.runId);
      const detail = `${all.length} deployments${failed.length > 0 ? `; failed: ${failed.join(', ')}` : ''}`;
      return { ok: failed.length === 0, detail };
    },
  };
}
