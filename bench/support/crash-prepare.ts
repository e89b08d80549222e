/**
 * Test support (compiled to dist/bench/support/crash-prepare.js): composes the real service on the
 * given DATABASE_PATH/RUNS_DIR, prepares one decision, and stalls its `terraform plan` so the
 * parent test can SIGKILL this process mid-prepare. Prints "PLANNING <actionId>" when stalled.
 * Usage: node crash-prepare.js <decisionId>   (env: DATABASE_PATH, RUNS_DIR, POLICY_FILE)
 */
import { loadConfig } from '../../src/config/config.js';
import { compose } from '../../src/main.js';
import { CliTerraformRunner } from '../../src/terraform/cli-terraform-runner.js';
import type { TerraformRunner } from '../../src/terraform/terraform-runner.js';
import { silentLogger } from '../../src/shared/logger.js';

const decisionId = process.argv[2];
if (!decisionId) throw new Error('usage: crash-prepare.js <decisionId>');
const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent' });
const real = new CliTerraformRunner({ bin: config.env.TERRAFORM_BIN, lockTimeoutSeconds: 5, logger: silentLogger });
const stalling: TerraformRunner = {
  bin: real.bin,
  version: () => real.version(),
  async run(args, options) {
    if (args[0] === 'plan') {
      const row = service.db.prepare("SELECT id FROM actions WHERE status = 'preparing'").get() as
        { id: string } | undefined;
      process.stdout.write(`PLANNING ${row?.id ?? '?'}\n`);
      await new Promise((resolve) => setTimeout(resolve, 600_000));
    }
    return real.run(args, options);
  },
};
const service = await compose(config, { terraform: stalling, logger: silentLogger });
await service.start();
service.executor.prepare(decisionId);
await service.executor.idle();
