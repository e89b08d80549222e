/**
 * After a restart: what did an interrupted apply leave? The state may hold a half-applied change
 * (a tainted new instance, an instance the files do not have) while the run dir still holds the
 * last applied files, because files are only written once an apply succeeds. For each interrupted
 * action (and each rollback cut short by the crash) this plans the deployment's current files
 * against its current state — in a scratch copy, refresh on, the run dir only read — records the
 * redacted differences on the action and in the ledger, and, when they differ, proposes a
 * recovery: a rollback decision pinned to the last applied revision, i.e. re-apply those files.
 * The recovery goes through the normal prepare → plan → gate → approval path; nothing here
 * applies anything.
 */
import path from 'node:path';
import { isoAt } from '../shared/clock.js';
import { errorMessage } from '../shared/errors.js';
import { resolveRunDir } from '../registry/run-id.js';
import { describeFailure } from '../terraform/terraform-runner.js';
import { PENDING_STATUSES } from '../actions/status.js';
import type { ActionRecord } from '../actions/action-store.js';
import { configSecrets, scrubStored } from '../hcl/config-secrets.js';
import type { ExecutorDeps } from './executor-deps.js';
import { differencesOf, interruptedStateOf, summaryOf, type InterruptedState } from './interrupted-state.js';
import { planSecrets } from '../plan/redact.js';
import { readDeploymentSettings } from '../registry/deployment-settings.js';
import { createStaging, differingFiles, readConfigFiles, removeStaging } from '../terraform/workspace-fs.js';

export type { InterruptedState } from './interrupted-state.js';

/** Where the inspection's result goes (adapter: db/actions/sqlite-interrupted-state.ts). */
export interface InterruptedStatePort {
  /**
   * In one transaction: stores `state` as the action's `result.interrupted_state`, appends
   * `action.interrupted_state` to the ledger and, with `recovery`, stores the recovery decision
   * (a `rollback` pinned to `recovery.revisionId`, through the decision policy) and sets
   * `state.recovery_decision_id`. Returns the decision's id and status when one was stored.
   * Not idempotent: call once per action (the caller skips actions that already have a state).
   */
  record(
    action: ActionRecord,
    state: InterruptedState,
    recovery?: { revisionId: string; reason: string },
  ): { decisionId: string; status: string } | undefined;
}

export class InterruptedRecovery {
  constructor(
    private readonly d: ExecutorDeps,
    /** Queues the preparation of a proposed decision (the executor's own `prepare`). */
    private readonly prepare: (decisionId: string) => void,
    private readonly stopping: () => boolean,
  ) {}

  /**
   * Inspects every `interrupted` action without a recorded state whose deployment has not moved
   * on since (its base revision is still the latest), plus `alsoIds` (rollbacks the restart found
   * cut short); the newest per deployment. Never throws: a failed check is recorded as `unknown`.
   */
  async inspectAll(alsoIds: readonly string[] = []): Promise<void> {
    const port = this.d.interrupted;
    if (!port) return;
    const extra = alsoIds.map((id) => this.d.store.get(id)).filter((a): a is ActionRecord => a !== undefined);
    const candidates = [...this.d.store.inStatus(['interrupted']), ...extra]
      .filter((a) => interruptedStateOf(a.result) === null && this.stillCurrent(a))
      .sort((x, y) => (x.createdAt < y.createdAt ? 1 : -1));
    const seen = new Set<string>();
    for (const a of candidates) {
      if (seen.has(a.runId)) continue;
      seen.add(a.runId);
      await this.d.locks.withDeploymentLock(a.runId, () => this.inspectOne(port, a));
    }
  }

  /** Nothing was applied to the deployment after the action was prepared (or it never got that far). */
  private stillCurrent(a: ActionRecord): boolean {
    return a.baseRevisionId === null || this.d.store.latestRevision(a.runId)?.id === a.baseRevisionId;
  }

