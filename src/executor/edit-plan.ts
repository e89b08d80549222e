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
import type { FileSet } from '../hcl/edit.js';

export interface AttributeEdit {
  address: string;
  /** Path segments; a segment may itself contain a dot (split once, from the decision's key). */
  attributePath: string[];
  value: HclValue;
  from: unknown;
}

export type EditPlan =
  | { kind: 'edit'; edit: AttributeEdit; expectation: PlanExpectation }
  | { kind: 'replace'; replace: string[]; expectation: PlanExpectation }
  | { kind: 'rollback'; expectation: PlanExpectation }
  | { kind: 'refused'; reason: string };

/** Reads one attribute's literal value from the configuration (undefined when absent or not literal). */
export type HclReader = (files: FileSet, address: string, attributePath: string[]) => Promise<HclValue | undefined>;

export interface EditPlanInput {
  actionType: string;
  /** Address from the decision (block or instance). */
  targetAddress: string;
  parameters: Record<string, unknown>;
  /** Present instance addresses of the target block, from the registry. */
  instances: string[];
  files: FileSet;
}

const SCALABLE = ['node_count', 'replicas', 'size', 'desired_size', 'min_node_count', 'max_node_count'];

/** `terraform_data.pool[1]` → `terraform_data.pool`; module prefixes are kept. */
export function blockOf(address: string): string {
  return address.replace(/\[[^\]]*\]$/, '');
}

function isHclValue(v: unknown): v is HclValue {
  return typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean';
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

async function attributeEdit(
  input: EditPlanInput,
  read: HclReader,
  policy: ExecutorPolicy,
  block: string,
  key: string,
  value: unknown,
): Promise<EditPlan> {
  if (!isHclValue(value)) return { kind: 'refused', reason: `parameter ${key} must be a number, string or boolean` };
  // Scaling with a non-number is refused by the policy (value_type), checked below.
  if (key === 'count') {
    const from = input.instances.length;
    const verdict = policy.check(input.actionType, 'count', value, from);
    if (!verdict.ok) return { kind: 'refused', reason: `policy: ${verdict.message}` };
    const expectation: PlanExpectation = {
      actionType: asGateType(input.actionType),
      targetAddress: block,
      countFrom: from,
      countTo: value as number,
    };
    return { kind: 'edit', edit: { address: block, attributePath: ['count'], value, from }, expectation };
  }
  const path = splitAttributePath(key);
  const found = await locate(read, input.files, block, path);
  // Absent from the HCL as a literal: the editor may still resolve it through a variable, so the
  // path is kept and the editor decides (and refuses computed values with its own reason).
  const resolved = found?.path ?? path;
  const verdict = policy.check(input.actionType, joinAttributePath(resolved), value, found?.value);
  if (!verdict.ok) return { kind: 'refused', reason: `policy: ${verdict.message}` };
  const expectation: PlanExpectation = {
    actionType: asGateType(input.actionType),
    targetAddress: block,
    attributePath: resolved,
    expectedValue: value,
  };
  return { kind: 'edit', edit: { address: block, attributePath: resolved, value, from: found?.value }, expectation };
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

/** Decides what to change for an action. Never throws for an expected refusal. */
export async function planEdit(input: EditPlanInput, read: HclReader, policy: ExecutorPolicy): Promise<EditPlan> {
  const block = blockOf(input.targetAddress);
  switch (input.actionType) {
    case 'scale_up':
    case 'scale_down':
    case 'modify_config': {
      const param = singleParameter(input);
      if (typeof param === 'string') return { kind: 'refused', reason: param };
      return attributeEdit(input, read, policy, block, param[0], param[1]);
    }
    case 'restart': {
      const instanceTarget = input.targetAddress !== block;
      const replace = instanceTarget ? [input.targetAddress] : input.instances.length > 0 ? input.instances : [block];
      return {
        kind: 'replace',
        replace,
        expectation: { actionType: 'restart', targetAddress: instanceTarget ? input.targetAddress : block },
      };
    }
    case 'rollback':
      return { kind: 'rollback', expectation: { actionType: 'rollback', targetAddress: block } };
    default:
      return { kind: 'refused', reason: `action type "${input.actionType}" cannot be executed` };
  }
}

/** "set count of terraform_data.pool to 4": the intent given to the fix agent. */
export function describeEdit(edit: AttributeEdit): string {
  return `set ${joinAttributePath(edit.attributePath)} of ${edit.address} to ${JSON.stringify(edit.value)} (was ${JSON.stringify(edit.from ?? null)})`;
}
