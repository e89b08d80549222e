/**
 * Secret redaction shared by every path that lets data leave the process: the database, logs,
 * Telegram, the dashboard and the LLM prompt.
 */
export const REDACTED = '[REDACTED]';

const SECRET_KEY =
  /(pass(word|wd|phrase)?|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential|auth(orization)?|client[_-]?secret|session[_-]?key|signing[_-]?key|\bpwd\b|\bpsk\b)/i;

// Value shapes that are secrets whatever their key is called.
const SECRET_VALUE_PATTERNS: RegExp[] = [
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /\bAKIA[0-9A-Z]{16}\b/, // AWS access key id
  /\bASIA[0-9A-Z]{16}\b/,
  /\bgh[pousr]_[A-Za-z0-9]{30,}\b/, // GitHub tokens
  /\bxox[abprs]-[A-Za-z0-9-]{10,}\b/, // Slack tokens
  /\bAIza[0-9A-Za-z_-]{35}\b/, // Google API keys
  /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\b/, // JWT
  /\b\d{6,12}:[A-Za-z0-9_-]{30,}\b/, // Telegram bot tokens
  /"type"\s*:\s*"service_account"/, // GCP service-account JSON
];

/** True when an attribute called `key` should be treated as holding a secret. */
export function isSecretKey(key: string): boolean {
  if (/^(token_type|auth_type|password_length|key_name|secret_name|secret_id|credential_type)$/i.test(key)) {
    return false;
  }
  return SECRET_KEY.test(key);
}

/** True when the string itself looks like a secret (key material, cloud or bot tokens). */
export function isSecretValue(value: string): boolean {
  return SECRET_VALUE_PATTERNS.some((re) => re.test(value));
}

/**
 * A sensitivity mask as Terraform writes it (`sensitive_values`, `after_sensitive`): `true` marks
 * the whole value, objects and arrays mirror the value's shape.
 */
export type SensitiveMask = boolean | { [key: string]: SensitiveMask } | SensitiveMask[];

/**
 * Returns a copy of `value` with sensitive parts replaced by `[REDACTED]`: those marked in
 * `mask`, those under a secret-looking key, and strings that look like secrets. Every string
 * that was redacted is added to `found`, so copies of it elsewhere can be scrubbed too.
 */
export function redactValue(value: unknown, mask: SensitiveMask | undefined, found: Set<string>, key = ''): unknown {
  if (mask === true || (key !== '' && isSecretKey(key) && value !== null && value !== undefined && value !== '')) {
    collectStrings(value, found);
    return REDACTED;
  }
  if (typeof value === 'string') {
    if (isSecretValue(value)) {
      found.add(value);
      return REDACTED;
    }
    return value;
  }
  if (Array.isArray(value)) {
    const sub = Array.isArray(mask) ? mask : undefined;
    return value.map((v, i) => redactValue(v, sub?.[i], found, ''));
  }
  if (value !== null && typeof value === 'object') {
    const sub = mask !== null && typeof mask === 'object' && !Array.isArray(mask) ? mask : undefined;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = redactValue(v, sub?.[k], found, k);
    }
    return out;
  }
  return value;
}

function collectStrings(value: unknown, found: Set<string>): void {
  if (typeof value === 'string') {
    if (value.length > 0) found.add(value);
  } else if (typeof value === 'number' || typeof value === 'bigint') {
    // Numbers are rarely secrets and scrubbing short numbers would mangle unrelated text.
    if (String(value).length >= 6) found.add(String(value));
  } else if (Array.isArray(value)) {
    for (const v of value) collectStrings(v, found);
  } else if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) collectStrings(v, found);
  }
}

/**
 * Replaces every occurrence of the known secrets inside string leaves of `value` (a copy is
 * returned). Short secrets (< 4 chars) are left alone: scrubbing them would corrupt text.
 */
export function scrubKnownSecrets(value: unknown, secrets: ReadonlySet<string>): unknown {
  const list = [...secrets].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  if (list.length === 0) return value;
  const scrub = (v: unknown): unknown => {
    if (typeof v === 'string') return scrubText(v, list);
    if (Array.isArray(v)) return v.map(scrub);
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = scrub(x);
      return out;
    }
    return v;
  };
  return scrub(value);
}

/** Replaces every occurrence of each secret in `text`, and any secret-looking token. */
export function scrubText(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const s of secrets) {
    if (s.length >= 4 && out.includes(s)) out = out.split(s).join(REDACTED);
  }
  for (const re of SECRET_VALUE_PATTERNS) {
    out = out.replace(new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`), REDACTED);
  }
  return out;
}
