/**
 * Leaf-level differences between a resource change's `before` and `after`, used both by the plan
 * gate (which attributes does this update touch?) and the human summary.
 */
import type { PlanChange, PlanMask } from './plan-json.js';

export type PlanPath = Array<string | number>;

export interface LeafChange {
  path: PlanPath;
  before: unknown;
  after: unknown;
  /** The after value is only known after apply (a computed attribute, or an unknown input). */
  afterUnknown: boolean;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function maskAt(mask: PlanMask | undefined, key: string | number): PlanMask | undefined {
  if (mask === undefined || typeof mask === 'boolean') return mask;
  if (Array.isArray(mask)) return typeof key === 'number' ? mask[key] : undefined;
  return typeof key === 'string' ? mask[key] : undefined;
}

function childKeys(a: unknown, b: unknown, unknown: PlanMask | undefined): Array<string | number> {
  if (Array.isArray(a) || Array.isArray(b) || Array.isArray(unknown)) {
    const len = Math.max(
      Array.isArray(a) ? a.length : 0,
      Array.isArray(b) ? b.length : 0,
      Array.isArray(unknown) ? unknown.length : 0,
    );
    return Array.from({ length: len }, (_, i) => i);
  }
  const keys = new Set<string>();
  for (const v of [a, b, unknown]) if (isObj(v)) for (const k of Object.keys(v)) keys.add(k);
  return [...keys].sort();
}

function at(v: unknown, key: string | number): unknown {
  if (Array.isArray(v) && typeof key === 'number') return v[key];
  if (isObj(v) && typeof key === 'string') return v[key];
  return undefined;
}

function sameJson(a: unknown, b: unknown): boolean {
  // Absent and null mean the same to Terraform (an unset optional attribute).
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

function walk(a: unknown, b: unknown, unknown: PlanMask | undefined, path: PlanPath, out: LeafChange[]): void {
  if (unknown === true) {
    out.push({ path, before: a, after: undefined, afterUnknown: true });
    return;
  }
  // Descend when both sides share a shape, or one side is absent (create/delete), so the summary
  // lists leaves instead of one opaque blob.
  const objLike = (v: unknown): boolean => isObj(v) || v === null || v === undefined;
  const arrLike = (v: unknown): boolean => Array.isArray(v) || v === null || v === undefined;
  const structured = isObj(a) || isObj(b) || Array.isArray(a) || Array.isArray(b);
  if (structured && ((objLike(a) && objLike(b)) || (arrLike(a) && arrLike(b)))) {
    const keys = childKeys(a, b, unknown);
    // `null` → `[]` or `{}` has no leaves but is still a change.
    if (keys.length === 0 && !sameJson(a, b)) out.push({ path, before: a, after: b, afterUnknown: false });
    for (const k of keys) walk(at(a, k), at(b, k), maskAt(unknown, k), [...path, k], out);
    return;
  }
  if (!sameJson(a, b)) out.push({ path, before: a, after: b, afterUnknown: false });
}

/** Every leaf that differs between `before` and `after`, including after-unknown leaves. */
export function changedLeaves(change: PlanChange): LeafChange[] {
  const out: LeafChange[] = [];
  walk(change.before ?? null, change.after ?? null, change.after_unknown, [], out);
  return out;
}

/** `input.node_count`, `autoscaling[0].max_node_count`. */
export function formatPath(path: PlanPath): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/**
 * True when `actual` (a plan path, with list indices for nested blocks) lies under the config
 * attribute path `expected`, which has no indices: `autoscaling.max_node_count` matches
 * `autoscaling[0].max_node_count`.
 */
export function pathUnder(actual: PlanPath, expected: string[]): boolean {
  // Only indices may sit between the expected names; a string key there means a different path.
  let j = 0;
  for (const p of actual) {
    if (j === expected.length) break;
    if (typeof p === 'number') continue;
    if (p !== expected[j]) return false;
    j += 1;
  }
  return j === expected.length;
}

/** The value at a config attribute path, stepping through single-element lists (nested blocks). */
export function valueAtConfigPath(value: unknown, path: string[]): unknown {
  let cur = value;
  for (const key of path) {
    while (Array.isArray(cur) && cur.length === 1) cur = cur[0];
    if (!isObj(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}
