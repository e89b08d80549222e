import { REDACTED } from '../shared/redact.js';

/** Secrets shorter than this are not scrubbed inside other text (same rule as scrubKnownSecrets). */
const MIN_SECRET = 4;

/**
 * Scrubs every known secret out of string leaves, like `scrubKnownSecrets`, but indexed by
 * length so a state with thousands of sensitive values stays linear: each string is scanned
 * once per distinct secret length instead of once per secret. Longest match wins.
 */
export class SecretScrubber {
  private readonly secrets: Set<string>;
  private readonly lengths: number[];
  private readonly grams: Set<number>;

  constructor(found: Iterable<string>) {
    this.secrets = new Set([...found].filter((s) => s.length >= MIN_SECRET));
    this.lengths = [...new Set([...this.secrets].map((s) => s.length))].sort((a, b) => b - a);
    this.grams = new Set([...this.secrets].map((s) => gram(s, 0)));
  }

  get size(): number {
    return this.secrets.size;
  }

  /** A copy of `value` with every known secret replaced by `[REDACTED]`. Pure. */
  scrub(value: unknown): unknown {
    if (this.secrets.size === 0) return value;
    return this.walk(value);
  }

  /** Returns `v` itself when nothing in it changed, so clean attributes are not copied. */
  private walk(v: unknown): unknown {
    if (typeof v === 'string') return this.scrubString(v);
    if (typeof v === 'number') return this.secrets.has(String(v)) ? REDACTED : v;
    if (Array.isArray(v)) {
      let out: unknown[] | undefined;
      v.forEach((x, i) => {
        const y = this.walk(x);
        if (y !== x) (out ??= [...v])[i] = y;
      });
      return out ?? v;
    }
    if (v !== null && typeof v === 'object') {
      let out: Record<string, unknown> | undefined;
      for (const [k, x] of Object.entries(v)) {
        const y = this.walk(x);
        if (y !== x) (out ??= { ...(v as Record<string, unknown>) })[k] = y;
      }
      return out ?? v;
    }
    return v;
  }

  scrubString(s: string): string {
    if (s.length < MIN_SECRET) return s;
    if (this.secrets.has(s)) return REDACTED;
    let out = '';
    let i = 0;
    let last = 0;
    while (i < s.length) {
      const len = this.matchAt(s, i);
      if (len > 0) {
        out += s.slice(last, i) + REDACTED;
        i += len;
        last = i;
      } else {
        i++;
      }
    }
    return last === 0 ? s : out + s.slice(last);
  }

  private matchAt(s: string, i: number): number {
    // Cheap filter first: only positions whose first MIN_SECRET chars start some secret are sliced.
    if (i + MIN_SECRET > s.length || !this.grams.has(gram(s, i))) return 0;
    for (const len of this.lengths) {
      if (i + len <= s.length && this.secrets.has(s.slice(i, i + len))) return len;
    }
    return 0;
  }
}

/** A number summarising the MIN_SECRET characters at `i` (collisions only cost a slice). */
function gram(s: string, i: number): number {
  return (
    (((s.charCodeAt(i) * 65599 + s.charCodeAt(i + 1)) * 65599 + s.charCodeAt(i + 2)) % 2147483647) * 65599 +
    s.charCodeAt(i + 3)
  );
}
