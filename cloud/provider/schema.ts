/**
 * The schema language of the local cloud: a small mirror of Terraform's (SDKv2-style) schema —
 * attributes with Optional/Required/Computed/ForceNew/Sensitive/defaults and nested blocks
 * (list or single, min/max items). `toProtoSchema` turns it into tfplugin6.Schema.
 */
import type { Value, ValueMap } from './values.js';

export type AttrType =
  'string' | 'number' | 'bool' | readonly ['list', AttrType] | readonly ['set', AttrType] | readonly ['map', AttrType];

export interface Attr {
  type: AttrType;
  required?: boolean;
  optional?: boolean;
  computed?: boolean;
  forceNew?: boolean;
  sensitive?: boolean;
  /** Planned when the configuration leaves the attribute null (SDKv2 `Default`). */
  default?: Value;
  /** Filled in at apply when still unknown (what the real API would return). */
  computedDefault?: Value;
  description?: string;
}

export interface NestedBlock {
  /** `set` is planned like a list (elements paired by position) but declared SET to Terraform. */
  nesting: 'list' | 'set' | 'single';
  block: Block;
  minItems?: number;
  maxItems?: number;
  forceNew?: boolean;
  /** Optional+Computed block (SDKv2): when absent from the configuration, the API's value is kept. */
  computed?: boolean;
}

export interface Block {
  attributes: Record<string, Attr>;
  blocks?: Record<string, NestedBlock>;
  description?: string;
}

export interface Diagnostic {
  severity: 'ERROR' | 'WARNING';
  summary: string;
  detail?: string;
}

/** What a resource type hook sees: the provider configuration and a way to mint ids. */
export interface ResourceContext {
  provider: ValueMap;
  typeName: string;
  /** A fresh pseudo-random hex string (for ids like `i-0abc…`). */
  hex(length: number): string;
  /** A fresh decimal string (for numeric ids). */
  digits(length: number): string;
}

export interface PlanHookResult {
  diagnostics?: Diagnostic[];
  /** Top-level attributes whose change forces a replacement (SDKv2 CustomizeDiff ForceNew). */
  replace?: string[];
}

export interface ResourceType {
  schema: Block;
  version?: number;
  /** Plan-time adjustments after the generic planner (planned values may be edited in place). */
  plan?(planned: ValueMap, prior: ValueMap | null, ctx: ResourceContext): PlanHookResult | void;
  /**
   * Apply: refuse with diagnostics (the real provider's error), or fill computed values in
   * `planned` (edited in place; remaining unknowns get `computedDefault` or null) and return the id.
   */
  apply(planned: ValueMap, prior: ValueMap | null, ctx: ResourceContext): { id: string } | { errors: Diagnostic[] };
  /** Delete-time refusal (e.g. deletion_protection), as the real provider does it. */
  destroy?(prior: ValueMap): Diagnostic[];
}

export interface ProviderDefinition {
  name: string;
  schema: Block;
  resources: Record<string, ResourceType>;
  /** Provider-block checks (e.g. conflicting credentials); configuration is otherwise free. */
  configure?(config: ValueMap): Diagnostic[];
}

/** Shorthands that keep the resource files readable. */
export const str = (extra: Omit<Attr, 'type'> = {}): Attr => ({ type: 'string', ...extra });
export const num = (extra: Omit<Attr, 'type'> = {}): Attr => ({ type: 'number', ...extra });
export const bool = (extra: Omit<Attr, 'type'> = {}): Attr => ({ type: 'bool', ...extra });
export const strMap = (extra: Omit<Attr, 'type'> = {}): Attr => ({ type: ['map', 'string'], ...extra });
export const strList = (extra: Omit<Attr, 'type'> = {}): Attr => ({ type: ['list', 'string'], ...extra });
export const strSet = (extra: Omit<Attr, 'type'> = {}): Attr => ({ type: ['set', 'string'], ...extra });
export const O = { optional: true } as const;
export const R = { required: true } as const;
export const C = { computed: true } as const;
export const OC = { optional: true, computed: true } as const;

export function list(block: Block, extra: Omit<NestedBlock, 'nesting' | 'block'> = {}): NestedBlock {
  return { nesting: 'list', block, ...extra };
}
export function set(block: Block, extra: Omit<NestedBlock, 'nesting' | 'block'> = {}): NestedBlock {
  return { nesting: 'set', block, ...extra };
}
export function single(block: Block, extra: Omit<NestedBlock, 'nesting' | 'block'> = {}): NestedBlock {
  return { nesting: 'single', block, ...extra };
}
/** The `timeouts { create update delete }` block most SDKv2 resources carry. */
export function timeouts(...names: string[]): NestedBlock {
  const attributes: Record<string, Attr> = {};
  for (const n of names) attributes[n] = str(O);
  return single({ attributes });
}

export interface ProtoAttribute {
  name: string;
  type: Buffer;
  description: string;
  required: boolean;
  optional: boolean;
  computed: boolean;
  sensitive: boolean;
}
export interface ProtoBlock {
  version: number;
  attributes: ProtoAttribute[];
  block_types: {
    type_name: string;
    block: ProtoBlock;
    nesting: 'SINGLE' | 'LIST' | 'SET';
    min_items: number;
    max_items: number;
  }[];
  description: string;
}
export interface ProtoSchema {
  version: number;
  block: ProtoBlock;
}

export function toProtoSchema(block: Block, version = 0): ProtoSchema {
  return { version, block: toProtoBlock(block, version) };
}

function toProtoBlock(block: Block, version: number): ProtoBlock {
  return {
    version,
    description: block.description ?? '',
    attributes: Object.entries(block.attributes).map(([name, a]) => ({
      name,
      type: Buffer.from(JSON.stringify(a.type)),
      description: a.description ?? '',
      required: a.required === true,
      optional: a.optional === true,
      computed: a.computed === true,
      sensitive: a.sensitive === true,
    })),
    block_types: Object.entries(block.blocks ?? {}).map(([name, nb]) => ({
      type_name: name,
      block: toProtoBlock(nb.block, 0),
      nesting: nb.nesting === 'list' ? 'LIST' : nb.nesting === 'set' ? 'SET' : 'SINGLE',
      min_items: nb.minItems ?? 0,
      max_items: nb.maxItems ?? 0,
    })),
  };
}
