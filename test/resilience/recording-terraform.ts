import { silentLogger } from '../../src/shared/logger.js';
import { CliTerraformRunner } from '../../src/terraform/cli-terraform-runner.js';
import type { RunOptions, TerraformResult, TerraformRunner } from '../../src/terraform/terraform-runner.js';

export interface RecordedTfCall {
  sub: string;
  args: string[];
  cwd: string;
  start: number;
  /** Infinity while running. */
  end: number;
  exitCode?: number | undefined;
  timedOut?: boolean;
}

/** The real Terraform runner, recording every call with its start and end (for overlap checks). */
export class RecordingTerraform implements TerraformRunner {
  readonly calls: RecordedTfCall[] = [];
  private seq = 0;

  constructor(
    readonly inner: TerraformRunner = new CliTerraformRunner({
      bin: 'terraform',
      lockTimeoutSeconds: 60,
      logger: silentLogger,
    }),
  ) {}

  get bin(): string {
    return this.inner.bin;
  }

  async run(args: string[], options: RunOptions): Promise<TerraformResult> {
    const call: RecordedTfCall = { sub: args[0] ?? '', args, cwd: options.cwd, start: this.seq++, end: Infinity };
    this.calls.push(call);
    try {
      const r = await this.inner.run(args, options);
      call.exitCode = r.exitCode;
      call.timedOut = r.timedOut;
      return r;
    } finally {
      call.end = this.seq++;
    }
  }

  version(): Promise<{ version: string }> {
    return this.inner.version();
  }

  /** Pairs of calls that ran at the same time, among those `pick` selects. */
  overlaps(
    pick: (c: RecordedTfCall) => boolean,
    sameGroup: (a: RecordedTfCall, b: RecordedTfCall) => boolean = () => true,
  ): string[] {
    const list = this.calls.filter(pick);
    const out: string[] = [];
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const a = list[i]!;
        const b = list[j]!;
        if (sameGroup(a, b) && a.start < b.end && b.start < a.end) out.push(`${a.sub}@${a.cwd} ∥ ${b.sub}@${b.cwd}`);
      }
    }
    return out;
  }
}
