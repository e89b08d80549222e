/**
 * Which address an attribute edit targets (issue 14): a `for_each` instance (string key, e.g.
 * `module.compute.terraform_data.pool["web"]`) is a distinct target, so the edit carries the
 * instance address (the tracer resolves `each.value.X` with its key) and the plan gate checks
 * that instance alone (a sibling changing is refused). A count instance (`pool[0]`) or a block
 * is the block: count instances are interchangeable. Pure.
 */

export interface EditTarget {
  /** The resource block (`...terraform_data.pool`): where the configuration is read. */
  block: string;
  /** The for_each instance the action targets, when it targets one. */
  instance?: string;
  /** What the edit names and the gate checks: the for_each instance, else the block. */
  address: string;
}

const STRING_KEY = /\["(?:[^"\\]|\\.)*"\]$/;

/** `pool["web"]` → block `pool`, instance `pool["web"]`; `pool[0]` and `pool` → block `pool`. */
export function editTarget(targetAddress: string): EditTarget {
  const block = targetAddress.replace(/\[[^\]]*\]$/, '');
  if (block !== targetAddress && STRING_KEY.test(targetAddress)) {
    return { block, instance: targetAddress, address: targetAddress };
  }
  return { block, address: block };
}

/**
 * A literal written on a for_each block's body is shared by every instance: editing it for one
 * instance would change its siblings too. Refused before planning, naming the instance and the
 * siblings (the value must come from the instance's own entry, e.g. `each.value.node_count`).
 * Undefined when the edit only reaches the target.
 */
export function sharedLiteralRefusal(
  target: EditTarget,
  path: readonly string[],
  literalOnBlock: boolean,
  instances: readonly string[],
): string | undefined {
  if (target.instance === undefined || !literalOnBlock) return undefined;
  const siblings = instances.filter((a) => a !== target.instance);
  if (siblings.length === 0) return undefined;
  return `${target.instance}: ${path.join('.')} is a literal on the for_each block ${target.block}, shared by ${siblings.join(', ')}; changing it for ${target.instance} would change them too (set it per instance, e.g. each.value.${path.at(-1) ?? ''})`;
}

/**
 * A refusal of an edit on a for_each instance names the instance (`pool["web"]: policy: …`), so
 * whoever reads it knows which of the block's instances the action was for.
 */
export function namingInstance<P extends { kind: string }>(target: EditTarget, plan: P): P {
  if (target.instance === undefined || plan.kind !== 'refused') return plan;
  const reason = (plan as P & { reason: string }).reason;
  return reason.includes(target.instance) ? plan : { ...plan, reason: `${target.instance}: ${reason}` };
}
