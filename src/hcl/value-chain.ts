/**
 * The value chain: how the value an action changes is reached from the resource instance's
 * attribute back to the one literal a person wrote. Produced by the tracer (trace.ts), stored with
 * the action's change (`changes.edit.chain`), shown to the approver.
 */

export interface ChainStep {
  kind: 'attribute' | 'for_each' | 'count' | 'module_argument' | 'variable_default' | 'tfvars' | 'local';
  /** Where, as a person reads it: `google_container_node_pool.pools["default"].node_count`,
   *  `each.value.node_count`, `module.gke var.node_pools`, `prod.tfvars node_pools.default.node_count`. */
  where: string;
  /** Deployment-relative path of the file holding this step. */
  file?: string;
  /** 1-based. */
  line?: number;
}

export interface ValueChain {
  steps: ChainStep[];
  from: unknown;
  to: unknown;
  /**
   * Other resource blocks that read the same literal (policy `shared_values: allow`): the edit
   * changes them too, and the plan gate requires exactly them to change at the edited attribute.
   */
  sharedWith?: string[];
}

function shown(v: unknown): string {
  return typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v ?? null);
}

/** `a ← b ← c (line 12): 3 → 4` (the line is the last step's, where the literal is). */
export function formatChain(c: ValueChain): string {
  const last = c.steps[c.steps.length - 1];
  const line = last?.line !== undefined ? ` (line ${last.line})` : '';
  const shared =
    c.sharedWith !== undefined && c.sharedWith.length > 0
      ? `; shared with ${c.sharedWith.join(', ')}, which change with it`
      : '';
  return `${c.steps.map((s) => s.where).join(' ← ')}${line}: ${shown(c.from)} → ${shown(c.to)}${shared}`;
}

/** `a ← b ← c` without values, for refusals. */
export function formatSteps(steps: readonly ChainStep[]): string {
  return steps.map((s) => s.where).join(' ← ');
}

/** 1-based line of a UTF-16 offset in `text`. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** What is stored with the action's change (`changes.edit.chain`): the chain and its text. */
export function chainRecord(c: ValueChain): ValueChain & { text: string } {
  return {
    steps: c.steps,
    from: c.from,
    to: c.to,
    ...(c.sharedWith !== undefined && { sharedWith: c.sharedWith }),
    text: formatChain(c),
  };
}

/** `input["team.size"].node_count`: identifier segments dotted, others quoted in brackets. */
export function showPath(path: readonly string[]): string {
  return path
    .map((p, i) => (/^[A-Za-z_][\w-]*$/.test(p) ? `${i === 0 ? '' : '.'}${p}` : `[${JSON.stringify(p)}]`))
    .join('');
}
