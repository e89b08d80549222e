/**
 * Maps a decision to the concrete change the executor will plan: HCL edits, `-replace` targets
 * or a revision to restore, plus what the plan gate must see. Pure: reads come through the
 * HclReader and the instance list given to it.
 */
import { attributeCandidates } from '../agent/attribute-paths.js';
import { joinAttributePath, splitAttributePath } from '../agent/decision-schema.js';
import type { PlanExpectation } from '../plan/gate.js';
import type { HclValue } from '../hcl/literal.js';
import type { ExecutorPolicy } from './ports.js';
import { ignoreCovers, type FileSet, type IgnoreChangesRule } from '../hcl/edit.js';
import { asNumber, forbiddenChange, shapeOf, type ResourceShape } from '../shapes/resource-shapes.js';

export interface AttributeEdit {
  address: string;
  /** Path segments; a segment may itself contain a dot (split once, from the decision's key). */
  attributePath: string[];
  value: HclValue;
  from: unknown;
  /** Trailing segments the editor may add when missing (a stamp restart's map entry): see src/hcl `create`. */
  create?: number;
}

export type EditPlan =
  | { kind: 'edit'; edit: AttributeEdit; expectation: PlanExpectation }
  | { kind: 'replace'; replace: string[]; expectation: PlanExpectation }
  | { kind: 'rollback'; expectation: PlanExpectation }
  | { kind: 'refused'; reason: string };

/** Reads one attribute's literal value from the configuration (undefined when absent or not literal). */
export type HclReader = (files: FileSet, address: string, attributePath: string[]) => Promise<HclValue | undefined>;

/** What planEdit reads from the configuration: literal values, and the block's lifecycle ignore_changes. */
export interface ConfigReader {
  read: HclReader;
  /** The block's `lifecycle { ignore_changes }` with its file:line; undefined when none (or unreadable). */
  ignoreChanges?(files: FileSet, address: string): Promise<IgnoreChangesRule | undefined>;
}

export interface EditPlanInput {
  actionType: string;
  /** Address from the decision (block or instance). */
  targetAddress: string;
  parameters: Record<string, unknown>;
  /** Present instance addresses of the target block, from the registry. */
  instances: string[];
  files: FileSet;
  /** The executor's clock (ISO 8601): the value a stamp restart writes. */
  now?: string;
  /** State attributes of the target (its first present instance), for forbidden paths that depend on them. */
  attributes?: Record<string, unknown>;
}

const SCALABLE = ['node_count', 'replicas', 'size', 'desired_size', 'min_node_count', 'max_node_count'];

/** `terraform_data.pool[1]` → `terraform_data.pool`; module prefixes are kept. */
export function blockOf(address: string): string {
  return address.replace(/\[[^\]]*\]$/, '');
}

/** `module.a["x"].google_compute_instance.vm[0]` → `google_compute_instance`. */
export function resourceTypeOf(address: string): string {
  const rest = blockOf(address).replace(/^(module\.[A-Za-z_][\w-]*(\[[^\]]*\])?\.)+/, '');
  return rest.split('.')[0] ?? rest;
}

function isHclValue(v: unknown): v is HclValue {
  return typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean';
}

function readerOf(r: HclReader | ConfigReader): ConfigReader {
  return typeof r === 'function' ? { read: r } : r;
}

/** Chooses the configured path: as given, then under `input` (terraform_data keeps values there). */
async function locate(
  read: HclReader,
  files: FileSet,
  address: string,
  path: string[],
): Promise<{ path: string[]; value: HclValue } | undefined> {
  for (const candidate of attributeCandidates(path)) {
    const value = await read(files, address, candidate);
    if (value !== undefined) return { path: candidate, value };
  }
  return undefined;
}

/**
 * The value in the configuration's own type: `replicas = "2"` is written `"3"`, `count = 2` is
 * written 3, whether the decision said 3 or "3". Only decimal numbers cross over.
 */
export function inConfiguredType(value: HclValue, configured: HclValue | undefined): HclValue {
  if (typeof configured === 'string' && typeof value === 'number' && asNumber(configured) !== undefined)
    return String(value);
  if (typeof configured === 'number' && typeof value === 'string' && asNumber(value) !== undefined)
    return asNumber(value) as number;
  return value;
}

function refused(reason: string): EditPlan {
  return { kind: 'refused', reason };
}

/** `tags["a.b"]`-style display of a segment path. */
function shownPath(path: readonly string[]): string {
  return path.map((p, i) => (/^[A-Za-z_][\w-]*$/.test(p) ? (i === 0 ? p : `.${p}`) : `["${p}"]`)).join('');
}

/**
 * A lifecycle ignore_changes rule covering the edited path means Terraform plans nothing for it:
 * refused before planning, naming the rule and what to change instead (the shape's scale rule
 * says which attribute moves instead, e.g. an ASG's max_size for an ignored desired_capacity).
 */
