import { REDACTED } from '../shared/redact.js';

/** How a key was derived; lookups report it as `matchedBy`. */
export type KeyKind =
  | 'address'
  | 'block'
  | 'cloud_id'
  | 'self_link'
  | 'label_name'
  | 'name'
  /** `<cluster>/<pool>`, `<cluster>/<service>`, `<namespace>/<deployment>`: a name inside its parent. */
  | 'scoped_name'
  | 'pool'
  | 'label'
  | 'tag'
  /** A machine's network address or DNS name (`instance="10.0.0.5:9100"` finds it once the port is stripped). */
  | 'ip';

export interface LookupKey {
  key: string;
  kind: KeyKind;
}

/** Kinds that identify one resource on their own; when any matches, weaker kinds are ignored. */
export const STRONG_KINDS: ReadonlySet<KeyKind> = new Set(['address', 'block', 'cloud_id', 'self_link']);

const MAX_KEY = 512;

interface KeySource {
  address: string;
  blockAddress: string;
  name: string;
  cloudId: string | null;
  attributes: Record<string, unknown>;
}

/**
 * The keys an alert label may use to name this instance: what real exporters put in their labels.
 * Attributes are read from the top level and, for `terraform_data`-style resources, from a
 * top-level `input` object; Kubernetes objects also from `metadata[0]` (`name`, `namespace`,
 * `labels`). Scoped names: `<cluster>/<name>` when the resource has a `cluster` (GKE node pool,
 * ECS service; an id or ARN counts by its last segment), `<namespace>/<name>` for Kubernetes
 * objects (namespace `default` when unset). Pure; redacted values never become keys.
 */
export function lookupKeysFor(src: KeySource): LookupKey[] {
  const keys = new Map<string, LookupKey>();
  const add = (key: unknown, kind: KeyKind): void => {
    if (typeof key !== 'string' || key === '' || key.length > MAX_KEY || key.includes(REDACTED)) return;
    const id = `${kind}\u0000${key}`;
    if (!keys.has(id)) keys.set(id, { key, kind });
  };
  add(src.address, 'address');
  if (src.blockAddress !== src.address) add(src.blockAddress, 'block');
  add(src.cloudId, 'cloud_id');
  add(src.name, 'label_name');
  addAttributeKeys(src.attributes, add);
  const input = src.attributes['input'];
  if (isRecord(input)) addAttributeKeys(input, add);
  addScopedKeys(src.attributes, add);
  addMachineAddresses(src.attributes, add);
  return [...keys.values()];
}

/** `<cluster>/<name>` and Kubernetes `metadata[0]` keys. */
function addScopedKeys(attrs: Record<string, unknown>, add: (key: unknown, kind: KeyKind) => void): void {
  const name = attrs['name'];
  const cluster = attrs['cluster'];
  if (typeof name === 'string' && typeof cluster === 'string' && cluster !== '' && !cluster.includes(REDACTED)) {
    add(`${lastSegment(cluster)}/${name}`, 'scoped_name');
  }
  const meta = firstBlock(attrs['metadata']);
  if (meta === undefined) return;
  const metaName = meta['name'];
  add(metaName, 'name');
  if (typeof metaName === 'string' && metaName !== '') {
    const ns = meta['namespace'];
    add(`${typeof ns === 'string' && ns !== '' ? ns : 'default'}/${metaName}`, 'scoped_name');
  }
  addMapKeys(meta['labels'], 'label', add);
}

/** Addresses a node exporter's `instance` label may carry (host part). */
function addMachineAddresses(attrs: Record<string, unknown>, add: (key: unknown, kind: KeyKind) => void): void {
  for (const field of ['private_ip', 'public_ip', 'private_dns', 'public_dns']) add(attrs[field], 'ip');
  const nics = attrs['network_interface'];
  if (!Array.isArray(nics)) return;
  for (const nic of nics.slice(0, 8)) {
    if (!isRecord(nic)) continue;
    add(nic['network_ip'], 'ip');
    const access = nic['access_config'];
    if (Array.isArray(access)) for (const a of access.slice(0, 4)) if (isRecord(a)) add(a['nat_ip'], 'ip');
  }
}

/** A nested block as providers store it (a one-element list), or a plain object. */
function firstBlock(v: unknown): Record<string, unknown> | undefined {
  const first: unknown = Array.isArray(v) ? v[0] : v;
  return isRecord(first) ? first : undefined;
}

/** `projects/p/locations/l/clusters/web`, `arn:aws:ecs:r:a:cluster/web` → `web`; a plain name stays. */
export function lastSegment(v: string): string {
  const i = v.lastIndexOf('/');
  return i >= 0 ? v.slice(i + 1) : v;
}

function addAttributeKeys(attrs: Record<string, unknown>, add: (key: unknown, kind: KeyKind) => void): void {
  add(attrs['name'], 'name');
  add(attrs['self_link'], 'self_link');
  add(attrs['pool'], 'pool');
  addMapKeys(attrs['labels'], 'label', add);
  addMapKeys(attrs['tags'], 'tag', add);
}

/** `k=v` and `v` for each string entry of a labels/tags map (aws_instance `tags.Name` → its value). */
function addMapKeys(map: unknown, kind: KeyKind, add: (key: unknown, kind: KeyKind) => void): void {
  if (!isRecord(map)) return;
  for (const [k, v] of Object.entries(map)) {
    if (typeof v !== 'string') continue;
    add(`${k}=${v}`, kind);
    add(v, kind);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
