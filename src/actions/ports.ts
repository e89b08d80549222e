/**
 * Ports the action's orchestration (executor/) and the other action kinds (infra/) share, so that
 * neither imports the other's internals.
 */

/**
 * How one kind of action is carried out: a typed strategy chosen by the action's type. The
 * executor carries the Terraform-plan kinds (edit: scale_up/scale_down/modify_config, replace:
 * restart, rollback); other folders register theirs (infra/: create_deployment).
 */
export interface ActionKind {
  /**
   * Prepares a `proposed` (or `stale`) action up to `awaiting_approval` or `prepare_failed`,
   * moving it through the store. Never throws.
   */
  prepare(actionId: string): Promise<unknown>;
  /**
   * Applies an `approved` action, moving it approved → applying → … through the store. Runs once
   * per accepted approval. Never throws.
   */
  apply(actionId: string): Promise<unknown>;
}

/** Re-reads a deployment's state into the registry after an apply (the registry's sync service). */
export interface RegistryRefresh {
  /** Resolves when the registry reflects the deployment's current state; may throw (logged, not fatal). */
  syncOne(runId: string): Promise<unknown>;
  /** The state serial the registry last read for the deployment (after syncOne), if known. */
  serialOf?(runId: string): number | null | undefined;
}
