import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { isAppError } from '../shared/errors.js';
import { resolveRunDir } from './run-id.js';

export interface DiscoveredDeployment {
  runId: string;
  dir: string;
}

export interface RefusedEntry {
  name: string;
  reason: string;
}

/** True when the directory holds Terraform configuration (`*.tf` or `*.tf.json`). */
export function hasTerraformConfig(dir: string): boolean {
  try {
    return readdirSync(dir).some((f) => f.endsWith('.tf') || f.endsWith('.tf.json'));
  } catch {
    return false;
  }
}

/**
 * Lists deployments under RUNS_DIR: every non-hidden directory with Terraform configuration.
 * Names that are not valid run_ids or that resolve outside RUNS_DIR are refused, not followed.
 */
export function discoverDeployments(runsDir: string): { deployments: DiscoveredDeployment[]; refused: RefusedEntry[] } {
  const deployments: DiscoveredDeployment[] = [];
  const refused: RefusedEntry[] = [];
  if (!existsSync(runsDir)) return { deployments, refused };
  for (const entry of readdirSync(runsDir, { withFileTypes: true })) {
    // Dot-dirs hold the service's own working data (.infraai staging copies), never deployments.
    if (entry.name.startsWith('.')) continue;
    if (!entry.isDirectory() && !entry.isSymbolicLink()) continue;
    let dir: string;
    try {
      dir = resolveRunDir(runsDir, entry.name);
    } catch (err) {
      if (isAppError(err)) refused.push({ name: entry.name, reason: err.message });
      continue;
    }
    if (hasTerraformConfig(dir)) deployments.push({ runId: entry.name, dir });
  }
  deployments.sort((a, b) => (a.runId < b.runId ? -1 : 1));
  return { deployments, refused };
}

export function isInitialised(dir: string): boolean {
  return existsSync(path.join(dir, '.terraform'));
}

export const BOOTSTRAP_MARKER = '.infraai-bootstrap';

export function wantsBootstrap(dir: string): boolean {
  return existsSync(path.join(dir, BOOTSTRAP_MARKER));
}
