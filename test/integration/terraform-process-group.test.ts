/**
 * Every Terraform command runs in its own process group under the supervisor: a timeout, an abort,
 * a shutdown or the death of the service ends the whole group — a provisioner's grandchildren
 * included — with exactly one SIGINT first. Real processes (sh, sleep, Terraform), no fakes.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { CliTerraformRunner } from '../../src/terraform/cli-terraform-runner.js';
import { ProcessSupervisor, type SupervisedCommand } from '../../src/terraform/process-supervisor.js';
import { AppError, isAppError } from '../../src/shared/errors.js';
import { silentLogger } from '../../src/shared/logger.js';
import { waitFor } from '../helpers/net.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const SERVICE = path.join(ROOT, 'test', 'fixtures', 'supervised-service.mjs');
const BUILT = path.join(ROOT, 'dist', 'src', 'terraform', 'group-supervisor.mjs');

/** Alive = exists and is not a zombie (an unreaped zombie has already ended). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function pidsIn(file: string): number[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split(/\s+/)
    .filter((x) => x !== '')
    .map(Number);
}

function workdir(): string {
  return mkdtempSync(path.join(tmpdir(), 'infraai-pgroup-'));
}

/** A command for the supervisor: `sh -c script`, output into files in `dir`. */
function shell(dir: string, script: string, extra: Partial<SupervisedCommand> = {}): SupervisedCommand {
  const stdout = path.join(dir, 'out');
  const stderr = path.join(dir, 'err');
  writeFileSync(stdout, '');
  writeFileSync(stderr, '');
  return {
    file: 'sh',
    args: ['-c', script],
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', DIR: dir },
    stdout,
    stderr,
    stdin: null,
    timeoutMs: 0,
    graceMs: 60_000,
    ...extra,
  };
}

const supervisors: ProcessSupervisor[] = [];
function supervisor(): ProcessSupervisor {
  const s = new ProcessSupervisor();
  supervisors.push(s);
  return s;
}
afterEach(() => {
  for (const s of supervisors.splice(0)) s.close();
});