  private async inspectOne(port: InterruptedStatePort, a: ActionRecord): Promise<void> {
    let state: InterruptedState;
    try {
      state = await this.inspect(a);
    } catch (err) {
      state = this.unknown(a, `checking the deployment: ${errorMessage(err)}`);
    }
    // A check cut short by a shutdown says nothing: the next start checks again.
    if (this.stopping()) return;
    const recovery = state.outcome === 'differs' ? this.recoveryFor(a) : { why: null };
    if ('revisionId' in recovery) {
      const reason = `action ${a.id} was interrupted mid-apply and left the state different from the files of revision ${recovery.revisionId}:\n${state.summary}`;
      const decision = port.record(a, state, { revisionId: recovery.revisionId, reason });
      this.d.logger.error(
        { actionId: a.id, runId: a.runId, decisionId: decision?.decisionId, differences: state.differences.length },
        'interrupted apply left the deployment half-applied; recovery proposed for approval',
      );
      if (decision?.status === 'proposed') this.prepare(decision.decisionId);
      return;
    }
    port.record(a, { ...state, note: state.note ?? recovery.why });
    const level = state.outcome === 'matches' ? 'info' : 'error';
    this.d.logger[level](
      { actionId: a.id, runId: a.runId, outcome: state.outcome, note: state.note ?? recovery.why },
      `interrupted apply checked: ${state.outcome}`,
    );
  }

  /** The revision to re-apply, or why no recovery can be proposed. */
  private recoveryFor(a: ActionRecord): { revisionId: string } | { why: string } {
    if (a.incidentId === null) return { why: 'the action is not tied to an incident; converge the deployment by hand' };
    if (a.baseRevisionId === null) return { why: 'no applied revision to return to; converge the deployment by hand' };
    const revision = this.d.store.getRevision(a.baseRevisionId);
    if (!revision) return { why: `revision ${a.baseRevisionId} is not recorded; converge the deployment by hand` };
    const runDir = resolveRunDir(this.d.settings.runsDir, a.runId);
    const changed = differingFiles(runDir, revision.filesDir);
    const names = [...changed.changed, ...changed.deleted];
    if (names.length > 0)
      return {
        why: `${names.join(', ')} changed since revision ${revision.id}; re-applying it would undo that change, so a human decides`,
      };
    const pending = this.d.store.inStatus(PENDING_STATUSES).find((p) => p.runId === a.runId);
    if (pending) return { why: `action ${pending.id} is already ${pending.status} on the deployment` };
    return { revisionId: revision.id };
  }

  /** Plans the run dir's files against the current state in a scratch copy. */
  private async inspect(a: ActionRecord): Promise<InterruptedState> {
    const runDir = resolveRunDir(this.d.settings.runsDir, a.runId);
    let scratch = path.join(this.d.settings.dataDir, 'staging', `${a.id}-inspect`);
    try {
      scratch = createStaging(runDir, scratch);
      const planFile = path.join(scratch, 'inspect.tfplan');
      const settings = readDeploymentSettings(runDir);
      const r = await this.d.steps.plan(scratch, planFile, [], settings.ok ? settings.settings.var_files : []);
      const secrets = configSecrets(readConfigFiles(scratch));
      if (r.exitCode !== 0 && r.exitCode !== 2)
        return this.unknown(a, scrubStored(describeFailure(`planning "${a.runId}" against its state`, r), secrets));
      const shown = await this.d.steps.show(scratch, planFile);
      if (!shown.ok) return this.unknown(a, shown.message);
      for (const s of planSecrets(shown.plan)) secrets.add(s);
      const differences = differencesOf(shown.plan);
      return scrubStored(
        {
          checked_at: isoAt(this.d.clock),
          outcome: differences.length > 0 ? 'differs' : 'matches',
          revision_id: a.baseRevisionId,
          differences,
          summary: summaryOf(differences),
          note: null,
          recovery_decision_id: null,
        },
        secrets,
      );
    } finally {
      removeStaging(scratch);
    }
  }

  private unknown(a: ActionRecord, why: string): InterruptedState {
    return {
      checked_at: isoAt(this.d.clock),
      outcome: 'unknown',
      revision_id: a.baseRevisionId,
      differences: [],
      summary: `the state could not be compared with the files: ${why}`,
      note: why,
      recovery_decision_id: null,
    };
  }
}
