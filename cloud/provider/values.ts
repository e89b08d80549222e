/**
 * Terraform values as the plugin protocol carries them: cty values encoded in msgpack, where an
 * unknown value ("known after apply") is msgpack extension type 0 and a refined unknown type 12.
 */
import { decode, encode, ExtensionCodec } from '@msgpack/msgpack';

/** The one unknown value (decoded from ext 0 or ext 12, encoded as ext 0). */
export class Unknown {
  toJSON(): string {
    return '(known after apply)';
  }
}
export const UNKNOWN = new Unknown();

export type Value = null | string | number | boolean | Unknown | Value[] | ValueMap;
export interface ValueMap {
  [key: string]: Value;
}

const codec = new ExtensionCodec();
codec.register({
  type: 0,
  encode: (input: unknown) => (input instanceof Unknown ? new Uint8Array([0]) : null),
  decode: () => UNKNOWN,
});
codec.register({ type: 12, encode: () => null, decode: () => UNKNOWN });

export function decodeValue(bytes: Uint8Array | undefined | null): Value {
  if (!bytes || bytes.length === 0) return null;
  return fromRaw(decode(bytes, { extensionCodec: codec }));
}

export function encodeValue(value: Value): Buffer {
  const bytes = encode(value, { extensionCodec: codec, ignoreUndefined: true });
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Raw decoded msgpack/JSON → Value (Uint8Array strings, bigints and undefined normalised). */
export function fromRaw(raw: unknown): Value {
  if (raw === null || raw === undefined) return null;
  if (raw instanceof Unknown) return raw;
  if (typeof raw === 'string' || typeof raw === 'boolean') return raw;
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'bigint') return Number(raw);
  if (raw instanceof Uint8Array) return Buffer.from(raw).toString('utf8');
  if (Array.isArray(raw)) return raw.map(fromRaw);
  if (typeof raw === 'object') {
    const out: ValueMap = {};
    for (const [k, v] of Object.entries(raw as Record<string, unknown>)) out[k] = fromRaw(v);
    return out;
  }
  return null;
}

export function isMap(v: Value | undefined): v is ValueMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Unknown);
}

export function isKnown(v: Value | undefined): boolean {
  if (v instanceof Unknown) return false;
  if (Array.isArray(v)) return v.every(isKnown);
  if (isMap(v)) return Object.values(v).every(isKnown);
  return true;
}

/** Deep equality; an unknown equals nothing (a change to "known after apply" is a change). */
export function equalValues(a: Value | undefined, b: Value | undefined): boolean {
  if (a instanceof Unknown || b instanceof Unknown) return false;
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => equalValues(x, b[i]));
  }
  if (isMap(a) || isMap(b)) {
    if (!isMap(a) || !isMap(b)) return false;
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!equalValues(a[k] ?? null, b[k] ?? null)) return false;
    return true;
  }
  return a === b;
}