function ignoredReason(
  rule: IgnoreChangesRule,
  block: string,
  shape: ResourceShape,
  path: readonly string[],
  input: EditPlanInput,
): string {
  const where = `${rule.file}:${rule.line}`;
  const ignored = rule.all ? ['all'] : rule.paths.map((p) => p.join('.'));
  const directions: Array<'up' | 'down'> =
    input.actionType === 'scale_up' ? ['up'] : input.actionType === 'scale_down' ? ['down'] : ['up', 'down'];
  const instead = [
    ...new Set(
      directions.flatMap((direction) => {
        const t = shape.scale({ attributes: input.attributes ?? {}, ignoredChanges: ignored }, direction);
        return t.ok && t.path !== joinAttributePath(path) && !ignoreCovers(rule, splitAttributePath(t.path))
          ? [t.path]
          : [];
      }),
    ),
  ];
  const advice =
    instead.length > 0
      ? `change ${instead.join(' / ')} instead`
      : rule.all
        ? `replace ignore_changes = all with the attributes InfraAI must not manage (${where})`
        : `remove it from ignore_changes (${where}) if InfraAI should manage it`;
  return `${block}: ${shownPath(path)} is covered by lifecycle { ignore_changes = ${rule.text} } at ${where}, so Terraform would plan no change to it; ${advice}`;
}

async function ignoreCheck(
  reader: ConfigReader,
  input: EditPlanInput,
  block: string,
  shape: ResourceShape,
  path: readonly string[],
): Promise<string | undefined> {
  const rule = await reader.ignoreChanges?.(input.files, block);
  if (rule === undefined || !ignoreCovers(rule, path)) return undefined;
  return ignoredReason(rule, block, shape, path, input);
}

async function attributeEdit(
  input: EditPlanInput,
  reader: ConfigReader,
  policy: ExecutorPolicy,
  block: string,
  key: string,
  value: unknown,
): Promise<EditPlan> {
  if (!isHclValue(value)) return refused(`parameter ${key} must be a number, string or boolean`);
  const type = resourceTypeOf(block);
  const shape = shapeOf(type);
  // Scaling with a non-number is refused by the policy (value_type), checked below.
  if (key === 'count') {
    const from = input.instances.length;
    const count = typeof value === 'string' && asNumber(value) !== undefined ? (asNumber(value) as number) : value;
    const verdict = policy.check(input.actionType, 'count', count, from);
    if (!verdict.ok) return refused(`policy: ${verdict.message}`);
    const expectation: PlanExpectation = {
      actionType: asGateType(input.actionType),
      targetAddress: block,
      countFrom: from,
      countTo: count as number,
    };
    return { kind: 'edit', edit: { address: block, attributePath: ['count'], value: count, from }, expectation };
  }
  const path = splitAttributePath(key);
  // A for_each instance (string key) is its own target: its value is traced through each.value,
  // and the gate holds exactly that instance to the change. Count instances share the block.
  block = /\["(?:[^"\\]|\\.)*"\]$/.test(input.targetAddress) ? input.targetAddress : block;
  const found = await locate(reader.read, input.files, block, path);
  // Absent from the HCL as a literal: the editor may still resolve it through a variable, so the
  // path is kept and the editor decides (and refuses computed values with its own reason).
  const resolved = found?.path ?? path;
  const joined = joinAttributePath(resolved);
  // Defence in depth: the decision was checked, but an LLM may still name a path the table forbids.
  const forbidden =
    forbiddenChange(shape, joined, input.attributes ?? {}) ?? forbiddenChange(shape, key, input.attributes ?? {});
  if (forbidden !== undefined)
    return refused(`${block}: ${forbidden.path} is not changed by InfraAI: ${forbidden.reason}`);
  const ignored = await ignoreCheck(reader, input, block, shape, resolved);
  if (ignored !== undefined) return refused(ignored);
  const ack = shape.acknowledgements.find((a) => a.attribute === joined);
  if (ack !== undefined) {
    const flag = await reader.read(input.files, block, [ack.flag]);
    if (flag !== true) {
      return refused(
        `${block}: changing ${ack.attribute} needs ${ack.flag} = true in the configuration (it is ${flag === undefined ? 'not set' : JSON.stringify(flag)}); without it the provider fails the apply: "${ack.message}" Set ${ack.flag} = true on ${block} (the change then stops and starts it, which the policy must allow under disruption.stop_start).`,
      );
    }
  }
  const written = inConfiguredType(value, found?.value);
  const verdict = policy.check(input.actionType, joined, written, found?.value);
  if (!verdict.ok) return refused(`policy: ${verdict.message}`);
  if (ack !== undefined && !policy.allowsDisruption('stop_start', input.targetAddress, type)) {
    return refused(
      `${block}: changing ${ack.attribute} stops and starts it (${ack.flag} = true); the policy does not allow a stop/start here: add "${block}" (or "${type}") to policy.disruption.stop_start`,
    );
  }
  const expectation: PlanExpectation = {
    actionType: asGateType(input.actionType),
    targetAddress: block,
    attributePath: resolved,
    expectedValue: written,
    ...(ack !== undefined && { disruption: ack.disruption }),
    // A replace this edit forces is accepted by the gate only where the policy opts the target in.
    ...(policy.allowsDisruption('replace', input.targetAddress, type) && { allowReplace: true }),
  };
  return {
    kind: 'edit',
    edit: { address: block, attributePath: resolved, value: written, from: found?.value },
    expectation,
  };
}

