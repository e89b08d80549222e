/**
 * What the SIGKILL tests share: a deployment applied outside the service, the built service on
 * it (service-process.ts), and looks at the processes, the state lock and the state from outside.
 */
import { execa } from 'execa';
import { mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { waitFor } from '../e2e/stack.js';
import { tempWorkspace } from '../helpers/service.js';
import { startServiceProcess, type ServiceProcess } from './service-process.js';

export const TF_ENV = { TF_CLI_CONFIG_FILE: '/dev/null', CHECKPOINT_DISABLE: '1' };

export interface ActionItem {
  id: string;
  decision_id: string;
  status: string;
  status_reason: string | null;
  target_address: string;
  action_type: string;
}

/** Pids of processes named `comm` (any name when omitted) whose working directory is `dir` (Linux /proc). */
export function processesIn(dir: string, comm?: string): number[] {
  const pids: number[] = [];
  for (const p of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const named = comm === undefined || readFileSync(`/proc/${p}/comm`, 'utf8').trim() === comm;
      if (named && readlinkSync(`/proc/${p}/cwd`) === dir && alive(Number(p))) pids.push(Number(p));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

/** Exists and is not a zombie (a zombie has ended; only its parent's wait is missing). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.charAt(stat.lastIndexOf(')') + 2) !== 'Z';
  } catch {
    return false;
  }
}

/** True when another Terraform command can take the state lock right now. */
export async function lockIsFree(dir: string): Promise<{ free: boolean; output: string }> {
  const r = await execa('terraform', ['plan', '-lock-timeout=0s', '-input=false', '-no-color'], {
    cwd: dir,
    env: TF_ENV,
    reject: false,
  });
  return { free: r.exitCode === 0 || r.exitCode === 2, output: `${r.stdout}\n${r.stderr}` };
}

/** `terraform plan -detailed-exitcode` of the files against the state: 0 = nothing to change. */
export async function planExitCode(dir: string): Promise<{ code: number | undefined; output: string }> {
  const r = await execa('terraform', ['plan', '-detailed-exitcode', '-input=false', '-no-color'], {
    cwd: dir,
    env: TF_ENV,
    reject: false,
  });
  return { code: r.exitCode, output: `${r.stdout}\n${r.stderr}` };
}

export async function stateAddresses(dir: string): Promise<string[]> {
  const r = await execa('terraform', ['show', '-json', '-no-color'], { cwd: dir, env: TF_ENV });
  const parsed = JSON.parse(r.stdout) as { values?: { root_module?: { resources?: Array<{ address: string }> } } };
  return (parsed.values?.root_module?.resources ?? []).map((x) => x.address);
}

/** Some action on `address` (newest first) in one of `statuses`. */
export async function actionOn(
  svc: ServiceProcess,
  runId: string,
  address: string,
  statuses: string[],
  ms = 90_000,
): Promise<ActionItem> {
  return waitFor(
    `an action on ${address} in ${statuses.join('|')}`,
    async () => {
      const { body } = await svc.api<{ items: ActionItem[] }>(`/ops/actions?run_id=${runId}&limit=50`);
      return body.items.find((x) => x.target_address === address && statuses.includes(x.status));
    },
    ms,
  );
}

/** The deployment `runId` written and applied with terraform itself, then the workspace to start services on. */
export async function deployment(runId: string, files: Record<string, string>) {
  const ws = tempWorkspace('infraai-crash-');
  const runDir = path.join(ws.runsDir, runId);
  mkdirSync(runDir, { recursive: true });
  for (const [n, t] of Object.entries(files)) writeFileSync(path.join(runDir, n), t);
  await execa('terraform', ['init', '-input=false', '-no-color'], { cwd: runDir, env: TF_ENV });
  await execa('terraform', ['apply', '-auto-approve', '-input=false', '-no-color'], { cwd: runDir, env: TF_ENV });
  return { ws, runDir };
}

/** Starts the built service on the workspace; every started one is stopped by `stopAll`. */
export function services() {
  const running: ServiceProcess[] = [];
  return {
    async start(ws: { dbPath: string; runsDir: string }, env: Record<string, string> = {}): Promise<ServiceProcess> {
      const s = await startServiceProcess({ dbPath: ws.dbPath, runsDir: ws.runsDir, env });
      running.push(s);
      return s;
    },
    async stopAll(): Promise<void> {
      for (const s of running.splice(0)) await s.stop();
    },
  };
}

/** Adds the service's recent log and its actions to a failure, so a timeout says what the service saw. */
export function explain(svc: ServiceProcess): (err: unknown) => Promise<never> {
  return async (err: unknown) => {
    const actions = await svc.api('/ops/actions?limit=50').catch(() => ({ body: 'unavailable' }));
    throw new Error(`${String(err)}\nactions: ${JSON.stringify(actions.body)}\nlog: ${svc.log.text.slice(-4000)}`);
  };
}