describe('terraform process groups: the supervisor', () => {
  it('a grandchild left running after the command exits is ended (SIGINT-immune background job), and named', async () => {
    const dir = workdir();
    // Background jobs of a non-interactive sh ignore SIGINT; this one outlives its parent.
    const exit = await supervisor().run(shell(dir, 'sleep 300 >/dev/null 2>&1 & echo $! > "$DIR/pids"; exit 0'));
    const [grandchild] = pidsIn(path.join(dir, 'pids'));
    expect(grandchild).toBeGreaterThan(0);
    expect(exit.exitCode).toBe(0);
    // Named for the log (\`sh\` or \`sleep\`: the job may not have exec'd yet when it is found).
    expect(exit.leftovers).toHaveLength(1);
    expect(alive(grandchild!)).toBe(false);
  });

  it('a command that leaves nothing behind reports no leftovers and its exit code', async () => {
    const dir = workdir();
    const exit = await supervisor().run(shell(dir, 'echo hi; exit 7'));
    expect(exit).toMatchObject({ exitCode: 7, leftovers: [], interrupted: false, timedOut: false });
    expect(readFileSync(path.join(dir, 'out'), 'utf8')).toBe('hi\n');
  });

  it('timeout: the whole group gets SIGINT (a foreground grandchild dies of it)', async () => {
    const dir = workdir();
    const exit = await supervisor().run(
      shell(dir, 'sleep 300 & echo $! > "$DIR/pids"; sleep 301; echo after', { timeoutMs: 300 }),
    );
    expect(exit.timedOut).toBe(true);
    expect(exit.interrupted).toBe(true);
    expect(exit.signal).toBe('SIGINT');
    for (const pid of pidsIn(path.join(dir, 'pids'))) expect(alive(pid)).toBe(false);
    expect(readFileSync(path.join(dir, 'out'), 'utf8')).not.toContain('after');
  });

  it('exactly one SIGINT per run, however often an interrupt is asked for (abort, interruptAll, a signal to the supervisor)', async () => {
    const dir = workdir();
    const s = supervisor();
    const abort = new AbortController();
    // Counts interrupts; after the first it stays a while so duplicates would still arrive, then exits 3.
    const script =
      'trap \'echo INT >> "$DIR/ints"\' INT; echo $$ > "$DIR/pids"; touch "$DIR/started"; while [ ! -s "$DIR/ints" ]; do sleep 0.05; done; i=0; while [ $i -lt 20 ]; do sleep 0.05; i=$((i+1)); done; exit 3';
    const running = s.run(shell(dir, script), abort.signal);
    await waitFor('the command to start', () => (existsSync(path.join(dir, 'started')) ? true : undefined), 10_000);
    abort.abort();
    abort.abort();
    process.kill(supervisorPidOf(dir)!, 'SIGTERM');
    process.kill(supervisorPidOf(dir)!, 'SIGINT');
    const all = s.interruptAll();
    const exit = await running;
    await all;
    expect(exit.exitCode).toBe(3);
    expect(exit.interrupted).toBe(true);
    expect(readFileSync(path.join(dir, 'ints'), 'utf8')).toBe('INT\n');
  });

  it('escalation: a group that ignores SIGINT gets SIGTERM after the grace, one that ignores SIGTERM too gets SIGKILL', async () => {
    const s = supervisor();
    const term = await s.run(shell(workdir(), "trap '' INT; sleep 300", { timeoutMs: 100, graceMs: 200 }));
    expect(term).toMatchObject({ timedOut: true, signal: 'SIGTERM' });
    const dir = workdir();
    const kill = await s.run(
      shell(dir, 'trap \'\' INT TERM; sleep 300 & echo $! > "$DIR/pids"; wait', {
        timeoutMs: 100,
        graceMs: 100,
        killAfterMs: 200,
      }),
    );
    expect(kill).toMatchObject({ timedOut: true, signal: 'SIGKILL' });
    for (const pid of pidsIn(path.join(dir, 'pids'))) expect(alive(pid)).toBe(false);
  });

  it('a command that cannot be started reports ENOENT; the runner turns it into ERR_TERRAFORM_MISSING', async () => {
    const dir = workdir();
    const exit = await supervisor().run({ ...shell(dir, ''), file: path.join(dir, 'no-such-terraform') });
    expect(exit.failure?.code).toBe('ENOENT');
    const runner = new CliTerraformRunner({
      bin: path.join(dir, 'no-such-terraform'),
      lockTimeoutSeconds: 1,
      logger: silentLogger,
    });
    const err = await runner.version().catch((e: unknown) => e);
    expect(isAppError(err) && (err as AppError).code).toBe('ERR_TERRAFORM_MISSING');
    await runner.interruptAll();
  });

  it('a command spawn refuses outright (NUL in an argument) fails alone; the supervisor keeps serving', async () => {
    const dir = workdir();
    const s = supervisor();
    const bad = await s.run({ ...shell(dir, 'echo hi'), args: ['-c', 'echo \u0000'] });
    expect(bad.failure?.code).toBe('ERR_INVALID_ARG_VALUE');
    expect((await s.run(shell(dir, 'exit 4'))).exitCode).toBe(4);
  });

  it('the supervisor killed mid-run: the run fails with ERR_TERRAFORM, a new supervisor ends the orphaned group, the next run works', async () => {
    const dir = workdir();
    const runner = new CliTerraformRunner({
      bin: 'sh',
      lockTimeoutSeconds: 1,
      logger: silentLogger,
      interruptGraceMs: 200,
      baseEnv: { PATH: process.env.PATH ?? '', DIR: dir },
    });
    const running = runner.run(['-c', 'echo $$ > "$DIR/pids"; sleep 300 & echo $! >> "$DIR/pids"; wait'], {
      cwd: dir,
      timeoutMs: 0,
    });
    await waitFor(
      'the command to start',
      () => (pidsIn(path.join(dir, 'pids')).length === 2 ? true : undefined),
      10_000,
    );
    const sup = supervisorPidOf(dir);
    expect(sup).toBeDefined();
    process.kill(sup!, 'SIGKILL');
    const err = await running.catch((e: unknown) => e);
    expect(isAppError(err) && (err as AppError).code).toBe('ERR_TERRAFORM');
    await waitFor(
      'the orphaned group to end',
      () => (pidsIn(path.join(dir, 'pids')).every((p) => !alive(p)) ? true : undefined),
      10_000,
    );
    const again = await runner.run(['-c', 'echo ok'], { cwd: dir, timeoutMs: 0 });
    expect(again.stdout).toBe('ok\n');
    await runner.interruptAll();
  });
});

