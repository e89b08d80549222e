/**
 * The service's side of the process-group supervisor (group-supervisor.mjs): starts it on first
 * use, hands it each Terraform command and waits for the command's end — which includes the end
 * of everything the command left in its process group.
 *
 * The supervisor is started in its own session, so a signal to the service's process group (a
 * terminal's Ctrl-C) does not reach it or Terraform directly: the service decides, and each run
 * gets exactly one SIGINT. The IPC channel is unreferenced while no command runs, so a one-shot
 * CLI command still exits on its own; the supervisor then sees the channel close and exits too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** Beside this module in both src/ (tests) and dist/ (tsc copies it with allowJs). */
export const SUPERVISOR_SCRIPT = fileURLToPath(new URL('./group-supervisor.mjs', import.meta.url));

export interface SupervisedCommand {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** Files (already created) that receive the command's output; `stdin` is read from, or null. */
  stdout: string;
  stderr: string;
  stdin: string | null;
  /** 0 = none. Then SIGINT to the group, SIGTERM after `graceMs`, SIGKILL `killAfterMs` (default 10 s) later. */
  timeoutMs: number;
  graceMs: number;
  killAfterMs?: number;
}

export interface SupervisedExit {
  exitCode: number | undefined;
  signal: string | undefined;
  timedOut: boolean;
  /** SIGINT was sent to the group (timeout, abort, shutdown). */
  interrupted: boolean;
  /** Processes still in the group after the command exited (ended by the supervisor). */
  leftovers: string[];
  /** The command could not be started (`ENOENT` …), or the supervisor itself failed (`ESUPERVISOR`). */
  failure?: { code: string; message: string };
}

const FromSupervisor = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), pid: z.number() }),
  z.object({ type: z.literal('started'), id: z.number(), pid: z.number() }),
  z.object({
    type: z.literal('exited'),
    id: z.number(),
    code: z.number().nullable(),
    signal: z.string().nullable(),
    timedOut: z.boolean(),
    interrupted: z.boolean(),
    leftovers: z.array(z.string()),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
  }),
]);

interface Pending {
  pid?: number;
  graceMs: number;
  done: Promise<SupervisedExit>;
  resolve(exit: SupervisedExit): void;
}

interface Connection {
  child: ChildProcess;
  ready: Promise<boolean>;
}

export class ProcessSupervisor {
  private connection: Connection | undefined;
  private readonly pending = new Map<number, Pending>();
  private seq = 0;

  /** `script` is replaceable for tests of a misbehaving supervisor. */
  constructor(private readonly script = SUPERVISOR_SCRIPT) {}

  /** Runs one command to its end (group included). Never rejects: failures are in `failure`. */
  async run(cmd: SupervisedCommand, signal?: AbortSignal): Promise<SupervisedExit> {
    const conn = this.connect();
    const id = (this.seq += 1);
    let resolve: (exit: SupervisedExit) => void = () => {};
    const done = new Promise<SupervisedExit>((r) => {
      resolve = r;
    });
    this.pending.set(id, { done, resolve, graceMs: cmd.graceMs });
    conn.child.channel?.ref();
    const onAbort = (): void => this.interrupt(id);
    try {
      if (!(await conn.ready)) this.settle(id, supervisorFailure('the Terraform supervisor did not start'));
      else
        conn.child.send({ type: 'run', id, ...cmd }, (err) => {
          if (err) this.settle(id, supervisorFailure(`sending to the Terraform supervisor: ${err.message}`));
        });
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
      return await done;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Interrupts one run (SIGINT to its group once; escalation is the supervisor's). Idempotent. */
  interrupt(id: number): void {
    this.connection?.child.send({ type: 'interrupt', id }, () => {});
  }

  /**
   * Interrupts every running command, waits until each has ended (groups included), then lets the
   * supervisor exit. A later `run` starts a new one.
   */
  async interruptAll(): Promise<void> {
    const conn = this.connection;
    if (!conn) return;
    conn.child.send({ type: 'interrupt-all' }, () => {});
    await Promise.allSettled([...this.pending.values()].map((p) => p.done));
    this.close();
  }

  /** Disconnects from the supervisor; it ends any group still running and exits. */
  close(): void {
    const conn = this.connection;
    this.connection = undefined;
    if (conn?.child.connected) conn.child.disconnect();
  }

  private connect(): Connection {
    if (this.connection?.child.connected) return this.connection;
    // Its own session: not reached by signals meant for the service's process group. No
    // NODE_OPTIONS and no secrets in its environment; each command brings its own.
    const child = spawn(process.execPath, [this.script], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      detached: true,
      env: {},
    });
    child.unref();
    let ready: (ok: boolean) => void = () => {};
    const conn: Connection = {
      child,
      ready: new Promise<boolean>((r) => {
        ready = r;
      }),
    };
    child.on('message', (raw) => this.onMessage(raw, ready));
    child.once('error', () => ready(false));
    child.once('exit', () => this.onExit(conn, ready));
    this.connection = conn;
    return conn;
  }

  private onMessage(raw: unknown, ready: (ok: boolean) => void): void {
    const parsed = FromSupervisor.safeParse(raw);
    if (!parsed.success) return;
    const m = parsed.data;
    if (m.type === 'ready') ready(true);
    else if (m.type === 'started') {
      const p = this.pending.get(m.id);
      if (p) p.pid = m.pid;
    } else {
      this.settle(m.id, {
        exitCode: m.code ?? undefined,
        signal: m.signal ?? undefined,
        timedOut: m.timedOut,
        interrupted: m.interrupted,
        leftovers: m.leftovers,
        ...(m.error ? { failure: m.error } : {}),
      });
    }
  }

  /**
   * The supervisor died (killed, crashed): its groups are orphans now. A new supervisor adopts
   * each (the same one SIGINT, escalation, wait until empty); the runs report the failure.
   */
  private onExit(conn: Connection, ready: (ok: boolean) => void): void {
    ready(false);
    if (this.connection === conn) this.connection = undefined;
    const orphans = [...this.pending.entries()];
    for (const [id] of orphans)
      this.settle(id, supervisorFailure('the Terraform supervisor process exited while the command ran'));
    const groups = orphans
      .filter(([, p]) => p.pid !== undefined)
      .map(([, p]) => ({ pgid: p.pid as number, graceMs: p.graceMs }));
    if (groups.length > 0) void this.adopt(groups);
  }

  private async adopt(groups: Array<{ pgid: number; graceMs: number }>): Promise<void> {
    const conn = this.connect();
    if (!(await conn.ready)) {
      // No supervisor to be had: at least the one SIGINT Terraform needs to stop gracefully.
      for (const g of groups) signalGroup(g.pgid, 'SIGINT');
      return;
    }
    for (const g of groups) conn.child.send({ type: 'adopt', ...g }, () => {});
    // Nothing of ours waits for these: the channel must not hold the service open.
    if (this.pending.size === 0) conn.child.channel?.unref();
  }

  private settle(id: number, exit: SupervisedExit): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (this.pending.size === 0) this.connection?.child.channel?.unref();
    p.resolve(exit);
  }
}

function supervisorFailure(message: string): SupervisedExit {
  return {
    exitCode: undefined,
    signal: undefined,
    timedOut: false,
    interrupted: false,
    leftovers: [],
    failure: { code: 'ESUPERVISOR', message },
  };
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}
