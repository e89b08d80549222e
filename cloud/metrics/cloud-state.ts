/**
 * Reading the local cloud's state file (format: /work/notes/common.md, "The local cloud"): one JSON
 * object `{"version":1,"resources":{"<type>":{"<id>":{attributes as Terraform state holds them}}}}`.
 * Read on every scrape; writers replace it atomically, so a read sees a whole file or none.
 */
import { readFileSync } from 'node:fs';

export type Attributes = Record<string, unknown>;

/** Resources of the cloud, by type then id. Missing file or missing type = no resources. */
export interface CloudState {
  resources: Record<string, Record<string, Attributes>>;
}

export const EMPTY_STATE: CloudState = { resources: {} };

/**
 * The state at `file`. A missing file is an empty cloud (nothing applied yet).
 * @throws Error naming the file when it exists but is not the state format (a scrape then fails loudly).
 */
export function readCloudState(file: string | undefined): CloudState {
  const text = readOptional(file);
  if (text === undefined) return EMPTY_STATE;
  const parsed: unknown = JSON.parse(text);
  if (!isObject(parsed) || !isObject(parsed.resources)) {
    throw new Error(`${file}: not a local cloud state file (expected {"version":1,"resources":{…}})`);
  }
  const resources: CloudState['resources'] = {};
  for (const [type, byId] of Object.entries(parsed.resources)) {
    if (!isObject(byId)) continue;
    const items: Record<string, Attributes> = {};
    for (const [id, attrs] of Object.entries(byId)) if (isObject(attrs)) items[id] = attrs;
    resources[type] = items;
  }
  return { resources };
}

/** File text, or undefined when there is no path or no file. */
export function readOptional(file: string | undefined): string | undefined {
  if (file === undefined || file === '') return undefined;
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A string attribute, or undefined. */
export function str(attrs: Attributes | undefined, key: string): string | undefined {
  const v = attrs?.[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** A number attribute; numeric strings (kubernetes `spec.replicas`) count as numbers. */
export function num(attrs: Attributes | undefined, key: string): number | undefined {
  const v = attrs?.[key];
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim())) return Number(v);
  return undefined;
}

/** The first element of a nested block list (`autoscaling: [{…}]`), or undefined. */
export function block(attrs: Attributes | undefined, key: string): Attributes | undefined {
  const v = attrs?.[key];
  const first: unknown = Array.isArray(v) ? v[0] : undefined;
  return isObject(first) ? first : undefined;
}

/** `projects/p/locations/l/clusters/web` or an ARN `…:cluster/web` → `web`; a plain name stays. */
export function lastSegment(v: string): string {
  const i = v.lastIndexOf('/');
  return i >= 0 ? v.slice(i + 1) : v;
}
