/**
 * The generic engine, driven by a schema: conform a value to its schema, plan a change
 * (computed unknowns on create, prior values kept, requires_replace for ForceNew changes) and
 * fill what apply must make known.
 */
import type { AttrType, Block, NestedBlock } from './schema.js';
import { equalValues, isMap, UNKNOWN, Unknown, type Value, type ValueMap } from './values.js';

export type PathStep = { attribute_name: string } | { element_key_int: number };
export type AttributePath = { steps: PathStep[] };

/** Every attribute and block key present (null / [] when unset), numbers as numbers, extra keys dropped. */
export function conform(block: Block, raw: Value | undefined): ValueMap {
  const src = isMap(raw) ? raw : {};
  const out: ValueMap = {};
  for (const [name, attr] of Object.entries(block.attributes)) out[name] = conformType(attr.type, src[name]);
  for (const [name, nb] of Object.entries(block.blocks ?? {})) out[name] = conformBlock(nb, src[name]);
  return out;
}

function conformBlock(nb: NestedBlock, raw: Value | undefined): Value {
  if (raw instanceof Unknown) return raw;
  if (nb.nesting === 'single') return isMap(raw) ? conform(nb.block, raw) : null;
  if (Array.isArray(raw)) return raw.map((el) => conform(nb.block, el));
  if (isMap(raw)) return [conform(nb.block, raw)];
  return [];
}

function conformType(type: AttrType, raw: Value | undefined): Value {
  if (raw === undefined || raw === null) return null;
  if (raw instanceof Unknown) return raw;
  if (type === 'number') {
    if (typeof raw === 'number') return raw;
    if (typeof raw === 'string' && raw.trim() !== '' && Number.isFinite(Number(raw))) return Number(raw);
    return null;
  }
  if (type === 'string')
    return typeof raw === 'string' ? raw : typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : null;
  if (type === 'bool') return typeof raw === 'boolean' ? raw : raw === 'true' ? true : raw === 'false' ? false : null;
  const [kind, elem] = type;
  if (kind === 'map') {
    if (!isMap(raw)) return null;
    const out: ValueMap = {};
    for (const [k, v] of Object.entries(raw)) out[k] = conformType(elem, v);
    return out;
  }
  if (!Array.isArray(raw)) return null;
  const items = raw.map((v) => conformType(elem, v));
  if (kind === 'set') return dedupe(items);
  return items;
}

function dedupe(items: Value[]): Value[] {
  const out: Value[] = [];
  for (const v of items) if (!out.some((o) => equalValues(o, v))) out.push(v);
  return out;
}

/**
 * Plans `config` against `prior` (null on create). Returns the planned value and the paths whose
 * change forces a replacement; on a replacement, computed values become unknown again.
 */
export function planValue(
  block: Block,
  prior: ValueMap | null,
  config: ValueMap,
): { planned: ValueMap; replace: AttributePath[] } {
  const replace: PathStep[][] = [];
  let planned = planBlock(block, prior, config, [], replace);
  if (prior && replace.length > 0) planned = planBlock(block, null, config, [], []);
  return { planned, replace: replace.map((steps) => ({ steps })) };
}

function planBlock(
  block: Block,
  prior: ValueMap | null,
  config: ValueMap,
  path: PathStep[],
  replace: PathStep[][],
): ValueMap {
  const out: ValueMap = {};
  for (const [name, attr] of Object.entries(block.attributes)) {
    const cfg = config[name] ?? null;
    let planned: Value;
    if (cfg !== null) planned = cfg;
    else if (attr.default !== undefined) planned = attr.default;
    else if (attr.computed) planned = prior ? (prior[name] ?? null) : UNKNOWN;
    else planned = null;
    out[name] = planned;
    if (prior && attr.forceNew && !equalValues(planned, prior[name] ?? null))
      replace.push([...path, { attribute_name: name }]);
  }
  for (const [name, nb] of Object.entries(block.blocks ?? {})) {
    const here: PathStep[] = [...path, { attribute_name: name }];
    const priorVal = prior ? (prior[name] ?? null) : null;
    const cfgVal = config[name] ?? null;
    let planned: Value;
    if (nb.nesting === 'single') {
      const p = isMap(priorVal) ? priorVal : null;
      if (isMap(cfgVal)) planned = planBlock(nb.block, p, cfgVal, here, nb.forceNew ? [] : replace);
      else if (nb.computed) planned = prior ? p : planBlock(nb.block, null, {}, here, []);
      else planned = null;
    } else {
      const p = Array.isArray(priorVal) ? priorVal : [];
      const c = Array.isArray(cfgVal) ? cfgVal : [];
      if (c.length === 0 && nb.computed) planned = prior ? p : [planBlock(nb.block, null, {}, here, [])];
      else
        planned = c.map((el, i) => {
          const pe = p[i];
          return planBlock(
            nb.block,
            isMap(pe) ? pe : null,
            isMap(el) ? el : {},
            [...here, { element_key_int: i }],
            nb.forceNew ? [] : replace,
          );
        });
    }
    out[name] = planned;
    if (prior && nb.forceNew && !equalValues(planned, priorVal)) replace.push(here);
  }
  return out;
}

/** Apply: every unknown left becomes the attribute's `computedDefault` (or null), recursively. */
export function fillUnknowns(block: Block, value: ValueMap): ValueMap {
  const out: ValueMap = {};
  for (const [name, attr] of Object.entries(block.attributes)) {
    const v = value[name] ?? null;
    out[name] = v instanceof Unknown ? (attr.computedDefault ?? null) : stripUnknown(v);
  }
  for (const [name, nb] of Object.entries(block.blocks ?? {})) {
    const v = value[name] ?? null;
    if (Array.isArray(v)) out[name] = v.map((el) => fillUnknowns(nb.block, isMap(el) ? el : {}));
    else if (isMap(v)) out[name] = fillUnknowns(nb.block, v);
    else out[name] = nb.nesting === 'single' ? null : [];
  }
  return out;
}

function stripUnknown(v: Value): Value {
  if (v instanceof Unknown) return null;
  if (Array.isArray(v)) return v.map(stripUnknown);
  if (isMap(v)) {
    const out: ValueMap = {};
    for (const [k, x] of Object.entries(v)) out[k] = stripUnknown(x);
    return out;
  }
  return v;
}

/** Static checks Terraform leaves to the provider: max/min items of nested blocks. */
export function validateBlock(block: Block, value: ValueMap, where = ''): string[] {
  const problems: string[] = [];
  for (const [name, nb] of Object.entries(block.blocks ?? {})) {
    const v = value[name];
    const label = where ? `${where}.${name}` : name;
    if (Array.isArray(v)) {
      if (nb.maxItems && v.length > nb.maxItems)
        problems.push(`Too many ${label} blocks: no more than ${nb.maxItems} "${name}" blocks are allowed.`);
      if (nb.minItems && v.length < nb.minItems)
        problems.push(`Insufficient ${label} blocks: at least ${nb.minItems} "${name}" blocks are required.`);
      v.forEach((el, i) => problems.push(...validateBlock(nb.block, isMap(el) ? el : {}, `${label}[${i}]`)));
    } else if (isMap(v)) problems.push(...validateBlock(nb.block, v, label));
  }
  return problems;
}
