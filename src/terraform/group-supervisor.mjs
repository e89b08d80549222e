// @ts-check
/**
 * The Terraform process-group supervisor: a small Node process the service starts once (see
 * process-supervisor.ts) that spawns every Terraform command for it, each in its own session and
 * process group (`detached`), and ends whole groups.
 *
 * Why a separate process: a provisioner's children (local-exec → sh → sleep …) are Terraform's
 * children, not the service's, so killing Terraform leaves them running; only a signal to the
 * group reaches them. And when the service is SIGKILLed no handler of it runs, so something that
 * outlives it has to end the groups. This process notices the service's death as the IPC channel
 * closing (the kernel closes it with the service's file descriptors) and then treats every run as
 * interrupted.
 *
 * Plain JavaScript (type-checked through JSDoc) because it must run both from the TypeScript
 * sources under test and from dist/, without a loader.
 *
 * Ending a group: SIGINT once (Terraform stops gracefully, writes state and releases its lock;
 * provider plugins ignore SIGINT, provisioner commands die of it), then after the grace SIGTERM
 * (Terraform's second interrupt: exit at once), then SIGKILL. Exactly one SIGINT per run, however
 * many times an interrupt is asked for: a second one makes Terraform exit without saving state.
 * When Terraform has exited, whatever is left in its group is sent SIGTERM, then SIGKILL.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';

/** After SIGTERM, how long a group gets before SIGKILL (unless a run says otherwise). */
const KILL_AFTER_MS = 10_000;
/** After Terraform exited: how long leftovers get between SIGTERM and SIGKILL. */
const SWEEP_TERM_MS = 2_000;
const POLL_MS = 25;

/**
 * @typedef {{ type: 'run', id: number, file: string, args: string[], cwd: string,
 *   env: Record<string, string>, stdout: string, stderr: string, stdin: string | null,
 *   timeoutMs: number, graceMs: number, killAfterMs?: number }} RunMessage
 * @typedef {{ id: number, pid: number | undefined, graceMs: number, killAfterMs: number, interrupted: boolean,
 *   timedOut: boolean, timers: Array<ReturnType<typeof setTimeout>> }} Run
 */

/** @type {Map<number, Run>} */
const runs = new Map();
let disconnected = false;

/** @param {Record<string, unknown>} message */
function send(message) {
  if (process.connected && process.send) process.send(message, undefined, undefined, () => {});
}

/**
 * @param {number} pgid
 * @param {NodeJS.Signals | 0} signal
 * @returns {boolean} false when the group no longer exists
 */
function signalGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Names of the processes in group `pgid` (Linux /proc; empty elsewhere). For the log only.
 * @param {number} pgid
 * @returns {string[]}
 */
function groupMembers(pgid) {
  const names = [];
  let entries;
  try {
    entries = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return [];
  }
  for (const pid of entries) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // "pid (comm) state ppid pgrp …": comm may contain spaces and parentheses.
      const close = stat.lastIndexOf(')');
      const fields = stat.slice(close + 2).split(' ');
      if (Number(fields[2]) === pgid) names.push(stat.slice(stat.indexOf('(') + 1, close));
    } catch {
      // the process ended while we looked
    }
  }
  return names;
}

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until group `pgid` is empty or `ms` passed. Returns true when it is empty.
 * @param {number} pgid
 * @param {number} ms
 */
async function groupGone(pgid, ms) {
  for (let waited = 0; waited <= ms; waited += POLL_MS) {
    if (!signalGroup(pgid, 0)) return true;
    await sleep(POLL_MS);
  }
  return !signalGroup(pgid, 0);
}

/**
 * Ends what Terraform left in its group after it exited. Returns the names of what was there.
 * @param {number} pgid
 */
async function sweep(pgid) {
  if (!signalGroup(pgid, 0)) return [];
  const left = groupMembers(pgid);
  signalGroup(pgid, 'SIGTERM');
  if (!(await groupGone(pgid, SWEEP_TERM_MS))) {
    signalGroup(pgid, 'SIGKILL');
    await groupGone(pgid, SWEEP_TERM_MS);
  }
  return left;
}

/**
 * SIGINT to the run's group, once; SIGTERM after the grace, SIGKILL after that.
 * @param {Run} run
 */
function interrupt(run) {
  if (run.interrupted || run.pid === undefined) return;
  run.interrupted = true;
  const pgid = run.pid;
  signalGroup(pgid, 'SIGINT');
  run.timers.push(
    setTimeout(() => {
      signalGroup(pgid, 'SIGTERM');
      run.timers.push(setTimeout(() => signalGroup(pgid, 'SIGKILL'), run.killAfterMs));
    }, run.graceMs),
  );
}

function interruptAll() {
  for (const run of runs.values()) interrupt(run);
}

/**
 * Opens the files Terraform writes to (and reads from): file descriptors, not pipes, so a dead
 * service can never SIGPIPE Terraform in the middle of its graceful shutdown.
 * @param {RunMessage} m
 * @returns {[number | 'ignore', number, number]}
 */
function openStdio(m) {
  /** @type {number[]} */
  const opened = [];
  try {
    const stdin = m.stdin === null ? 'ignore' : openSync(m.stdin, 'r');
    if (typeof stdin === 'number') opened.push(stdin);
    opened.push(openSync(m.stdout, 'a'));
    opened.push(openSync(m.stderr, 'a'));
    return [stdin, /** @type {number} */ (opened.at(-2)), /** @type {number} */ (opened.at(-1))];
  } catch (err) {
    for (const fd of opened) closeSync(fd);
    throw err;
  }
}

