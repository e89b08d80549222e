/** Collaborators the executor takes from outside; main.ts adapts the real ones. */
import type { FixClient } from '../agent/fix-client.js';
import type { Refusal } from '../shared/result.js';
import type { IgnoreChangesRule, ValueChain } from '../hcl/edit.js';

export type { FixClient } from '../agent/fix-client.js';

/** A decision as the executor needs it (read from the decisions table). */
export interface ExecutorDecision {
  id: string;
  incidentId: string | null;
  runId: string | null;
  resourceAddress: string | null;
  actionType: string;
  parameters: Record<string, unknown>;
  /** Rollback decisions: the revision to restore, when the decider pinned one. */
  rollbackRevisionId?: string | null;
}

export interface DecisionReader {
  /** The decision with this id, or undefined. Reads only. */
  get(decisionId: string): ExecutorDecision | undefined;
  /**
   * Incident decisions still `proposed` that never got an action (the process stopped, or the
   * disk was full, between storing the decision and creating its action). Oldest first. Reads only.
   */
  proposedWithoutAction?(limit: number): string[];
  /**
   * Whether the incident still fires: 'open' → true; resolved or unknown → false. A queued action
   * whose incident resolved meanwhile is obsolete instead of being prepared. Reads only.
   */
  incidentOpen(incidentId: string): boolean;
}

/** The policy facts the executor re-checks at prepare time (bounds may have changed since). */
export interface ExecutorPolicy {
  /** The plan gate's limit on changed resources. */
  maxChangedResources(): number;
  /**
   * Re-checks one attribute change against the policy (changeable attributes, value type incl.
   * "scaling needs a number", bounds, direction, steps): the policy's own rule, not a copy.
   * Pure; a refusal is a return value.
   */
  check(
    actionType: string,
    attributePath: string,
    value: string | number | boolean,
    current: unknown,
  ): { ok: true } | Refusal<'POLICY_BLOCKED'>;
  /**
   * Whether the policy opts this address (instance or block) or type in to a disruption:
   * `stop_start` (an acknowledged change such as GCE machine_type) or `replace` (a restart that
   * replaces a whole group). Pure.
   */
  allowsDisruption(kind: 'stop_start' | 'replace', address: string, type: string): boolean;
  /**
   * Whether an attribute not set in the configuration may be added (`policy.addable_attributes`,
   * matched exactly or by last segment): e.g. `allow_stopping_for_update`. Pure.
   */
  isAddable(attributePath: string): boolean;
  /** Policy `shared_values` (default `refuse`): whether a literal several resources read may be edited. Pure. */
  sharedValues?(): 'refuse' | 'allow';
}

export type { RegistryRefresh } from '../actions/ports.js';

/** Periodic work (the expiry sweep) without touching timers directly. */
export interface Scheduler {
  /** Calls `fn` every `ms` until the returned cancel function is called. */
  every(ms: number, fn: () => void): () => void;
}

export const intervalScheduler: Scheduler = {
  every(ms, fn) {
    const t = setInterval(fn, ms);
    t.unref();
    return () => clearInterval(t);
  },
};

export interface ExecutorSettings {
  runsDir: string;
  /** Staging copies live in <dataDir>/staging/<actionId>, revision snapshots in <dataDir>/revisions/<id>. */
  dataDir: string;
  planTimeoutMs: number;
  applyTimeoutMs: number;
  approvalTtlSeconds: number;
  fixMaxAttempts: number;
}

export type OptionalFixClient = FixClient | undefined;

/** The HCL editor (src/hcl/edit.ts) as the executor uses it. */
export interface HclEditor {
  /**
   * Sets one attribute (literal, nested, or through the variable that feeds it) keeping every
   * other byte. Returns only the files it changed; a refusal is a return value.
   */
  edit(
    files: Record<string, string>,
    edit: {
      address: string;
      attributePath: readonly string[];
      value: number | string | boolean;
      /** Trailing segments that may be missing and are then added (a new map entry / map). */
      create?: number;
      /** The deployment's -var-file list in order (run-dir-relative), highest precedence last. */
      varFiles?: readonly string[];
      /** Policy `shared_values`: `allow` edits a literal other root resources read (named in `chain.sharedWith`). */
      sharedValues?: 'refuse' | 'allow';
    },
  ): Promise<{ ok: true; files: Record<string, string>; chain?: ValueChain } | Refusal>;
  /** The block's `lifecycle { ignore_changes }` rule with its file and line; undefined when none. */
  ignoreChanges(files: Record<string, string>, address: string): Promise<IgnoreChangesRule | undefined>;
  /** The attribute's literal value in the configuration, or undefined. Paths are segment arrays, never re-split. */
  read(
    files: Record<string, string>,
    address: string,
    attributePath: readonly string[],
  ): Promise<number | string | boolean | undefined>;
}
