/**
 * The load file (env LOCAL_CLOUD_LOAD), re-read on every scrape so editing it changes the metrics
 * on the next scrape. Format (every key optional):
 *
 *   {
 *     "demand": { "<pool|group|service|deployment name>": 2.7, "<cluster>/<pool>": 1.2 },
 *     "memory": { "<instance name>": 0.93 },
 *     "down":   ["<instance name>"]
 *   }
 *
 * demand = work in units of one node / instance / task / replica; utilisation = demand / capacity.
 * memory = fraction of the instance's memory in use. down = instances whose health gauge reads 0.
 */
import { isObject, readOptional } from './cloud-state.js';

export interface Load {
  demand: Record<string, number>;
  memory: Record<string, number>;
  down: string[];
}

export const NO_LOAD: Load = { demand: {}, memory: {}, down: [] };

/**
 * The load at `file`; a missing file is no extra load (defaults apply).
 * @throws Error naming the file and the field when it is not the format above.
 */
export function readLoad(file: string | undefined): Load {
  const text = readOptional(file);
  if (text === undefined) return NO_LOAD;
  const parsed: unknown = JSON.parse(text);
  if (!isObject(parsed)) throw new Error(`${file}: the load file must be a JSON object`);
  return {
    demand: numbers(parsed.demand, `${file}: demand`),
    memory: numbers(parsed.memory, `${file}: memory`),
    down: names(parsed.down, `${file}: down`),
  };
}

function numbers(v: unknown, where: string): Record<string, number> {
  if (v === undefined) return {};
  if (!isObject(v)) throw new Error(`${where} must be an object of name → number`);
  const out: Record<string, number> = {};
  for (const [k, n] of Object.entries(v)) {
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0)
      throw new Error(`${where}.${k} must be a number ≥ 0, got ${JSON.stringify(n)}`);
    out[k] = n;
  }
  return out;
}

function names(v: unknown, where: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new Error(`${where} must be a list of names`);
  return v as string[];
}
