/**
 * Makes a Terraform process stop when the service dies (SIGKILL, OOM, crash), instead of running
 * on unseen: an orphan `apply` keeps changing infrastructure after the service recorded the
 * action as interrupted, holds the state lock, and — writing to the dead service's pipe — is
 * later killed by SIGPIPE mid-operation, losing state and leaving the lock info behind.
 *
 * Linux only, with util-linux `setpriv` and coreutils `timeout` (both in every Debian base):
 *
 *   setpriv --pdeathsig SIGKILL -- timeout 0 setpriv --pdeathsig SIGINT -- terraform …
 *
 * The parent-death signal is re-sent each time the child is re-parented to another thread of the
 * dying (multi-threaded) Node process, and a second SIGINT makes Terraform exit "immediately"
 * without saving state. So the first hop (`timeout`, single-threaded, no timeout) takes those
 * signals and dies; Terraform, its child, then receives exactly one SIGINT and shuts down
 * gracefully (state written, lock released). `timeout` forwards the runner's own SIGINT
 * (timeouts, shutdown) to Terraform and passes its exit status through.
 */
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** The absolute path of `name` on PATH, or undefined. */
export function onPath(name: string, envPath = process.env.PATH ?? ''): string | undefined {
  if (name.includes('/')) return isExecutable(name) ? name : undefined;
  for (const dir of envPath.split(path.delimiter).filter((d) => d !== '')) {
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The command prefix that ties a child to this process's life, or [] where that is not
 * possible (not Linux, a tool missing, or `bin` not found — then the plain spawn reports ENOENT).
 */
export function dieWithParentPrefix(bin: string, platform: NodeJS.Platform = process.platform): string[] {
  if (platform !== 'linux' || onPath(bin) === undefined) return [];
  const setpriv = onPath('setpriv');
  const timeout = onPath('timeout');
  if (setpriv === undefined || timeout === undefined) return [];
  return [setpriv, '--pdeathsig', 'SIGKILL', '--', timeout, '0', setpriv, '--pdeathsig', 'SIGINT', '--'];
}
