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
import { editTarget, namingInstance, sharedLiteralRefusal } from './edit-target.js';

export interface AttributeEdit {
  address: string;
  /** Path segments; a segment may itself contain a dot (split once, from the decision's key). */
  attributePath: string[];
  value: HclValue;
  from: unknown;
  /**
   * Trailing segments the editor may add when missing (a stamp restart's map entry; 1 for an
   * attribute the policy lists under `addable_attributes`): see src/hcl `create`.
   */
  create?: number;
}

/**
 * `edits` holds every attribute the action changes (several for ASG `desired_capacity` +
 * `max_size`, or `machine_type` + an added `allow_stopping_for_update`): one staging edit of all,
 * one plan, one approval; `expectation.attributes` lists each with its value. `count` scaling is
 * always a single edit.
 */
export type EditPlan =
  | { kind: 'edit'; edits: AttributeEdit[]; expectation: PlanExpectation }
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
 * The target instance's own value in the state at the path (as given, then under `input`), when it
 * is a number, string or boolean: the current value of an attribute set through a variable, a
 * module argument or a map entry rather than a literal on the block.
 */
function stateValue(
  attributes: Record<string, unknown> | undefined,
  path: string[],
): { path: string[]; value: HclValue } | undefined {
  for (const candidate of attributeCandidates(path)) {
    let v: unknown = attributes;
    for (const seg of candidate)
      v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[seg] : undefined;
    if (isHclValue(v)) return { path: candidate, value: v };
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

/** One attribute of an action, checked alone: its edit, or why not. */
type OneEdit =
  | {
      kind: 'one';
      edit: AttributeEdit;
      disruption?: 'stop_start';
      allowReplace?: boolean;
      /** The acknowledgement the executor adds with it (policy.addable_attributes): `allow_stopping_for_update = true`. */
      added?: AttributeEdit;
    }
  | Extract<EditPlan, { kind: 'refused' }>;

async function attributeEdit(
  input: EditPlanInput,
  reader: ConfigReader,
  policy: ExecutorPolicy,
  block: string,
  key: string,
  value: unknown,
  others: readonly string[],
): Promise<OneEdit | EditPlan> {
  if (!isHclValue(value)) return refused(`parameter ${key} must be a number, string or boolean`);
  const type = resourceTypeOf(block);
  const shape = shapeOf(type);
  // Scaling with a non-number is refused by the policy (value_type), checked below.
  if (key === 'count') {
    const from = input.instances.length;
    const count = typeof value === 'string' && asNumber(value) !== undefined ? (asNumber(value) as number) : value;
    const verdict = policy.check(input.actionType, 'count', count, from);
    if (!verdict.ok) return refused(`policy: ${verdict.message}`);
    return { kind: 'one', edit: { address: block, attributePath: ['count'], value: count, from } };
  }
  const path = splitAttributePath(key);
  // Read where the edit goes: a for_each instance's own value (the tracer resolves each.value.X).
  const found = await locate(reader.read, input.files, editTarget(input.targetAddress).address, path);
  // Absent from the HCL as a literal: the editor may still resolve it through a variable, so the
  // path is kept and the editor decides (and refuses computed values with its own reason). The
  // policy's step is then bounded from the target instance's own value in the state.
  const inState = found === undefined ? stateValue(input.attributes, path) : undefined;
  const resolved = found?.path ?? inState?.path ?? path;
  const current = found?.value ?? inState?.value;
  const joined = joinAttributePath(resolved);
  // Defence in depth: the decision was checked, but an LLM may still name a path the table forbids.
  const forbidden =
    forbiddenChange(shape, joined, input.attributes ?? {}) ?? forbiddenChange(shape, key, input.attributes ?? {});
  if (forbidden !== undefined)
    return refused(`${block}: ${forbidden.path} is not changed by InfraAI: ${forbidden.reason}`);
  const ignored = await ignoreCheck(reader, input, block, shape, resolved);
  if (ignored !== undefined) return refused(ignored);
  const ack = shape.acknowledgements.find((a) => a.attribute === joined);
  let added: AttributeEdit | undefined;
  if (ack !== undefined) {
    const flag = await reader.read(input.files, block, [ack.flag]);
    // Not set at all and addable by the policy: set with the change (the stop/start opt-in is checked below).
    if (flag === undefined && policy.isAddable(ack.flag) && !others.includes(ack.flag)) {
      added = { address: block, attributePath: [ack.flag], value: true, from: undefined, create: 1 };
    } else if (flag !== true && !others.includes(ack.flag)) {
      return refused(
        `${block}: changing ${ack.attribute} needs ${ack.flag} = true in the configuration (it is ${flag === undefined ? 'not set' : JSON.stringify(flag)}); without it the provider fails the apply: "${ack.message}" Set ${ack.flag} = true on ${block} (the change then stops and starts it, which the policy must allow under disruption.stop_start)${flag === undefined ? `, or list ${ack.flag} under policy.addable_attributes so InfraAI adds it with the change` : ''}.`,
      );
    }
  }
  // Not in the configuration at all: added where the policy lists the path as addable.
  const create = found === undefined && inState === undefined && policy.isAddable(joined) ? { create: 1 } : {};
  // A for_each instance is edited and gated as itself (src/executor/edit-target.ts).
  const target = editTarget(input.targetAddress);
  const onBlock = target.instance !== undefined && (await locate(reader.read, input.files, block, path)) !== undefined;
  const shared = sharedLiteralRefusal(target, resolved, onBlock, input.instances);
  if (shared !== undefined) return refused(shared);
  const written = inConfiguredType(value, found?.value);
  const verdict = policy.check(input.actionType, joined, written, current);
  if (!verdict.ok) return refused(`policy: ${verdict.message}`);
  if (ack !== undefined && !policy.allowsDisruption('stop_start', input.targetAddress, type)) {
    return refused(
      `${block}: changing ${ack.attribute} stops and starts it (${ack.flag} = true); the policy does not allow a stop/start here: add "${block}" (or "${type}") to policy.disruption.stop_start`,
    );
  }
  return {
    kind: 'one',
    edit: { address: target.address, attributePath: resolved, value: written, from: found?.value, ...create },
    ...(ack !== undefined && { disruption: ack.disruption }),
    // A replace this edit forces is accepted by the gate only where the policy opts the target in.
    ...(policy.allowsDisruption('replace', input.targetAddress, type) && { allowReplace: true }),
    ...(added !== undefined && { added }),
  };
}

/**
 * Every attribute parameter of the decision, each bounded by the policy on its own; all of them
 * become one edit plan gated together (the plan may change only these paths on the target).
 */
async function attributesEdit(
  input: EditPlanInput,
  reader: ConfigReader,
  policy: ExecutorPolicy,
  block: string,
  entries: ReadonlyArray<[string, unknown]>,
): Promise<EditPlan> {
  if (entries.length > 1 && entries.some(([k]) => k === 'count'))
    return refused(
      `count scaling changes one attribute only; got ${entries.map(([k]) => k).join(', ')} in one ${input.actionType}`,
    );
  const keys = entries.map(([k]) => k);
  const edits: AttributeEdit[] = [];
  let disruption: 'stop_start' | undefined;
  let allowReplace = false;
  for (const [key, value] of entries) {
    const one = await attributeEdit(input, reader, policy, block, key, value, keys);
    if (one.kind !== 'one') return one;
    edits.push(one.edit);
    if (one.added !== undefined) edits.push(one.added);
    if (one.disruption !== undefined) disruption = one.disruption;
    if (one.allowReplace === true) allowReplace = true;
  }
  const paths = edits.map((e) => joinAttributePath(e.attributePath));
  const twice = paths.find((p, i) => paths.indexOf(p) !== i);
  if (twice !== undefined) return refused(`${block}: ${twice} is named twice in one action`);
  const count = edits.length === 1 && edits[0]?.attributePath[0] === 'count' && edits[0].attributePath.length === 1;
  if (count) {
    const only = edits[0] as AttributeEdit;
    return {
      kind: 'edit',
      edits,
      expectation: {
        actionType: asGateType(input.actionType),
        targetAddress: block,
        countFrom: only.from as number,
        countTo: only.value as number,
      },
    };
  }
  const expectation: PlanExpectation = {
    actionType: asGateType(input.actionType),
    // A for_each instance is gated as itself: a sibling changing is outside the target.
    targetAddress: editTarget(input.targetAddress).address,
    attributes: edits.map((e) => ({ path: e.attributePath, expectedValue: e.value })),
    // One edit is also said the way single-attribute readers know it.
    ...(edits.length === 1 &&
      edits[0] !== undefined && {
        attributePath: edits[0].attributePath,
        expectedValue: edits[0].value,
      }),
    ...(disruption !== undefined && { disruption }),
    ...(allowReplace && { allowReplace: true }),
  };
  return { kind: 'edit', edits, expectation };
}

function asGateType(t: string): PlanExpectation['actionType'] {
  return t as PlanExpectation['actionType'];
}

/** The attribute parameters to act on (all of them: the gate checks each path and value). */
function attributeParameters(input: EditPlanInput): Array<[string, unknown]> | string {
  const entries = Object.entries(input.parameters).filter(([, v]) => v !== undefined && v !== null);
  if (entries.length === 0) return `${input.actionType} needs at least one attribute parameter (e.g. {"count": 3})`;
  return entries;
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
    edits: [{ address: block, attributePath: path, value: input.now, from, create: 2 }],
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
      const params = attributeParameters(input);
      if (typeof params === 'string') return refused(params);
      return namingInstance(
        editTarget(input.targetAddress),
        await attributesEdit(input, reader, policy, block, params),
      );
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
  const was = edit.from === undefined && edit.create !== undefined ? 'not set yet' : JSON.stringify(edit.from ?? null);
  return `set ${joinAttributePath(edit.attributePath)} of ${edit.address} to ${JSON.stringify(edit.value)} (was ${was})`;
}

/** Every edit of an action said as one intent: "set a … ; set b …". */
export function describeEdits(edits: readonly AttributeEdit[]): string {
  return edits.map(describeEdit).join('; ');
}
