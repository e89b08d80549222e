import { execa, type Options, type ResultPromise } from 'execa';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dieWithParentPrefix } from './die-with-parent.js';
import { AppError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { TerraformObserver } from '../shared/metrics-ports.js';
import type { RunOptions, TerraformResult, TerraformRunner } from './terraform-runner.js';

export interface CliTerraformRunnerOptions {
  bin: string;
  lockTimeoutSeconds: number;
  logger: Logger;
  /** Environment handed to Terraform (defaults to this process's). */
  baseEnv?: NodeJS.ProcessEnv;
  /** Hears about every finished command (metrics). Errors it throws are ignored. */
  onCommand?: TerraformObserver;
  /** Tie Terraform's life to this process (see die-with-parent.ts). Default true; a no-op where unsupported. */
  dieWithParent?: boolean;
}

const LOCKING = new Set(['plan', 'apply', 'init', 'refresh', 'import', 'destroy']);
const NO_INPUT = new Set(['plan', 'apply', 'init', 'refresh', 'import', 'destroy']);
const NO_COLOR = new Set(['plan', 'apply', 'init', 'refresh', 'import', 'destroy', 'validate', 'show', 'output', 'fmt', 'providers', 'console']);

/** Runs the Terraform CLI through execa with argument arrays (never a shell). */
export class CliTerraformRunner implements TerraformRunner {
  readonly bin: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly running = new Set<ResultPromise>();
  private readonly prefix: string[];
  private outputDir: string | undefined;
  private seq = 0;

  constructor(private readonly options: CliTerraformRunnerOptions) {
    this.bin = options.bin;
    this.prefix = options.dieWithParent === false ? [] : dieWithParentPrefix(options.bin);
    const base = options.baseEnv ?? process.env;
    const cliConfig = base.TF_CLI_CONFIG_FILE;
    this.env = {
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
    if (LOCKING.has(sub) && !rest.some((a) => a.startsWith('-lock-timeout'))) flags.push(`-lock-timeout=${lockTimeoutSeconds}s`);
    return [sub, ...flags, ...rest];
  }

  async run(args: string[], options: RunOptions): Promise<TerraformResult> {
    const full = CliTerraformRunner.argsFor(args, this.options.lockTimeoutSeconds);
    const started = Date.now();
    // Output goes to files, not pipes: a pipe to a dead service would SIGPIPE Terraform in the
    // middle of its graceful shutdown.
    const out = this.outputFiles();
    const [cmd, ...pre] = this.prefix.length > 0 ? this.prefix : [this.bin];
    const execOptions: Options = {
      cwd: options.cwd,
      env: this.env,
      extendEnv: true,
      timeout: options.timeoutMs,
      killSignal: 'SIGINT',
      forceKillAfterDelay: 60_000,
      ...(options.signal ? { cancelSignal: options.signal } : {}),
      reject: false,
      // A file descriptor is inherited as-is (execa supports it at run time; its types omit it).
      stdout: out.stdoutFd as unknown as 'inherit',
      stderr: out.stderrFd as unknown as 'inherit',
      ...(options.input !== undefined ? { input: options.input } : { stdin: 'ignore' as const }),
    };
    const sub = execa(cmd as string, [...pre, ...(this.prefix.length > 0 ? [this.bin] : []), ...full], execOptions);
    this.running.add(sub);
    try {
      const r = await sub;
      if (r.exitCode === undefined && !r.isCanceled && !r.timedOut && r.code === 'ENOENT') {
        throw new AppError(
          'ERR_TERRAFORM_MISSING',
          `terraform binary "${this.bin}" was not found (set TERRAFORM_BIN to the terraform or tofu executable)`,
        );
      }
      const result: TerraformResult = {
        command: `${this.bin} ${full.join(' ')}`,
        exitCode: r.exitCode,
        stdout: readOutput(out.stdout),
        stderr: readOutput(out.stderr),
        durationMs: Date.now() - started,
        timedOut: r.timedOut,
        canceled: r.isCanceled,
      };
      this.options.logger.debug(
        { cmd: full[0], cwd: options.cwd, exitCode: result.exitCode, ms: result.durationMs },
        'terraform finished',
      );
      this.observe(full[0] ?? '', result);
      return result;
    } finally {
      this.running.delete(sub);
      closeSync(out.stdoutFd);
      closeSync(out.stderrFd);
      rmSync(out.stdout, { force: true });
      rmSync(out.stderr, { force: true });
    }
  }

  /** File descriptors handed to Terraform as-is (execa's `{file}` form still pipes through this process). */
  private outputFiles(): { stdout: string; stderr: string; stdoutFd: number; stderrFd: number } {
    this.outputDir ??= mkdtempSync(path.join(tmpdir(), 'infraai-tf-'));
    const n = (this.seq += 1);
    const stdout = path.join(this.outputDir, `${n}.out`);
    const stderr = path.join(this.outputDir, `${n}.err`);
    return { stdout, stderr, stdoutFd: openSync(stdout, 'w', 0o600), stderrFd: openSync(stderr, 'w', 0o600) };
  }

  private observe(subcommand: string, r: TerraformResult): void {
    try {
      this.options.onCommand?.({
        subcommand, durationMs: r.durationMs, exitCode: r.exitCode, timedOut: r.timedOut, canceled: r.canceled,
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

  /** Sends SIGINT to every running command and waits for them (used on shutdown). */
  async interruptAll(): Promise<void> {
    const pending = [...this.running];
    for (const p of pending) p.kill('SIGINT');
    await Promise.allSettled(pending);
  }
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