describe('terraform process groups: the service SIGKILLed', () => {
  const children: Array<ReturnType<typeof spawn>> = [];
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  });

  it('no handler runs, yet the command and its grandchildren end (SIGINT first: a trap sees it)', async () => {
    expect(existsSync(BUILT), `${BUILT} missing: run "npm run build" first`).toBe(true);
    const dir = workdir();
    const script =
      'trap \'echo INT >> "$DIR/ints"; exit 130\' INT; echo $$ > "$DIR/pids"; sleep 300 & echo $! >> "$DIR/pids"; wait';
    const child = spawn(process.execPath, [SERVICE, dir, 'sh', '-c', script.replaceAll('$DIR', dir)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    await new Promise<void>((resolve) =>
      child.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('STARTED')) resolve();
      }),
    );
    await waitFor(
      'the command and its grandchild to run',
      () => (pidsIn(path.join(dir, 'pids')).length === 2 ? true : undefined),
      10_000,
    );
    const pids = pidsIn(path.join(dir, 'pids'));
    expect(pids.every(alive)).toBe(true);
    child.kill('SIGKILL');
    await waitFor('every process of the group to end', () => (pids.every((p) => !alive(p)) ? true : undefined), 30_000);
    expect(readFileSync(path.join(dir, 'ints'), 'utf8')).toBe('INT\n');
  });

  it("real Terraform: a local-exec provisioner's sleep dies with the service; the instance is recorded tainted and the lock released", async () => {
    expect(existsSync(BUILT), `${BUILT} missing: run "npm run build" first`).toBe(true);
    const dir = workdir();
    mkdirSync(path.join(dir, 'run'));
    const run = path.join(dir, 'run');
    writeFileSync(
      path.join(run, 'main.tf'),
      `resource "terraform_data" "a" {
  input = 1
  provisioner "local-exec" {
    command = "sleep 300 & echo $! > ${path.join(dir, 'pids')}; wait"
  }
}
`,
    );
    const env = { TF_CLI_CONFIG_FILE: '/dev/null', CHECKPOINT_DISABLE: '1' };
    await execa('terraform', ['init', '-input=false', '-no-color'], { cwd: run, env });
    const child = spawn(
      process.execPath,
      [SERVICE, run, 'terraform', 'apply', '-auto-approve', '-input=false', '-no-color'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, ...env },
      },
    );
    children.push(child);
    await waitFor(
      'the provisioner to run',
      () => (pidsIn(path.join(dir, 'pids')).length === 1 ? true : undefined),
      30_000,
    );
    const [sleeper] = pidsIn(path.join(dir, 'pids'));
    child.kill('SIGKILL');
    await waitFor("the provisioner's sleep to end", () => (!alive(sleeper!) ? true : undefined), 30_000);
    await waitFor(
      'terraform to write the state',
      () =>
        existsSync(path.join(run, 'terraform.tfstate')) && !existsSync(path.join(run, '.terraform.tfstate.lock.info'))
          ? true
          : undefined,
      60_000,
    );
    const state = JSON.parse(readFileSync(path.join(run, 'terraform.tfstate'), 'utf8')) as {
      resources: Array<{ instances: Array<{ status?: string }> }>;
    };
    expect(state.resources[0]?.instances[0]?.status).toBe('tainted');
  }, 120_000);
});

/** The supervisor serving the runs whose output goes to `dir` (its child's cwd is `dir`). */
function supervisorPidOf(dir: string): number | undefined {
  for (const p of pidsIn(path.join(dir, 'pids')).slice(0, 1)) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      return undefined;
    }
  }
  return undefined;
}
