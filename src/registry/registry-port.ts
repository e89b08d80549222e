/** What the alert path and the executor need from the registry. */

export interface RegistryResource {
  runId: string;
  /** Full instance address, e.g. `module.a.terraform_data.pool[1]`. */
  address: string;
  /** The resource block's address without the instance key, e.g. `module.a.terraform_data.pool`. */
  blockAddress: string;
  modulePath: string;
  mode: 'managed' | 'data';
  type: string;
  name: string;
  indexKey: number | string | null;
  provider: string;
  cloudId: string | null;
  /** Attributes with secrets removed. */
  attributes: Record<string, unknown>;
  /**
   * The block's `lifecycle { ignore_changes = [...] }` as written in the configuration (dotted
   * paths, or `all`), read at sync; absent when unknown (not read yet, or the block is in a module).
   */
  ignoredChanges?: readonly string[];
  status: 'present' | 'gone';
}

export type LookupResult =
  | { status: 'matched'; resource: RegistryResource; matchedBy: string }
  | { status: 'ambiguous'; candidates: RegistryResource[]; reason: string }
  | { status: 'unknown'; reason: string };

export interface RegistryLookup {
  /**
   * Finds the one managed, present resource a key names: Terraform name label, full address,
   * cloud id, the `name`/`self_link` attributes, or a label/tag value. Matches in two
   * deployments (or two different blocks) give `ambiguous`, never a pick. When every match is an
   * instance of one block (count/for_each) the result is `matched` with the first instance; the
   * owner is then `resource.blockAddress`. Reads only; never throws for a miss.
   */
  lookup(key: string): LookupResult;
  /**
   * Changes whenever a lookup may answer differently (any registry write, by this process or
   * another). Callers may cache lookups while it stays the same; absent means "do not cache".
   * Reads only; cheap (called once per intake batch).
   */
  generation?(): string;
  /** The resource at an exact address in a deployment, or undefined. Reads only. */
  get(runId: string, address: string): RegistryResource | undefined;
  /**
   * The alert labels that select a deployment (its infraai.yaml `labels`); undefined when it has
   * none. An ambiguous key is narrowed to the deployments whose labels the alert all carries. Reads only.
   */
  deploymentLabels?(runId: string): Readonly<Record<string, string>> | undefined;
  /**
   * When `file` (relative to RUNS_DIR, e.g. `modules/pool/main.tf`) belongs to a local module that
   * `runId` calls and other deployments call too (as read at their last sync): the module's dir and
   * those deployments. An edit there would change them as well. Undefined otherwise. Reads only.
   */
  sharedModuleUsers?(runId: string, file: string): { moduleDir: string; runIds: string[] } | undefined;
  /** Present managed resources of a deployment (the neighbours given to the agent). Reads only. */
  listByDeployment(runId: string, limit?: number): RegistryResource[];
}

/** A `for_each` instance (string key): not interchangeable with its block's other instances. */
export function isForEachInstance(r: Pick<RegistryResource, 'indexKey'>): boolean {
  return typeof r.indexKey === 'string';
}

/**
 * What incidents, decisions and actions target for a resource: a `for_each` instance is its own
 * target (`module.m.terraform_data.pool["web"]`); a `count` instance or a single resource is its
 * block (count instances are interchangeable). Pure.
 */
export function targetAddressOf(r: Pick<RegistryResource, 'address' | 'blockAddress' | 'indexKey'>): string {
  return isForEachInstance(r) ? r.address : r.blockAddress;
}
