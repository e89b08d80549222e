/**
 * Secrets visible in configuration text before any plan exists: defaults of variables declared
 * `sensitive = true`, and values assigned to those variables (or to secret-looking names) in
 * tfvars files and literals. Prepare stores config text (diffs with context lines, fix rounds) and
 * may send a file to the fix agent long before `terraform show -json` could tell which values are
 * sensitive, so these are scrubbed by value from everything it keeps.
 *
 * Text-level on purpose: it must also work on files that no longer parse (a fix round's input).
 * Pure; never throws.
 */
import { isSecretKey, scrubKnownSecrets } from '../shared/redact.js';

const QUOTED = String.raw`"((?:[^"\\\n]|\\.)*)"`;

/** The body of each `variable "NAME" { … }` block (brace-counted, strings skipped). */
function variableBlocks(text: string): Array<{ name: string; body: string }> {
  const out: Array<{ name: string; body: string }> = [];
  const head = /^\s*variable\s+"([^"]+)"\s*\{/gm;
  for (let m = head.exec(text); m !== null; m = head.exec(text)) {
    let depth = 1;
    let i = head.lastIndex;
    let inString = false;
    for (; i < text.length && depth > 0; i++) {
      const ch = text[i];
      if (inString) {
        if (ch === '\\') i++;
        else if (ch === '"') inString = false;
      } else if (ch === '"') inString = true;
      else if (ch === '{') depth++;
      else if (ch === '}') depth--;
    }
    out.push({ name: m[1] as string, body: text.slice(head.lastIndex, i - 1) });
  }
  return out;
}

/** `name = "value"` assignments (HCL) in `text`. */
function assignments(text: string): Array<[string, string]> {
  const re = new RegExp(String.raw`^\s*"?([A-Za-z_][\w-]*)"?\s*=\s*${QUOTED}`, 'gm');
  return [...text.matchAll(re)].map((m) => [m[1] as string, unescape(m[2] as string)]);
}

function unescape(s: string): string {
  try {
    return JSON.parse(`"${s}"`) as string;
  } catch {
    return s;
  }
}

function jsonSecrets(text: string, sensitive: ReadonlySet<string>, found: Set<string>): void {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return;
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return;
  for (const [k, v] of Object.entries(doc)) {
    if (typeof v === 'string' && (sensitive.has(k) || isSecretKey(k))) found.add(v);
  }
}

/** Names of variables declared sensitive in any `.tf` file, and their string defaults. */
function sensitiveVariables(files: Readonly<Record<string, string>>): { names: Set<string>; defaults: Set<string> } {
  const names = new Set<string>();
  const defaults = new Set<string>();
  for (const [name, text] of Object.entries(files)) {
    if (!name.endsWith('.tf')) continue;
    for (const block of variableBlocks(text)) {
      if (!/^\s*sensitive\s*=\s*true\b/m.test(block.body)) continue;
      names.add(block.name);
      const d = new RegExp(String.raw`^\s*default\s*=\s*${QUOTED}`, 'm').exec(block.body);
      if (d) defaults.add(unescape(d[1] as string));
    }
  }
  return { names, defaults };
}

/** Every secret string visible in the configuration files (file name → text). */
export function configSecrets(files: Readonly<Record<string, string>>): Set<string> {
  const { names, defaults } = sensitiveVariables(files);
  const found = new Set(defaults);
  for (const [name, text] of Object.entries(files)) {
    if (name.endsWith('.json')) {
      if (/\.tfvars\.json$/.test(name)) jsonSecrets(text, names, found);
      continue;
    }
    const isVars = name.endsWith('.tfvars');
    for (const [key, value] of assignments(text)) {
      if (isSecretKey(key) || (isVars && names.has(key))) found.add(value);
    }
  }
  for (const v of [...found]) if (v.trim().length < 4) found.delete(v);
  return found;
}

/** A copy of `value` with every secret in `secrets` (and secret-looking token) scrubbed from its strings. */
export function scrubStored<T>(value: T, secrets: ReadonlySet<string>): T {
  return scrubKnownSecrets(value, secrets) as T;
}

/**
 * Replaces each secret in `text` by a numbered placeholder (for the fix agent, which must see the
 * file but never its secrets) and returns how to put them back into the agent's answer.
 */
export function maskSecrets(
  text: string,
  secrets: Iterable<string>,
): { masked: string; restore: (answer: string) => string } {
  const list = [...new Set(secrets)].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  const used: Array<[string, string]> = [];
  let masked = text;
  list.forEach((secret, i) => {
    if (!masked.includes(secret)) return;
    const placeholder = `__INFRAAI_SECRET_${i + 1}__`;
    masked = masked.split(secret).join(placeholder);
    used.push([placeholder, secret]);
  });
  const restore = (answer: string) => used.reduce((out, [p, s]) => out.split(p).join(s), answer);
  return { masked, restore };
}
