/**
 * The executor as the rest of the service sees it: turn accepted decisions into prepared actions,
 * take approvals (single-use, plan-bound), run applies in the background, expire and obsolete
 * waiting actions, and recover after a restart.
 */
import { errorMessage } from '../shared/errors.js';
import type { ActionPreparer, ActionRecord } from '../actions/action-store.js';
import type { VerdictRequest, VerdictResult } from '../actions/verdict.js';
import type { ActionKind } from '../actions/ports.js';
import { Applier } from './apply.js';
import { InterruptedRecovery } from './interrupted-recovery.js';
import type { ExecutorDeps } from './executor-deps.js';
import { PlanPreparer } from './prepare.js';
import type { Scheduler } from './ports.js';
import { removeStaging } from '../terraform/workspace-fs.js';
import { staleLockNote } from './stale-lock.js';
import { resolveRunDir } from '../registry/run-id.js';
import { isActionStatus, releasesDeployment } from '../actions/status.js';

/** The Terraform-plan kinds and their action types (the edit itself is chosen in edit-plan.ts). */
const PLAN_KINDS = {
  edit: ['scale_up', 'scale_down', 'modify_config'],
  replace: ['restart'],
  rollback: ['rollback'],
} as const;

export class ActionExecutor implements ActionPreparer {
  private readonly preparer: PlanPreparer;
  private readonly applier: Applier;
  private readonly interrupted: InterruptedRecovery;
  private readonly inflight = new Set<Promise<unknown>>();
  /** Decisions whose action could not be stored yet (logged once, retried by prepareUnprepared). */
  private readonly createFailed = new Set<string>();
  private stopping = false;
  private cancelSweep: (() => void) | undefined;
  /** The Terraform-plan kinds' strategy: PlanPreparer, then Applier (re-planned when stale). */
  readonly planKind: ActionKind;
  /** The strategy per action type; types not listed (and unknown ones) use planKind. */
  private readonly kinds = new Map<string, ActionKind>();

  constructor(
    private readonly d: ExecutorDeps,
    private readonly scheduler: Scheduler,
    private readonly sweepEveryMs = 15_000,
  ) {
    this.preparer = new PlanPreparer(d);
    this.applier = new Applier(d, () => this.stopping);
    this.interrupted = new InterruptedRecovery(
      d,
      (id) => this.prepare(id),
      () => this.stopping,
    );
    this.planKind = { prepare: (id) => this.preparer.run(id), apply: (id) => this.applyThenMaybeReprepare(id) };
    for (const types of Object.values(PLAN_KINDS)) for (const t of types) this.kinds.set(t, this.planKind);
  }

  prepare(decisionId: string): void {
    const decision = this.d.decisions.get(decisionId);
    if (!decision || decision.runId === null || decision.resourceAddress === null) {
      this.d.logger.error({ decisionId }, 'cannot prepare: decision missing or not tied to a deployment resource');
      return;
    }
    let action: ActionRecord;
    try {
      action = this.d.store.create({
        decisionId,
        incidentId: decision.incidentId,
        runId: decision.runId,
        actionType: decision.actionType,
        targetAddress: decision.resourceAddress,
        parameters: decision.parameters,
      });
    } catch (err) {
      // E.g. disk full: nothing stored; prepareUnprepared (restart or storage retry) picks the decision up.
      // Logged at error level once per decision so that retries on a full disk do not flood the log.
      const first = !this.createFailed.has(decisionId);
      this.createFailed.add(decisionId);
      (first ? this.d.logger.error : this.d.logger.debug).call(
        this.d.logger,
        { decisionId, err: { message: errorMessage(err) } },
        'creating the action failed; left for a retry',
      );
      return;
    }
    this.createFailed.delete(decisionId);
    if (action.status === 'proposed') this.queuePrepare(action.id);
    else if (action.status === 'queued')
      this.d.logger.info(
        { actionId: action.id, runId: action.runId, behind: action.queuedBehind },
        'action queued behind another on its deployment',
      );
  }

