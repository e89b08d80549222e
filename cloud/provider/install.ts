/**
 * Installs the local cloud for Terraform: a filesystem mirror holding
 * `registry.terraform.io/hashicorp/{google/6.99.0,aws/5.99.0,kubernetes/2.99.0}/linux_amd64/terraform-provider-<name>_v<ver>`
 * (two-line sh scripts that exec node on dist/cloud/provider/main.js) and a CLI config with a
 * filesystem_mirror + direct exclude, so `terraform init` works offline. Idempotent.
 *
 * CLI: `node dist/cloud/provider/install.js <dir>` prints `export TF_CLI_CONFIG_FILE=...`.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const LOCAL_PROVIDERS = { google: '6.99.0', aws: '5.99.0', kubernetes: '2.99.0' } as const;
export type LocalProviderName = keyof typeof LOCAL_PROVIDERS;

export interface LocalCloudInstall {
  cliConfigFile: string;
  mirrorDir: string;
  /** What Terraform's environment needs (TF_CLI_CONFIG_FILE). LOCAL_CLOUD_STATE is the caller's. */
  env: Record<string, string>;
}

/** The compiled entry point, also when this file is imported from source (tests run .ts). */
function mainJs(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const inDist = here.split(path.sep).includes('dist');
  const file = inDist ? path.join(here, 'main.js') : path.resolve(here, '../../dist/cloud/provider/main.js');
  if (!existsSync(file)) throw new Error(`local cloud: ${file} is missing; run \`npm run build\` first`);
  return file;
}

function writeIfChanged(file: string, content: string, mode: number): void {
  if (existsSync(file) && readFileSync(file, 'utf8') === content) return;
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, file);
}

function hcl(s: string): string {
  return JSON.stringify(s);
}

export function installLocalCloud(dir: string): LocalCloudInstall {
  const root = path.resolve(dir);
  const mirrorDir = path.join(root, 'mirror');
  const entry = mainJs();
  for (const [name, version] of Object.entries(LOCAL_PROVIDERS)) {
    const pkgDir = path.join(mirrorDir, 'registry.terraform.io', 'hashicorp', name, version, 'linux_amd64');
    mkdirSync(pkgDir, { recursive: true });
    const script = `#!/bin/sh\nexec ${hcl(process.execPath)} ${hcl(entry)} ${name} "$@"\n`;
    writeIfChanged(path.join(pkgDir, `terraform-provider-${name}_v${version}`), script, 0o755);
  }
  const cliConfigFile = path.join(root, 'terraformrc');
  const config = [
    'provider_installation {',
    '  filesystem_mirror {',
    `    path    = ${hcl(mirrorDir)}`,
    '    include = ["registry.terraform.io/hashicorp/google", "registry.terraform.io/hashicorp/aws", "registry.terraform.io/hashicorp/kubernetes"]',
    '  }',
    '  direct {',
    '    exclude = ["registry.terraform.io/hashicorp/google", "registry.terraform.io/hashicorp/aws", "registry.terraform.io/hashicorp/kubernetes"]',
    '  }',
    '}',
    '',
  ].join('\n');
  writeIfChanged(cliConfigFile, config, 0o644);
  return { cliConfigFile, mirrorDir, env: { TF_CLI_CONFIG_FILE: cliConfigFile } };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write('usage: node dist/cloud/provider/install.js <dir>\n');
    process.exit(2);
  }
  const { env } = installLocalCloud(dir);
  for (const [k, v] of Object.entries(env)) process.stdout.write(`export ${k}=${JSON.stringify(v)}\n`);
}
