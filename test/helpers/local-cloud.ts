/**
 * The local cloud in a test: a temp dir with the provider mirror installed, its own cloud state
 * file (LOCAL_CLOUD_STATE), a working directory for the configuration and a real `terraform`
 * runner with that environment. Needs `npm run build` (the provider runs from dist/).
 *
 *   const cloud = withLocalCloud();              // afterEach(() => cloud.cleanup())
 *   cloud.write({ 'main.tf': `${GOOGLE_PROVIDER} resource "google_container_node_pool" ...` });
 *   await cloud.tf(['init']); await cloud.tf(['apply', '-auto-approve']);
 *   cloud.readCloudState().resources['google_container_node_pool'];
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { installLocalCloud } from '../../cloud/provider/install.js';
import { type CloudState, readCloudStateFile, updateCloudState } from '../../cloud/provider/store.js';

export interface TfResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface LocalCloud {
  /** The temp dir holding everything below (removed by cleanup). */
  dir: string;
  /** Where `tf` runs by default and `write` puts files. */
  workdir: string;
  /** The cloud's JSON state (LOCAL_CLOUD_STATE). */
  stateFile: string;
  /** Environment for terraform: TF_CLI_CONFIG_FILE, LOCAL_CLOUD_STATE, TF_IN_AUTOMATION, CHECKPOINT_DISABLE. */
  env: Record<string, string>;
  write(files: Record<string, string>, dir?: string): void;
  /** Runs real terraform (adds -no-color -input=false where they apply); never throws on exit code. */
  tf(args: string[], options?: { cwd?: string; env?: Record<string, string> }): Promise<TfResult>;
  readCloudState(): CloudState;
  /** An out-of-band edit of the cloud (what a person with console access would do). */
  editCloudState(edit: (state: CloudState) => void): void;
  cleanup(): void;
}

export const GOOGLE_PROVIDER = `terraform {
  required_providers {
    google = { source = "hashicorp/google" }
  }
}
provider "google" {
  project = "demo-project"
  region  = "europe-west1"
  zone    = "europe-west1-b"
}
`;
export const AWS_PROVIDER = `terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}
provider "aws" {
  region                      = "eu-west-1"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
}
`;
export const KUBERNETES_PROVIDER = `terraform {
  required_providers {
    kubernetes = { source = "hashicorp/kubernetes" }
  }
}
provider "kubernetes" {
  host = "https://127.0.0.1:6443"
}
`;

const NO_COLOR = new Set(['init', 'validate', 'plan', 'apply', 'destroy', 'show', 'refresh', 'import', 'output']);
const NO_INPUT = new Set(['init', 'plan', 'apply', 'destroy', 'refresh', 'import']);

export function withLocalCloud(): LocalCloud {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'local-cloud-'));
  const install = installLocalCloud(path.join(dir, 'install'));
  const workdir = path.join(dir, 'work');
  mkdirSync(workdir);
  const stateFile = path.join(dir, 'cloud.json');
  const env = { ...install.env, LOCAL_CLOUD_STATE: stateFile, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' };
  return {
    dir,
    workdir,
    stateFile,
    env,
    write(files, into = workdir) {
      for (const [name, content] of Object.entries(files)) {
        mkdirSync(path.dirname(path.join(into, name)), { recursive: true });
        writeFileSync(path.join(into, name), content);
      }
    },
    tf(args, options = {}) {
      const [cmd, ...rest] = args;
      const full = [
        cmd ?? '',
        ...(cmd && NO_COLOR.has(cmd) ? ['-no-color'] : []),
        ...(cmd && NO_INPUT.has(cmd) ? ['-input=false'] : []),
        ...rest,
      ];
      return new Promise((resolve) => {
        execFile(
          'terraform',
          full,
          {
            cwd: options.cwd ?? workdir,
            env: { ...process.env, ...env, ...options.env },
            maxBuffer: 64 * 1024 * 1024,
            timeout: 120_000,
          },
          (err, stdout, stderr) => {
            const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
            resolve({ code, stdout, stderr });
          },
        );
      });
    },
    readCloudState: () => readCloudStateFile(stateFile),
    editCloudState: (edit) => updateCloudState(stateFile, edit),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** `terraform show -json <planfile>` parsed (the shape tests assert on). */
export async function planJson(cloud: LocalCloud, planFile = 'tfplan', cwd?: string): Promise<any> {
  const r = await cloud.tf(['show', '-json', planFile], { cwd });
  if (r.code !== 0) throw new Error(`terraform show failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}
