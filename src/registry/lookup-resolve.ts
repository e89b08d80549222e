import { STRONG_KINDS, type KeyKind } from './lookup-keys.js';
import { isForEachInstance, type RegistryResource } from './registry-port.js';

/** The fields a lookup decision needs; the full resource is loaded only for the answer. */
export type MatchRef = Pick<RegistryResource, 'runId' | 'address' | 'blockAddress' | 'indexKey'>;

export interface KeyMatch<T extends MatchRef> {
  resource: T;
  kind: KeyKind;
}

export type LookupMatch<T extends MatchRef> =
  | { status: 'matched'; resource: T; matchedBy: string }
  | { status: 'ambiguous'; candidates: T[]; reason: string }
  | { status: 'unknown'; reason: string };

export const MAX_CANDIDATES = 10;

/** Kinds that name one instance on their own (not a label or tag several instances may share, not the block). */
const INSTANCE_KINDS: ReadonlySet<KeyKind> = new Set([
  'address',
  'cloud_id',
  'self_link',
  'label_name',
  'name',
  'scoped_name',
  'pool',
  'ip',
]);

/**
 * Turns the rows a key matched into one answer. Pure.
 * - Strong kinds (address, cloud id, self_link) win over weak ones (labels, names, tags).
 * - All matches instances of one `count` block in one deployment → `matched`, first instance.
 * - Several instances of one `for_each` block: the one instance the key names exactly (by an
 *   instance kind: address, name, pool…, while the others matched only by label, tag or block)
 *   → `matched`, that instance; otherwise `ambiguous` naming them (they are not interchangeable).
 * - Matches in two deployments or two blocks → `ambiguous` with the reason; never a pick.
 */
export function resolveMatches<T extends MatchRef>(
  key: string,
  matches: Array<KeyMatch<T>>,
  truncated = false,
): LookupMatch<T> {
  if (matches.length === 0) return { status: 'unknown', reason: `no present managed resource has the key "${key}"` };
  const strong = matches.filter((m) => STRONG_KINDS.has(m.kind));
  const pool = strong.length > 0 ? strong : matches;
  const byResource = new Map<string, { resource: T; kinds: Set<KeyKind> }>();
  for (const m of pool) {
    const id = `${m.resource.runId}\u0000${m.resource.address}`;
    const entry = byResource.get(id) ?? { resource: m.resource, kinds: new Set<KeyKind>() };
    entry.kinds.add(m.kind);
    byResource.set(id, entry);
  }
  const entries = [...byResource.values()].sort((a, b) => compareResources(a.resource, b.resource));
  const blocks = new Set(entries.map((e) => `${e.resource.runId}\u0000${e.resource.blockAddress}`));
  const first = entries[0];
  if (
    first !== undefined &&
    blocks.size === 1 &&
    entries.length > 1 &&
    entries.some((e) => isForEachInstance(e.resource))
  ) {
    const named = entries.filter((e) => [...e.kinds].some((k) => INSTANCE_KINDS.has(k)));
    const only = named[0];
    if (only !== undefined && named.length === 1) {
      return { status: 'matched', resource: only.resource, matchedBy: [...only.kinds].sort().join(',') };
    }
    const shown = entries.slice(0, MAX_CANDIDATES).map((e) => e.resource);
    const atLeast = truncated ? 'at least ' : '';
    return {
      status: 'ambiguous',
      candidates: shown,
      reason: `key "${key}" matches ${atLeast}${entries.length} for_each instances of ${first.resource.runId}:${first.resource.blockAddress} (${shown.map((r) => r.address).join(', ')}); for_each instances are distinct targets: use a label that names one`,
    };
  }
  if (first !== undefined && blocks.size === 1) {
    const kinds = new Set(entries.flatMap((e) => [...e.kinds]));
    return { status: 'matched', resource: first.resource, matchedBy: [...kinds].sort().join(',') };
  }
  const candidates = entries.slice(0, MAX_CANDIDATES).map((e) => e.resource);
  const blockList = [...blocks].map((b) => {
    const [runId = '', blockAddress = ''] = b.split('\u0000');
    return { runId, blockAddress };
  });
  return { status: 'ambiguous', candidates, reason: ambiguityReason(key, blockList, truncated) };
}

/** Why a key names no single resource: the deployments and blocks it matched. Pure. */
export function ambiguityReason(
  key: string,
  blocks: Array<{ runId: string; blockAddress: string }>,
  truncated: boolean,
): string {
  const atLeast = truncated ? 'at least ' : '';
  const runs = [...new Set(blocks.map((b) => b.runId))];
  const names = blocks.slice(0, MAX_CANDIDATES).map((b) => `${b.runId}:${b.blockAddress}`);
  return runs.length > 1
    ? `key "${key}" matches resources in ${atLeast}${runs.length} deployments (${runs.slice(0, MAX_CANDIDATES).join(', ')}): ${names.join(', ')}`
    : `key "${key}" matches ${atLeast}${blocks.length} different resources in deployment "${runs[0] ?? ''}": ${names.join(', ')}`;
}

/** Deployment, then block, then instance key (numbers numerically, so pool[2] < pool[10]). */
function compareResources(a: MatchRef, b: MatchRef): number {
  if (a.runId !== b.runId) return a.runId < b.runId ? -1 : 1;
  if (a.blockAddress !== b.blockAddress) return a.blockAddress < b.blockAddress ? -1 : 1;
  const ai = a.indexKey;
  const bi = b.indexKey;
  if (typeof ai === 'number' && typeof bi === 'number') return ai - bi;
  return String(ai ?? '').localeCompare(String(bi ?? ''));
}