function asGateType(t: string): PlanExpectation['actionType'] {
  return t as PlanExpectation['actionType'];
}

/** The parameter to act on: exactly one attribute per action keeps the plan gate's check exact. */
function singleParameter(input: EditPlanInput): [string, unknown] | string {
  const entries = Object.entries(input.parameters).filter(([, v]) => v !== undefined && v !== null);
  if (entries.length === 0) return `${input.actionType} needs one attribute parameter (e.g. {"count": 3})`;
  if (entries.length > 1) {
    const preferred = entries.find(([k]) => k === 'count' || SCALABLE.includes(splitAttributePath(k).at(-1) ?? k));
    if (preferred && input.actionType !== 'modify_config') return preferred;
    return `one attribute per action is supported; got ${entries.map(([k]) => k).join(', ')}`;
  }
  return entries[0] as [string, unknown];
}

/**
 * A restart the way the resource type restarts (src/shapes): `-replace` of the instance(s);
 * a `stamp` (an in-place edit of one map entry to the current time: a rolling restart); or a
 * human's decision, unless the policy opts the address/type in to a replace of the whole group.
 */
async function restartPlan(
  input: EditPlanInput,
  reader: ConfigReader,
  policy: ExecutorPolicy,
  block: string,
): Promise<EditPlan> {
  const type = resourceTypeOf(block);
  const shape = shapeOf(type);
  const method = shape.restart;
  const instanceTarget = input.targetAddress !== block;
  const replace = instanceTarget ? [input.targetAddress] : input.instances.length > 0 ? input.instances : [block];
  const targetAddress = instanceTarget ? input.targetAddress : block;
  if (method.kind === 'replace') {
    return { kind: 'replace', replace, expectation: { actionType: 'restart', targetAddress } };
  }
  if (method.kind === 'human') {
    if (!policy.allowsDisruption('replace', input.targetAddress, type)) {
      return refused(
        `restart of ${block} goes to a human: ${method.reason}. To let InfraAI replace the whole ${type} instead, add "${block}" (or "${type}") to policy.disruption.replace`,
      );
    }
    return {
      kind: 'replace',
      replace,
      expectation: { actionType: 'restart', targetAddress, allowGroupReplace: true },
    };
  }
  const path = [...method.path];
  const ignored = await ignoreCheck(reader, input, block, shape, path);
  if (ignored !== undefined) return refused(ignored);
  if (method.requires !== undefined) {
    const flag = await reader.read(input.files, block, [...method.requires.path]);
    if (flag !== method.requires.value) {
      const name = shownPath(method.requires.path);
      return refused(
        `restart of ${block} sets ${shownPath(path)} to the current time, which rolls the ${type} only with ${name} = ${String(method.requires.value)}; ${name} is ${flag === undefined ? 'not set' : JSON.stringify(flag)}: set ${name} = ${String(method.requires.value)} on ${block} in the configuration`,
      );
    }
  }
  if (input.now === undefined) return refused(`restart of ${block} needs the current time (no clock given)`);
  const from = await reader.read(input.files, block, path);
  return {
    kind: 'edit',
    edit: { address: block, attributePath: path, value: input.now, from, create: 2 },
    // A restart with an attribute path is gated as what it is: an in-place update of that one map entry.
    expectation: { actionType: 'restart', targetAddress: block, attributePath: path, expectedValue: input.now },
  };
}

/** Decides what to change for an action. Never throws for an expected refusal. */
export async function planEdit(
  input: EditPlanInput,
  read: HclReader | ConfigReader,
  policy: ExecutorPolicy,
): Promise<EditPlan> {
  const block = blockOf(input.targetAddress);
  const reader = readerOf(read);
  switch (input.actionType) {
    case 'scale_up':
    case 'scale_down':
    case 'modify_config': {
      const param = singleParameter(input);
      if (typeof param === 'string') return refused(param);
      return attributeEdit(input, reader, policy, block, param[0], param[1]);
    }
    case 'restart':
      return restartPlan(input, reader, policy, block);
    case 'rollback':
      return { kind: 'rollback', expectation: { actionType: 'rollback', targetAddress: block } };
    default:
      return refused(`action type "${input.actionType}" cannot be executed`);
  }
}

/** "set count of terraform_data.pool to 4": the intent given to the fix agent. */
export function describeEdit(edit: AttributeEdit): string {
  return `set ${joinAttributePath(edit.attributePath)} of ${edit.address} to ${JSON.stringify(edit.value)} (was ${JSON.stringify(edit.from ?? null)})`;
}
