/**
 * What a configuration submitted through POST /infra (or changed by the fix agent) may contain.
 * An allow-list on purpose: anything not named here is refused, so a Terraform feature InfraAI
 * has not thought about (a new block type, a new function, a provider-defined function) cannot
 * slip through. Later work adds the local provider's types here, and nowhere else.
 */

export interface ProviderRule {
  /** Terraform's full source address, as `terraform graph` prints it. */
  source: string;
  /** Arguments (and nested block types) a `provider` block may set, besides `alias`. */
  arguments: readonly string[];
}

export interface InfraAllowList {
  /** Managed resource types. The provider is the type's prefix up to the first `_`. */
  resourceTypes: readonly string[];
  /** Data source types (none yet: a data source reads from outside the submitted files). */
  dataSourceTypes: readonly string[];
  /** Providers by local name. `terraform` is Terraform's built-in provider (terraform_data). */
  providers: Readonly<Record<string, ProviderRule>>;
  /** Pure functions: no filesystem, no time-of-check surprises, no provider code. */
  functions: readonly string[];
}

/** Never allowed, whatever the list above says: they read state or run programs on this host. */
export const NEVER_ALLOWED_TYPES: readonly string[] = [
  'terraform_remote_state',
  'external',
  'local_file',
  'local_sensitive_file',
];

export const INFRA_ALLOW_LIST: InfraAllowList = {
  resourceTypes: ['terraform_data'],
  dataSourceTypes: [],
  providers: {
    terraform: { source: 'terraform.io/builtin/terraform', arguments: [] },
  },
  functions: [
    // numeric
    'abs',
    'ceil',
    'floor',
    'log',
    'max',
    'min',
    'parseint',
    'pow',
    'signum',
    // string
    'chomp',
    'endswith',
    'format',
    'formatlist',
    'indent',
    'join',
    'lower',
    'regex',
    'regexall',
    'replace',
    'split',
    'startswith',
    'strcontains',
    'strrev',
    'substr',
    'title',
    'trim',
    'trimprefix',
    'trimsuffix',
    'trimspace',
    'upper',
    // collection
    'alltrue',
    'anytrue',
    'chunklist',
    'coalesce',
    'coalescelist',
    'compact',
    'concat',
    'contains',
    'distinct',
    'element',
    'flatten',
    'index',
    'keys',
    'length',
    'lookup',
    'matchkeys',
    'merge',
    'one',
    'range',
    'reverse',
    'setintersection',
    'setsubtract',
    'setunion',
    'slice',
    'sort',
    'sum',
    'transpose',
    'values',
    'zipmap',
    // encoding
    'base64decode',
    'base64encode',
    'csvdecode',
    'jsondecode',
    'jsonencode',
    'urlencode',
    'yamldecode',
    'yamlencode',
    // hashing, ids, time, networks
    'md5',
    'sha1',
    'sha256',
    'sha512',
    'base64sha256',
    'base64sha512',
    'uuid',
    'uuidv5',
    'formatdate',
    'timeadd',
    'timecmp',
    'timestamp',
    'plantimestamp',
    'cidrhost',
    'cidrnetmask',
    'cidrsubnet',
    'cidrsubnets',
    // types
    'can',
    'try',
    'sensitive',
    'tobool',
    'tolist',
    'tomap',
    'tonumber',
    'toset',
    'tostring',
  ],
};

/**
 * Type constructors: call-shaped in HCL (`list(string)`), but only inside a variable's `type`,
 * where Terraform reads them as a type, never as a function.
 */
export const TYPE_CONSTRUCTORS: readonly string[] = ['list', 'map', 'set', 'object', 'tuple', 'optional'];

/** Top-level block types a configuration may use. */
export const TOP_LEVEL_BLOCKS: readonly string[] = [
  'resource',
  'data',
  'variable',
  'output',
  'locals',
  'module',
  'terraform',
  'provider',
];

/** The provider a resource or data source type belongs to (Terraform's implied provider). */
export function providerOfType(type: string): string {
  const cut = type.indexOf('_');
  return cut < 0 ? type : type.slice(0, cut);
}

/** Why `type` is refused as a resource (mode 'managed') or data source, or undefined when allowed. */
export function refuseType(allow: InfraAllowList, mode: 'managed' | 'data', type: string): string | undefined {
  const list = mode === 'managed' ? allow.resourceTypes : allow.dataSourceTypes;
  const what = mode === 'managed' ? 'resource' : 'data source';
  if (NEVER_ALLOWED_TYPES.includes(type))
    return `${what} type "${type}" is never allowed (it reads files or state or runs programs on the InfraAI host)`;
  if (!list.includes(type))
    return `${what} type "${type}" is not allowed (allowed: ${list.length > 0 ? list.join(', ') : 'none'})`;
  if (allow.providers[providerOfType(type)] === undefined)
    return `${what} type "${type}" belongs to provider "${providerOfType(type)}", which is not allowed`;
  return undefined;
}
