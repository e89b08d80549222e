/** The result of one Terraform command, kept for the ledger. */
export interface TerraformResult {
  command: string;
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
  canceled: boolean;
}

export interface RunOptions {
  cwd: string;
  /** Milliseconds before SIGINT is sent (Terraform then releases its lock and exits). */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Text written to the command's standard input. */
  input?: string;
}

/**
 * The only way the service runs Terraform (or OpenTofu). Implementations pass argument arrays,
 * never a shell, and always add -input=false / -no-color where the subcommand accepts them.
 */
export interface TerraformRunner {
  /** The binary as configured (`TERRAFORM_BIN`). */
  readonly bin: string;
  /**
   * Runs one subcommand. Never throws for a non-zero exit: inspect `exitCode`.
   * @throws AppError ERR_TERRAFORM_MISSING when the binary cannot be started.
   */
  run(args: string[], options: RunOptions): Promise<TerraformResult>;
  /**
   * `terraform version -json`.
   * @throws AppError ERR_TERRAFORM_MISSING (binary absent) or ERR_TERRAFORM (unreadable output).
   */
  version(): Promise<{ version: string }>;
}

/** The first diagnostic line of a failed command, for messages such as `planning "web": ...`. */
export function firstDiagnostic(result: TerraformResult): string {
  if (result.timedOut) return `timed out after ${result.durationMs} ms`;
  const text = `${result.stderr}\n${result.stdout}`;
  const lines = text.split('\n').map((l) => l.replace(/^[│╷╵\s]+/, '').trim());
  const err = lines.find((l) => l.startsWith('Error:'));
  return err ?? lines.find((l) => l.length > 0) ?? `exit code ${String(result.exitCode)}`;
}

export function describeFailure(what: string, result: TerraformResult): string {
  return `${what}: terraform exited ${String(result.exitCode)}: ${firstDiagnostic(result)}`;
}
