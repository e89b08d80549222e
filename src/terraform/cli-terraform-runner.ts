import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AppError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { TerraformObserver } from '../shared/metrics-ports.js';
import { ProcessSupervisor, type SupervisedExit } from './process-supervisor.js';
import type { RunOptions, TerraformResult, TerraformRunner } from './terraform-runner.js';

export interface CliTerraformRunnerOptions {
  bin: string;
  lockTimeoutSeconds: number;
  logger: Logger;
  /** Environment handed to Terraform (defaults to this process's). */
  baseEnv?: NodeJS.ProcessEnv;
  /** Hears about every finished command (metrics). Errors it throws are ignored. */
  onCommand?: TerraformObserver;
  /**
   * After the SIGINT of a timeout, abort or shutdown: how long Terraform gets to stop gracefully
   * before its group is sent SIGTERM (then SIGKILL 10 s later). Default 60 s.
   */
  interruptGraceMs?: number;
  /** The process-group supervisor (tests pass their own). */
  supervisor?: ProcessSupervisor;
}

const LOCKING = new Set(['plan', 'apply', 'init', 'refresh', 'import', 'destroy']);
const NO_INPUT = new Set(['plan', 'apply', 'init', 'refresh', 'import', 'destroy']);
const NO_COLOR = new Set([
  'plan',
  'apply',
  'init',
  'refresh',
  'import',
  'destroy',
  'validate',
  'show',
  'output',
  'fmt',
  'providers',
  'console',
]);

/**
 * Runs the Terraform CLI with argument arrays (never a shell), each command in its own process
 * group under the supervisor (process-supervisor.ts): a timeout, an abort, a shutdown or the
 * service's death ends the whole group — provisioner children included — with one SIGINT first.
 */
export class CliTerraformRunner implements TerraformRunner {
  readonly bin: string;
  private readonly env: Record<string, string>;
  private readonly supervisor: ProcessSupervisor;
  private outputDir: string | undefined;
  private seq = 0;

  constructor(private readonly options: CliTerraformRunnerOptions) {
    this.bin = options.bin;
    this.supervisor = options.supervisor ?? new ProcessSupervisor();
    const base = options.baseEnv ?? process.env;
    const cliConfig = base.TF_CLI_CONFIG_FILE;
    this.env = {
      ...definedOnly(base),
      TF_IN_AUTOMATION: '1',
      TF_INPUT: '0',
      CHECKPOINT_DISABLE: '1',
      // A configured CLI file that does not exist makes every command warn on stderr.
      ...(cliConfig !== undefined && !existsSync(cliConfig) ? { TF_CLI_CONFIG_FILE: '/dev/null' } : {}),
    };
  }

  /** Builds the final argument list: subcommand flags first so saved-plan paths stay last. */
  static argsFor(args: string[], lockTimeoutSeconds: number): string[] {
    const [sub, ...rest] = args;
    if (sub === undefined) return [];
    const flags: string[] = [];
    if (NO_INPUT.has(sub) && !rest.some((a) => a.startsWith('-input'))) flags.push('-input=false');
    if (NO_COLOR.has(sub) && !rest.includes('-no-color')) flags.push('-no-color');
    if (LOCKING.has(sub) && !rest.some((a) => a.startsWith('-lock-timeout')))
      flags.push(`-lock-timeout=${lockTimeoutSeconds}s`);
    return [sub, ...flags, ...rest];
  }

  async run(args: string[], options: RunOptions): Promise<TerraformResult> {
    const full = CliTerraformRunner.argsFor(args, this.options.lockTimeoutSeconds);
    const started = Date.now();
    const io = this.ioFiles(options.input);
    try {
      const exit = await this.supervisor.run(
        {
          file: this.bin,
          args: full,
          cwd: options.cwd,
          env: this.env,
          stdout: io.stdout,
          stderr: io.stderr,
          stdin: io.stdin,
          timeoutMs: options.timeoutMs,
          graceMs: this.options.interruptGraceMs ?? 60_000,
        },
        options.signal,
      );
      this.checkStarted(exit);
      const result: TerraformResult = {
        command: `${this.bin} ${full.join(' ')}`,
        exitCode: exit.exitCode,
        stdout: readOutput(io.stdout),
        stderr: readOutput(io.stderr),
        durationMs: Date.now() - started,
        timedOut: exit.timedOut,
        canceled: options.signal?.aborted === true && exit.interrupted,
      };
      this.report(full[0] ?? '', options.cwd, result, exit);
      return result;
    } finally {
      for (const f of [io.stdout, io.stderr, io.stdin]) if (f !== null) rmSync(f, { force: true });
    }
  }

