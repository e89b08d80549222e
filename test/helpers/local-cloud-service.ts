/**
 * The real service on the local cloud: deployments written under RUNS_DIR, initialised offline
 * from the provider mirror and applied with real Terraform, then the real compose() graph started
 * with the environment a user would export (TF_CLI_CONFIG_FILE, LOCAL_CLOUD_STATE, TF_VAR_*): the
 * service builds its own Terraform runner from process.env, as in production.
 * Needs `npm run build` (the provider runs from dist/). One per test file (it sets process.env
 * until `stop()`; vitest runs each file in its own process).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Overrides, Service } from '../../src/main.js';
import { TEST_POLICY } from './executor-harness.js';
import { withLocalCloud, type LocalCloud } from './local-cloud.js';
import { startTestService, tempWorkspace, testConfig } from './service.js';

export interface LocalCloudHarness {
  service: Service;
  cloud: LocalCloud;
  runsDir: string;
  root: string;
  runDir(runId: string): string;
  /** Runs terraform in a deployment's directory with the service's environment. */
  tf(runId: string, args: string[]): ReturnType<LocalCloud['tf']>;
  /** Stops the service, restores process.env, removes the cloud's temp dir. */
  stop(): Promise<void>;
}

export interface LocalCloudOptions {
  /** Further environment for Terraform and the service (e.g. `TF_VAR_token`), set in process.env too. */
  env?: Record<string, string>;
  /** Service configuration (loadConfig input) on top of the test defaults. */
  config?: Record<string, string>;
  overrides?: Overrides;
  /** Policy document (JSON); TEST_POLICY with `node_count` bounds by default. */
  policy?: unknown;
}

export const LOCAL_CLOUD_POLICY = {
  ...TEST_POLICY,
  attributes: { ...TEST_POLICY.attributes, node_count: { min: 1, max: 10, max_step: 4 } },
};

export async function startOnLocalCloud(
  deployments: Record<string, Record<string, string>>,
  opts: LocalCloudOptions = {},
): Promise<LocalCloudHarness> {
  const cloud = withLocalCloud();
  const ws = tempWorkspace('infraai-localcloud-');
  const env = { ...cloud.env, ...opts.env };
  const runDir = (runId: string) => path.join(ws.runsDir, runId);
  const tf = (runId: string, args: string[]) => cloud.tf(args, { cwd: runDir(runId), env });
  const saved = new Map(Object.keys(env).map((k) => [k, process.env[k]]));
  try {
    for (const [runId, files] of Object.entries(deployments)) {
      mkdirSync(runDir(runId), { recursive: true });
      cloud.write(files, runDir(runId));
      for (const args of [['init'], ['apply', '-auto-approve']]) {
        const r = await tf(runId, args);
        if (r.code !== 0) throw new Error(`seeding ${runId}: terraform ${args[0]}: ${r.stderr || r.stdout}`);
      }
    }
    const policyFile = path.join(ws.root, 'policy.json');
    writeFileSync(policyFile, JSON.stringify(opts.policy ?? LOCAL_CLOUD_POLICY));
    Object.assign(process.env, env);
    const service = await startTestService(
      testConfig({ POLICY_FILE: policyFile, ...opts.config }, ws),
      opts.overrides ?? {},
    );
    return {
      service,
      cloud,
      runsDir: ws.runsDir,
      root: ws.root,
      runDir,
      tf,
      async stop() {
        await service.stop();
        restore(saved);
        cloud.cleanup();
      },
    };
  } catch (err) {
    restore(saved);
    cloud.cleanup();
    throw err;
  }
}

function restore(saved: Map<string, string | undefined>): void {
  for (const [k, v] of saved) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}
