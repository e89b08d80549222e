import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { AppError } from '../shared/errors.js';

/**
 * A run_id is a directory name directly under RUNS_DIR. The pattern alone rules out `..`,
 * hidden names, absolute paths and separators; the realpath check rules out symlinks that
 * leave RUNS_DIR.
 */
export const RUN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Checks the shape of a run_id (no filesystem access).
 * @throws AppError ERR_INVALID_RUN_ID naming the rule broken.
 */
export function assertRunIdShape(runId: string): void {
  if (!RUN_ID_PATTERN.test(runId)) {
    throw new AppError(
      'ERR_INVALID_RUN_ID',
      `run_id ${JSON.stringify(runId.slice(0, 140))} is not allowed: it must match ${RUN_ID_PATTERN.source} ` +
        '(no path separators, no leading dot, at most 128 characters)',
    );
  }
}

/**
 * Resolves the directory of `runId` under `runsDir`, following symlinks, and refuses anything
 * that ends up outside `runsDir`. Does not require the directory to exist unless `mustExist`.
 * @throws AppError ERR_INVALID_RUN_ID (bad name or escape), ERR_DEPLOYMENT_NOT_FOUND (missing).
 */
export function resolveRunDir(runsDir: string, runId: string, mustExist = true): string {
  assertRunIdShape(runId);
  const root = realOrSelf(runsDir);
  const candidate = path.join(root, runId);
  let real: string;
  try {
    real = realpathSync(candidate);
  } catch {
    if (!mustExist) return candidate;
    throw new AppError('ERR_DEPLOYMENT_NOT_FOUND', `deployment "${runId}" does not exist under ${runsDir}`);
  }
  const rel = path.relative(root, real);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel) || rel.includes(path.sep)) {
    throw new AppError('ERR_INVALID_RUN_ID', `run_id "${runId}" resolves outside RUNS_DIR (${real}); refusing it`);
  }
  if (!statSync(real).isDirectory()) {
    throw new AppError('ERR_DEPLOYMENT_NOT_FOUND', `deployment "${runId}" is not a directory`);
  }
  return real;
}

function realOrSelf(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}