  /** @throws AppError ERR_TERRAFORM_MISSING (not startable) or ERR_TERRAFORM (supervisor failed). */
  private checkStarted(exit: SupervisedExit): void {
    if (exit.failure === undefined) return;
    if (exit.failure.code === 'ENOENT' || exit.failure.code === 'EACCES') {
      throw new AppError(
        'ERR_TERRAFORM_MISSING',
        `terraform binary "${this.bin}" was not found (set TERRAFORM_BIN to the terraform or tofu executable)`,
      );
    }
    throw new AppError('ERR_TERRAFORM', `running terraform: ${exit.failure.message}`);
  }

  private report(subcommand: string, cwd: string, result: TerraformResult, exit: SupervisedExit): void {
    this.options.logger.debug(
      { cmd: subcommand, cwd, exitCode: result.exitCode, ms: result.durationMs },
      'terraform finished',
    );
    if (exit.leftovers.length > 0) {
      // A provisioner's background process, or one that ignored the interrupt: ended, but worth knowing.
      this.options.logger.warn(
        { cmd: subcommand, cwd, ended: exit.leftovers },
        'terraform left processes in its process group; they were ended',
      );
    }
    this.observe(subcommand, result);
  }

  /** Output (and input) files in a private directory: Terraform gets descriptors, never pipes to this process. */
  private ioFiles(input: string | undefined): { stdout: string; stderr: string; stdin: string | null } {
    this.outputDir ??= mkdtempSync(path.join(tmpdir(), 'infraai-tf-'));
    const n = (this.seq += 1);
    const file = (ext: string, text: string): string => {
      const f = path.join(this.outputDir as string, `${n}.${ext}`);
      writeFileSync(f, text, { mode: 0o600 });
      return f;
    };
    return { stdout: file('out', ''), stderr: file('err', ''), stdin: input === undefined ? null : file('in', input) };
  }

  private observe(subcommand: string, r: TerraformResult): void {
    try {
      this.options.onCommand?.({
        subcommand,
        durationMs: r.durationMs,
        exitCode: r.exitCode,
        timedOut: r.timedOut,
        canceled: r.canceled,
      });
    } catch {
      // Metrics must never change what a Terraform run returns.
    }
  }

  async version(): Promise<{ version: string }> {
    const r = await this.run(['version', '-json'], { cwd: process.cwd(), timeoutMs: 30_000 });
    try {
      const parsed = JSON.parse(r.stdout) as { terraform_version?: unknown };
      if (typeof parsed.terraform_version === 'string') return { version: parsed.terraform_version };
    } catch {
      // fall through: older binaries and tofu print text
    }
    const m = /v(\d+\.\d+\.\d+)/.exec(r.stdout);
    if (m?.[1] !== undefined) return { version: m[1] };
    throw new AppError('ERR_TERRAFORM', `could not read the version of "${this.bin}": ${r.stderr || r.stdout}`);
  }

  /**
   * Interrupts every running command (one SIGINT to each group, escalation after the grace) and
   * waits until they and their groups have ended (used on shutdown).
   */
  async interruptAll(): Promise<void> {
    await this.supervisor.interruptAll();
  }
}

function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

function readOutput(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** Minimum supported version: `show -json` of plans, `-replace`, `terraform_data`. */
export const MIN_TERRAFORM_VERSION = '1.4.0';

export function versionAtLeast(version: string, min: string): boolean {
  const a = version.split('.').map((n) => Number.parseInt(n, 10) || 0);
  const b = min.split('.').map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < 3; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}
