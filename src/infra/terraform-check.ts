/**
 * Terraform's own reading of a submitted configuration, before anything is recorded: the files
 * go to a scratch dir, `terraform init -backend=false` installs local modules, then modules.json
 * and `terraform graph -type=plan` (which evaluates no expression) must match the guard's view.
 * A refusal removes the scratch dir and writes nothing else; an accepted dir becomes the
 * action's staging dir (same parent, one rename).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { AppError } from '../shared/errors.js';
import type { TerraformResult } from '../terraform/terraform-runner.js';
import type { TerraformSteps } from '../terraform/steps.js';
import { removeDir, writeFilesAtomic } from '../terraform/workspace-fs.js';
import type { ConfigView } from './config-guard.js';
import { compareReadings, parseGraph } from './terraform-reading.js';

export interface CheckedDir {
  dir: string;
  /** The commands run, for the action's Terraform output. */
  results: Array<{ step: string; result: TerraformResult }>;
}

/** The `Error:` summary line of a failed command: a fixed message, never a value. */
export function errorSummary(r: TerraformResult): string {
  if (r.timedOut) return `timed out after ${r.durationMs} ms`;
  const line = `${r.stderr}\n${r.stdout}`
    .split('\n')
    .map((l) => l.replace(/^[│╷╵\s]+/, '').trim())
    .find((l) => l.startsWith('Error:'));
  return line ?? `terraform exited ${String(r.exitCode)}`;
}

function failed(what: string, r: TerraformResult): AppError {
  if (r.timedOut) return new AppError('ERR_TERRAFORM_TIMEOUT', `${what}: ${errorSummary(r)}`);
  return new AppError('ERR_VALIDATION', `${what}: ${errorSummary(r)}`);
}

/**
 * Writes `files` to `dir`, runs init and graph, compares. Returns the initialised dir.
 * @throws AppError ERR_VALIDATION (Terraform refused the files, or the readings disagree) or
 *   ERR_TERRAFORM_TIMEOUT; the dir is removed first.
 */
export async function readWithTerraform(
  steps: TerraformSteps,
  dir: string,
  files: Record<string, string>,
  view: ConfigView,
  initTimeoutMs: number,
): Promise<CheckedDir> {
  removeDir(dir);
  mkdirSync(dir, { recursive: true });
  try {
    writeFilesAtomic(dir, files);
    const init = await steps.initLocal(dir, initTimeoutMs);
    if (init.exitCode !== 0) throw failed('terraform init could not read the configuration', init);
    const graph = await steps.graph(dir);
    if (graph.exitCode !== 0) throw failed('terraform graph could not read the configuration', graph);
    const modulesFile = path.join(dir, '.terraform', 'modules', 'modules.json');
    const modulesJson = existsSync(modulesFile) ? readFileSync(modulesFile, 'utf8') : undefined;
    const diffs = compareReadings(view, parseGraph(graph.stdout), modulesJson, dir);
    if (diffs.length > 0) {
      throw new AppError(
        'ERR_VALIDATION',
        `the guard's reading and Terraform's reading of the configuration disagree: ${diffs.join('; ')}`,
        { details: { differences: diffs } },
      );
    }
    // The graph is derived data (and long): its exit is what matters on the action.
    return {
      dir,
      results: [
        { step: 'init', result: init },
        { step: 'graph', result: { ...graph, stdout: '' } },
      ],
    };
  } catch (err) {
    removeDir(dir);
    throw err;
  }
}
