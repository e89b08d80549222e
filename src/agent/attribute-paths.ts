import type { RegistryResource } from '../registry/registry-port.js';
import { joinAttributePath, splitAttributePath, type ParameterValue } from './decision-schema.js';

/** Where a parameter path actually lives in a resource's attributes. */
export interface ResolvedAttribute {
  /** The path as found, e.g. `input.node_count` for the parameter `node_count`. */
  path: string;
  value: ParameterValue | undefined;
}

function step(value: unknown, key: string): unknown {
  // Providers store nested blocks as one-element lists (`autoscaling = [{…}]`); look through them.
  if (Array.isArray(value) && value.length === 1) value = value[0];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  return Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
}

function read(attributes: Record<string, unknown>, path: readonly string[]): unknown {
  return path.reduce<unknown>((v, key) => step(v, key), attributes);
}

function scalar(v: unknown): ParameterValue | undefined {
  return typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' ? v : undefined;
}

/**
 * Resolves a parameter path against attributes: literally first, then under `input.`
 * (terraform_data keeps its values in `input`). Returns undefined when neither exists.
 * The executor uses the same rule to find what to edit.
 */
export function resolveAttribute(attributes: Record<string, unknown>, path: string): ResolvedAttribute | undefined {
  for (const candidate of attributeCandidates(splitAttributePath(path))) {
    const v = read(attributes, candidate);
    if (v !== undefined && v !== null) return { path: joinAttributePath(candidate), value: scalar(v) };
  }
  return undefined;
}

/** Where a parameter may live, in order: as given, then under `input` (terraform_data). */
export function attributeCandidates(path: readonly string[]): string[][] {
  return [[...path], ['input', ...path]];
}

/** Instances of `resource`'s block that use integer (count) keys, among `neighbours`. */
export function countInstances(
  resource: RegistryResource,
  neighbours: readonly RegistryResource[],
): number | undefined {
  if (typeof resource.indexKey !== 'number') return undefined;
  return neighbours.filter(
    (r) =>
      r.runId === resource.runId &&
      r.blockAddress === resource.blockAddress &&
      r.status === 'present' &&
      typeof r.indexKey === 'number',
  ).length;
}

/**
 * Current value of each path: `count` is the number of present count instances of the block;
 * everything else is read from the attributes.
 */
export function currentValues(
  resource: RegistryResource,
  neighbours: readonly RegistryResource[],
  paths: readonly string[],
): Record<string, ParameterValue | undefined> {
  const out: Record<string, ParameterValue | undefined> = {};
  for (const p of paths) {
    out[p] = p === 'count' ? countInstances(resource, neighbours) : resolveAttribute(resource.attributes, p)?.value;
  }
  return out;
}