/**
 * @param {RunMessage} m
 * @param {[number | 'ignore', number, number]} stdio
 */
function spawnDetached(m, stdio) {
  try {
    return spawn(m.file, m.args, { cwd: m.cwd, env: m.env, detached: true, stdio });
  } finally {
    // The child has its own copies (or none, if spawning threw).
    for (const fd of stdio) if (typeof fd === 'number') closeSync(fd);
  }
}

/**
 * Reports a command that never started (spawn refused it, or its output files could not be opened).
 * @param {number} id @param {unknown} err
 */
function sendSpawnFailure(id, err) {
  send({
    type: 'exited',
    id,
    code: null,
    signal: null,
    timedOut: false,
    interrupted: false,
    leftovers: [],
    error: describe(err),
  });
}

/** @param {RunMessage} m */
function start(m) {
  /** @type {Run} */
  const run = {
    id: m.id,
    pid: undefined,
    graceMs: m.graceMs,
    killAfterMs: m.killAfterMs ?? KILL_AFTER_MS,
    interrupted: false,
    timedOut: false,
    timers: [],
  };
  let child;
  try {
    child = spawnDetached(m, openStdio(m));
  } catch (err) {
    // Unopenable output files, arguments spawn refuses outright: nothing started.
    sendSpawnFailure(m.id, err);
    return;
  }
  runs.set(m.id, run);
  child.once('error', (err) => {
    // Spawning failed (ENOENT, EACCES): there is no group to end.
    if (child.pid !== undefined) return;
    runs.delete(m.id);
    sendSpawnFailure(m.id, err);
    exitWhenDone();
  });
  if (child.pid === undefined) return;
  run.pid = child.pid;
  send({ type: 'started', id: m.id, pid: child.pid });
  if (m.timeoutMs > 0) {
    run.timers.push(
      setTimeout(() => {
        run.timedOut = true;
        interrupt(run);
      }, m.timeoutMs),
    );
  }
  // An interrupt asked for before the spawn (or the service already gone) applies now.
  if (disconnected) interrupt(run);
  child.once('exit', (code, signal) => void finish(run, code, signal));
}

/**
 * @param {Run} run
 * @param {number | null} code
 * @param {NodeJS.Signals | null} signal
 */
async function finish(run, code, signal) {
  for (const t of run.timers) clearTimeout(t);
  const leftovers = run.pid === undefined ? [] : await sweep(run.pid);
  runs.delete(run.id);
  send({ type: 'exited', id: run.id, code, signal, timedOut: run.timedOut, interrupted: run.interrupted, leftovers });
  exitWhenDone();
}

/** @param {unknown} err */
function describe(err) {
  const e = /** @type {{ code?: unknown, message?: unknown }} */ (err ?? {});
  return {
    code: typeof e.code === 'string' ? e.code : 'ERROR',
    message: typeof e.message === 'string' ? e.message : String(err),
  };
}

function exitWhenDone() {
  if (disconnected && runs.size === 0) process.exit(0);
}

/**
 * Takes over a group whose supervisor died (the service tells us its pgid): the same interrupt
 * and escalation, then polling until the group is empty, since it is not our child to wait for.
 * @param {{ pgid: number, graceMs: number, killAfterMs?: number }} m
 */
async function adopt(m) {
  const id = -m.pgid;
  /** @type {Run} */
  const run = {
    id,
    pid: m.pgid,
    graceMs: m.graceMs,
    killAfterMs: m.killAfterMs ?? KILL_AFTER_MS,
    interrupted: false,
    timedOut: false,
    timers: [],
  };
  runs.set(id, run);
  interrupt(run);
  while (!(await groupGone(m.pgid, 1_000)));
  for (const t of run.timers) clearTimeout(t);
  runs.delete(id);
  exitWhenDone();
}

process.on('message', (raw) => {
  const m = /** @type {{ type?: unknown, id?: unknown, pgid?: unknown, graceMs?: unknown }} */ (raw);
  if (m?.type === 'run') start(/** @type {RunMessage} */ (raw));
  else if (m?.type === 'adopt' && typeof m.pgid === 'number' && typeof m.graceMs === 'number')
    void adopt({ pgid: m.pgid, graceMs: m.graceMs });
  else if (m?.type === 'interrupt' && typeof m.id === 'number') {
    const run = runs.get(m.id);
    if (run) interrupt(run);
  } else if (m?.type === 'interrupt-all') interruptAll();
});

// The service is gone (exited, crashed, SIGKILLed) or let go of us: end every group, then exit.
process.on('disconnect', () => {
  disconnected = true;
  interruptAll();
  exitWhenDone();
  // A bound on our own life even if a group cannot be ended (a process stuck in the kernel).
  const longest = Math.max(0, ...[...runs.values()].map((r) => r.graceMs + r.killAfterMs));
  setTimeout(() => process.exit(1), longest + 4 * SWEEP_TERM_MS + 5_000).unref();
});

// A signal meant for the service (a terminal's Ctrl-C, a stop of the whole unit) interrupts the
// runs once instead of killing this process, which would orphan their groups.
for (const sig of /** @type {NodeJS.Signals[]} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) process.on(sig, interruptAll);

send({ type: 'ready', pid: process.pid });
