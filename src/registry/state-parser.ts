import { AppError } from '../shared/errors.js';
import { redactValue, type SensitiveMask } from '../shared/redact.js';
import { lookupKeysFor, type LookupKey } from './lookup-keys.js';
import { SecretScrubber } from './secret-scrubber.js';
import { PulledStateMetaSchema, ShowStateSchema, type ShowModule, type ShowResource } from './state-schema.js';
import type { RegistryResource } from './registry-port.js';

/**
 * Bump when parsing, redaction or key derivation changes: stored deployments synced by an
 * older format are then re-read even when their state serial did not move.
 */
export const REGISTRY_FORMAT = 2;

/** A resource instance as parsed from state, before it has a row (so no status yet). */
export type ParsedInstance = Omit<RegistryResource, 'status'> & { keys: LookupKey[] };

export interface ParsedState {
  /** False when `terraform show -json` had no `values`: nothing applied yet (or all destroyed). */
  hasState: boolean;
  terraformVersion: string | null;
  /** Managed resources and data sources, kept apart. */
  managed: ParsedInstance[];
  data: ParsedInstance[];
  /** How many distinct secret strings were found (for logs; the strings themselves never leave). */
  secretCount: number;
}

/**
 * Parses `terraform show -json` output into redacted instances. Pure.
 * A value marked sensitive anywhere (resource mask, sensitive output, secret-looking key or
 * value) is scrubbed from every attribute of every instance: Terraform does not carry the mark
 * to copies (e.g. `terraform_data.output`, `nonsensitive()`, interpolated strings).
 * @throws AppError ERR_TERRAFORM when the JSON is not a show-json state, naming the field.
 */
export function parseShowJson(runId: string, json: unknown): ParsedState {
  const parsed = ShowStateSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? issue.path.map(String).join('.') : '(root)';
    throw new AppError(
      'ERR_TERRAFORM',
      `reading state of "${runId}": terraform show -json output invalid at ${where}: ${issue?.message ?? ''}`,
    );
  }
  const state = parsed.data;
  const found = new Set<string>();
  for (const out of Object.values(state.values?.outputs ?? {})) {
    if (out.sensitive === true) redactValue(out.value, true, found);
  }
  const raw: Array<{ res: ShowResource; modulePath: string; attributes: Record<string, unknown> }> = [];
  const visit = (mod: ShowModule, modulePath: string): void => {
    for (const res of mod.resources ?? []) {
      const mask = (res.sensitive_values ?? undefined) as SensitiveMask | undefined;
      const attributes = redactValue(res.values ?? {}, mask, found) as Record<string, unknown>;
      raw.push({ res, modulePath, attributes });
    }
    for (const child of mod.child_modules ?? []) visit(child, child.address ?? modulePath);
  };
  if (state.values?.root_module) visit(state.values.root_module, '');

  const scrubber = new SecretScrubber(found);
  const managed: ParsedInstance[] = [];
  const data: ParsedInstance[] = [];
  for (const { res, modulePath, attributes } of raw) {
    const inst = toInstance(runId, res, modulePath, scrubber.scrub(attributes) as Record<string, unknown>);
    (inst.mode === 'data' ? data : managed).push(inst);
  }
  return {
    hasState: state.values !== undefined,
    terraformVersion: state.terraform_version ?? null,
    managed,
    data,
    secretCount: scrubber.size,
  };
}

function toInstance(
  runId: string,
  res: ShowResource,
  modulePath: string,
  attributes: Record<string, unknown>,
): ParsedInstance {
  const rawId = attributes['id'];
  const cloudId = typeof rawId === 'string' && rawId !== '' && !rawId.includes('[REDACTED]') ? rawId : null;
  const base = {
    runId,
    address: res.address,
    blockAddress: blockAddressOf(res.address, res.index),
    modulePath,
    mode: res.mode,
    type: res.type,
    name: res.name,
    indexKey: res.index ?? null,
    provider: res.provider_name,
    cloudId,
    attributes,
  };
  return { ...base, keys: res.mode === 'managed' ? lookupKeysFor(base) : [] };
}

/** `a.b[1]` → `a.b`, `x["k"]` → `x`; module instance keys earlier in the address are kept. */
export function blockAddressOf(address: string, index: number | string | undefined): string {
  if (index === undefined) return address;
  const open = address.lastIndexOf('[');
  return open > 0 && address.endsWith(']') ? address.slice(0, open) : address;
}

/**
 * Serial and lineage from `terraform state pull` output; null when there is no state (empty
 * output). Only these two fields are read: the raw state holds secrets in clear.
 * @throws AppError ERR_TERRAFORM when the output is not a v4 state.
 */
export function parseStatePullMeta(runId: string, text: string): { serial: number; lineage: string } | null {
  if (text.trim() === '') return null;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AppError('ERR_TERRAFORM', `reading state of "${runId}": terraform state pull did not print JSON`);
  }
  const meta = PulledStateMetaSchema.safeParse(json);
  if (!meta.success) {
    throw new AppError(
      'ERR_TERRAFORM',
      `reading state of "${runId}": terraform state pull output has no valid serial/lineage`,
    );
  }
  return meta.data;
}
