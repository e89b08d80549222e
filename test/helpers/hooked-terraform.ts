/**
 * The real Terraform runner with a test hook run just before chosen commands: "a person edits the
 * deployment while InfraAI plans (or applies)". The command itself runs unchanged afterwards.
 */
import { silentLogger } from '../../src/shared/logger.js';
import { CliTerraformRunner } from '../../src/terraform/cli-terraform-runner.js';
import type { RunOptions, TerraformResult, TerraformRunner } from '../../src/terraform/terraform-runner.js';

export type TfHook = (args: string[], cwd: string) => void;

export class HookedTerraform implements TerraformRunner {
  private readonly hooks: Array<{ when: (args: string[], cwd: string) => boolean; hook: TfHook; times: number }> = [];

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

  /** Runs `hook` before the next `times` commands `when` selects (Infinity: every one). */
  before(when: (args: string[], cwd: string) => boolean, hook: TfHook, times = 1): void {
    this.hooks.push({ when, hook, times });
  }

  async run(args: string[], options: RunOptions): Promise<TerraformResult> {
    for (const h of this.hooks) {
      if (h.times > 0 && h.when(args, options.cwd)) {
        h.times -= 1;
        h.hook(args, options.cwd);
      }
    }
    return this.inner.run(args, options);
  }

  version(): Promise<{ version: string }> {
    return this.inner.version();
  }
}

/** `terraform plan …` in an action's staging copy. */
export const planInStaging = (args: string[], cwd: string): boolean => args[0] === 'plan' && cwd.includes('/staging/');

/** `terraform apply <saved plan>` (not the rollback's `-auto-approve`). */
export const applyOfSavedPlan = (args: string[]): boolean =>
  args[0] === 'apply' && args.some((a) => a.endsWith('.tfplan'));