  /** The human's verdict; an approval queues the apply. See ActionStore.submitVerdict for the guarantees. */
  async submitVerdict(input: VerdictRequest): Promise<VerdictResult> {
    const result = this.d.store.submitVerdict(input);
    if (!result.ok) return result;
    if (result.status === 'approved') this.track(this.kindOf(input.actionId).apply(input.actionId));
    else this.dropStaging(input.actionId);
    return result;
  }

  /**
   * Lets another part carry out its own action type (e.g. POST /infra's create_deployment) after
   * the same single-use approval. The kind moves the action through the store and never throws.
   */
  registerKind(actionType: string, kind: ActionKind): void {
    this.kinds.set(actionType, kind);
  }

  private kindOf(actionId: string): ActionKind {
    return this.kinds.get(this.d.store.get(actionId)?.actionType ?? '') ?? this.planKind;
  }

  /** Expires overdue approvals and removes their staging copies. Returns the expired ids. */
  sweepExpired(): string[] {
    const ids = this.d.store.expireDue();
    for (const id of ids) this.dropStaging(id);
    return ids;
  }

  /** The incident resolved before anyone decided: its waiting and queued actions become obsolete. */
  markObsolete(incidentId: string): string[] {
    const done = this.d.store
      .forIncident(incidentId, ['awaiting_approval', 'queued'])
      .filter((a) =>
        this.d.store.transition(
          a.id,
          [a.status],
          'obsolete',
          a.status === 'queued'
            ? `incident ${incidentId} resolved while the action was queued`
            : `incident ${incidentId} resolved before a decision`,
        ),
      );
    for (const a of done) this.dropStaging(a.id);
    return done.map((a) => a.id);
  }

  /**
   * Lets the deployment's next queued action go once nothing holds the deployment: it is prepared
   * against the files and state of now. Queued actions whose incident resolved meanwhile become
   * obsolete on the way. Idempotent; a no-op while an action holds the deployment.
   */
  advanceQueue(runId: string): void {
    if (this.stopping) return;
    const { promoted, obsoleted } = this.d.store.promoteNext(runId, (a) =>
      a.incidentId !== null && !this.d.decisions.incidentOpen(a.incidentId)
        ? `incident ${a.incidentId} resolved while the action was queued`
        : null,
    );
    for (const a of obsoleted)
      this.d.logger.info({ actionId: a.id, runId }, 'queued action obsolete: its incident resolved');
    if (promoted) this.queuePrepare(promoted.id);
  }

  /**
   * An action's status changed (src/compose/reactions.ts): when that status lets go of the
   * deployment, its queue moves on — after the store's transaction and outside its call stack, so
   * the next prepare waits until the holder has ended. No-op for statuses that hold it.
   */
  onActionStatus(status: string, runId: string): void {
    if (isActionStatus(status) && releasesDeployment(status)) this.afterCurrent(() => this.advanceQueue(runId));
  }

  /** Recovery and the expiry sweep. Call once at service start, then connect its reactions. */
  start(): void {
    this.recover();
    this.cancelSweep = this.scheduler.every(this.sweepEveryMs, () => {
      try {
        this.sweepExpired();
      } catch (err) {
        this.d.logger.error({ err: { message: errorMessage(err) } }, 'approval expiry sweep failed');
      }
    });
  }

  /** Stops timers; new work is refused. Call before interrupting Terraform (after its reactions are disconnected). */
  beginStop(): void {
    this.stopping = true;
    this.cancelSweep?.();
  }

  /** Resolves when every queued prepare/apply has finished. */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  /** Runs `fn` under the deployment's Terraform lock (shared with prepare/apply, e.g. for registry sync). */
  withDeploymentLock<T>(runId: string, fn: () => Promise<T>): Promise<T> {
    return this.d.locks.withDeploymentLock(runId, fn);
  }

