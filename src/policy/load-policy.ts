import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { AppError } from '../shared/errors.js';
import { DEFAULT_POLICY, PolicySchema, type Policy } from './policy-schema.js';

/**
 * Parses policy text (YAML, of which JSON is a subset) and validates it.
 * @throws AppError ERR_CONFIG listing every problem by path (e.g. `attributes.node_count.max`).
 */
export function parsePolicy(text: string, source = 'policy'): Policy {
  let raw: unknown;
  try {
    raw = parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    throw new AppError('ERR_CONFIG', `${source}: not valid YAML/JSON: ${(err as Error).message}`, { cause: err });
  }
  const parsed = PolicySchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
    throw new AppError('ERR_CONFIG', `${source} is invalid:\n  ${lines.join('\n  ')}`, { details: lines });
  }
  return parsed.data;
}

/**
 * Loads POLICY_FILE, or the built-in default when none is configured. Reads the file once;
 * a restart picks up changes.
 * @throws AppError ERR_CONFIG when the file is missing, unreadable or invalid.
 */
export function loadPolicy(file: string | undefined): Policy {
  if (file === undefined) return DEFAULT_POLICY;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new AppError('ERR_CONFIG', `POLICY_FILE=${file}: ${(err as Error).message}`, { cause: err });
  }
  return parsePolicy(text, `POLICY_FILE=${file}`);
}
