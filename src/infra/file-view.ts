/**
 * What one configuration file declares, as one reader saw it. Both readers of native HCL
 * (tree-sitter's CST and HashiCorp's parser via hcl2-parser) and the reader of `.tf.json` produce
 * this shape, so the readings can be compared and the rules below are written once.
 */
import type { InfraAllowList } from './allow-list.js';
import type { Finding } from './expression-check.js';

export interface FileView {
  /** `TYPE.NAME` of managed resources, one entry per block. */
  resources: string[];
  /** `data.TYPE.NAME`, one entry per block. */
  data: string[];
  moduleCalls: Array<{ name: string; source: string }>;
  /** Provider local names named by `provider` blocks and `required_providers`. */
  providers: string[];
  /** Declared `variable` names. */
  variables: string[];
  /** Names a tfvars file assigns. */
  assigned: string[];
  findings: Finding[];
}

export function emptyView(): FileView {
  return { resources: [], data: [], moduleCalls: [], providers: [], variables: [], assigned: [], findings: [] };
}

/** Terraform's rule for names, without escapes (a label that needs escaping is refused). */
export const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export const RESOURCE_META = ['provisioner', 'connection'];

export function plainFinding(file: string, line: number | null, message: string, what = message): Finding {
  return { file, line, message: `${file}${line === null ? '' : `:${line}`}: ${message}`, key: `${file}|${what}` };
}

/**
 * A module source must be a literal local path: `./x` or `../x`, plain characters only. URLs,
 * `git::`/`s3::` getters, `file://`, registry addresses, absolute paths and `//` sub-directory
 * syntax would make `terraform init` fetch or link code from elsewhere. Whether the path stays
 * inside the deployment is decided once the module's directory is known (config-guard.ts).
 */
export function moduleSourceProblem(source: string): string | undefined {
  if (!/^\.\.?\//.test(source)) {
    return `module source "${clip(source)}" is not allowed: only relative paths inside the deployment ("./x", "../x") — no registry addresses, URLs, git:: or file:// sources, no absolute paths`;
  }
  if (!/^[A-Za-z0-9_./-]+$/.test(source) || source.includes('//'))
    return `module source "${clip(source)}" may only contain letters, digits, "_", "-", "." and single "/"`;
  return undefined;
}

/** Why a `required_providers` entry is refused, or undefined. */
export function requiredProviderProblem(
  allow: InfraAllowList,
  name: string,
  source: string | undefined,
): string | undefined {
  const rule = allow.providers[name];
  if (rule === undefined)
    return `provider "${name}" is not allowed (allowed: ${Object.keys(allow.providers).join(', ')})`;
  if (source === undefined) return undefined;
  const full = source.split('/').length === 2 ? `registry.terraform.io/${source}` : source;
  if (full.toLowerCase() !== rule.source.toLowerCase())
    return `provider "${name}" must come from "${rule.source}", not "${clip(source)}"`;
  return undefined;
}

/** Why a `provider` block argument is refused, or undefined. */
export function providerArgumentProblem(allow: InfraAllowList, name: string, argument: string): string | undefined {
  const rule = allow.providers[name];
  if (rule === undefined)
    return `provider "${name}" is not allowed (allowed: ${Object.keys(allow.providers).join(', ')})`;
  if (argument === 'alias' || rule.arguments.includes(argument)) return undefined;
  return `provider "${name}" argument "${argument}" is not allowed (allowed: ${['alias', ...rule.arguments].join(', ')})`;
}

export function clip(s: string, max = 80): string {
  return s.length > max ? `${s.slice(0, max - 3)}...` : s;
}

/** The comparable part of a view: sorted copies of what each reader declared. */
export function viewSignature(v: FileView): string {
  const sorted = (xs: string[]) => [...xs].sort();
  return JSON.stringify({
    resources: sorted(v.resources),
    data: sorted(v.data),
    modules: sorted(v.moduleCalls.map((m) => `${m.name}=${m.source}`)),
    providers: sorted(v.providers),
    variables: sorted(v.variables),
    assigned: sorted(v.assigned),
  });
}