  /**
   * After a restart: 'preparing' → prepare_failed (staging removed; the run dir was never
   * touched); 'applying' and 'approved' → interrupted (never retried: a human must look, since an
   * apply may have partly happened); 'failed' (only held while a rollback re-applies) →
   * rollback_failed; then each is checked against the state and, if half-applied, a recovery is
   * proposed for approval (interrupted-recovery.ts); 'proposed' and 'stale' → prepared again
   * (nothing ran yet); 'queued' → the queue of every deployment nothing holds moves on, oldest
   * first. A lock info file Terraform left in the run dir is named in the reason with the command
   * that clears it.
   */
  recover(): void {
    for (const a of this.d.store.inStatus(['preparing'])) {
      removeStaging(a.stagingDir);
      this.d.store.transition(a.id, ['preparing'], 'prepare_failed', 'interrupted by restart', { stagingDir: null });
    }
    for (const a of this.d.store.inStatus(['applying', 'approved'])) {
      const why =
        a.status === 'applying'
          ? 'the service stopped while applying; check the deployment'
          : 'approved but the apply never started before the restart';
      this.recordCrash(a, 'interrupted', why);
    }
    // 'failed' only lasts while the rollback re-applies: the process died mid-rollback.
    const cutShort = this.d.store.inStatus(['failed']);
    for (const a of cutShort) {
      this.recordCrash(
        a,
        'rollback_failed',
        'the service stopped during the rollback (files unchanged, the original configuration may not be re-applied); check the deployment',
      );
    }
    // What the interrupted applies left: a plan of the files against the state, recorded on the
    // action, and a recovery (re-apply the last revision) proposed for approval. See interrupted-recovery.ts.
    this.track(this.interrupted.inspectAll(cutShort.map((a) => a.id)));
    for (const a of this.d.store.inStatus(['proposed', 'stale'])) this.queuePrepare(a.id);
    // Queued actions survive a restart: each free deployment's queue moves on, in creation order.
    for (const runId of this.d.store.queuedRuns()) this.advanceQueue(runId);
    this.prepareUnprepared();
  }

  /**
   * Creates and prepares the actions of proposed decisions that have none: storing the action
   * failed (disk full) or the process stopped in between. Called by recover() and by the storage
   * retry once writes work again. Idempotent (prepare is, per decision). Returns how many.
   */
  prepareUnprepared(limit = 100): number {
    const ids = this.d.decisions.proposedWithoutAction?.(limit) ?? [];
    for (const id of ids) this.prepare(id);
    return ids.length;
  }

  /** Loud on purpose: a human must look at a deployment whose apply or rollback was cut short. */
  private recordCrash(a: ActionRecord, to: 'interrupted' | 'rollback_failed', why: string): void {
    const lock = staleLockNote(resolveRunDir(this.d.settings.runsDir, a.runId));
    const reason = lock ? `${why}. ${lock}` : why;
    this.d.store.transition(a.id, [a.status], to, reason);
    this.d.logger.error(
      { actionId: a.id, runId: a.runId, was: a.status },
      `action ${to === 'interrupted' ? 'interrupted' : 'ROLLBACK FAILED'}: ${reason}`,
    );
  }

  private queuePrepare(actionId: string): void {
    if (this.stopping) return;
    this.track(this.kindOf(actionId).prepare(actionId));
  }

  private async applyThenMaybeReprepare(actionId: string): Promise<void> {
    const outcome = await this.applier.run(actionId);
    // A stale plan is never applied: plan again and ask again (same action, new plan hash).
    if (outcome === 'stale' && !this.stopping) await this.preparer.run(actionId);
  }

  private dropStaging(actionId: string): void {
    const a: ActionRecord | undefined = this.d.store.get(actionId);
    if (a?.stagingDir) {
      removeStaging(a.stagingDir);
      this.d.store.patch(actionId, { stagingDir: null });
    }
    this.d.planSecrets.delete(actionId);
  }

  /**
   * Runs `fn` once the current call stack has unwound, tracked by idle(), outside any deployment
   * lock the caller holds (a status change inside an apply must not let the next prepare in early).
   */
  private afterCurrent(fn: () => void): void {
    this.d.locks.detached(() => this.track(Promise.resolve().then(fn)));
  }

  private track(p: Promise<unknown>): void {
    const guarded = p.catch((err: unknown) =>
      this.d.logger.error({ err: { message: errorMessage(err) } }, 'executor task failed'),
    );
    this.inflight.add(guarded);
    void guarded.finally(() => this.inflight.delete(guarded));
  }
}
