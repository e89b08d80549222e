import { REDACTED } from '../shared/redact.js';

/** How a key was derived; lookups report it as `matchedBy`. */
export type KeyKind = 'address' | 'block' | 'cloud_id' | 'self_link' | 'label_name' | 'name' | 'pool' | 'label' | 'tag';

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
 * The keys an alert label may use to name this instance. Attributes are read from the top
 * level and, for `terraform_data`-style resources, from a top-level `input` object. Pure;
 * redacted values never become keys.
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
  return [...keys.values()];
}

function addAttributeKeys(attrs: Record<string, unknown>, add: (key: unknown, kind: KeyKind) => void): void {
  add(attrs['name'], 'name');
  add(attrs['self_link'], 'self_link');
  add(attrs['pool'], 'pool');
  for (const [field, kind] of [
    ['labels', 'label'],
    ['tags', 'tag'],
  ] as const) {
    const map = attrs[field];
    if (!isRecord(map)) continue;
    for (const [k, v] of Object.entries(map)) {
      if (typeof v !== 'string') continue;
      add(`${k}=${v}`, kind);
      add(v, kind);
    }
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
