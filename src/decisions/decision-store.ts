import type { LedgerEntry } from '../shared/ledger.js';
import type { HistoryItem, IncidentAlert, IncidentRecord } from '../agent/context.js';
import type { PolicyVerdict } from '../policy/evaluate.js';
import type { DecisionSource } from '../agent/decision-schema.js';

/** Decision statuses this service writes (the executor tracks what follows in `actions`). */
export const DECISION_STATUSES = [
  'proposed',
  'blocked_by_policy',
  'no_action',
  'llm_rejected',
  'needs_human',
  'suppressed_cooldown',
] as const;
export type DecisionStatus = (typeof DECISION_STATUSES)[number];

export { DECISION_SOURCES, type DecisionSource } from '../agent/decision-schema.js';

export interface IncidentForDecision extends IncidentRecord {
  resourceKey: string | null;
  lookupStatus: string;
  lookupReason: string | null;
  /** The decision already linked to the incident (set in the same transaction as its insert). */
  decisionId: string | null;
}

export interface DecisionRecord {
  id: string;
  incidentId: string;
  runId: string | null;
  /** The target's block address (count instances share it). */
  resourceAddress: string | null;
  actionType: string;
  resourceId: string;
  parameters: Record<string, unknown>;
  confidence: number;
  reason: string;
  source: DecisionSource;
  status: DecisionStatus;
  policyVerdict: PolicyVerdict | null;
  model: string | null;
  prompt: string | null;
  response: string | null;
  latencyMs: number | null;
  promptTokens: number | null;
  outputTokens: number | null;
  error: string | null;
  createdAt: string;
}

/** Fails the insert when an actionable decision for the same target is newer than `sinceIso`. */
export interface CooldownGuard {
  runId: string;
  resourceAddress: string;
  sinceIso: string;
}

export type InsertResult =
  | { kind: 'inserted' }
  | { kind: 'duplicate'; existingId: string }
  | { kind: 'cooldown'; recentId: string; recentAt: string };

/** Persistence the decision service needs. Reads incidents/alerts (owned by intake), writes decisions. */
export interface DecisionStore {
  /** The incident and its alerts (oldest first), or undefined. Reads only. */
  readIncident(incidentId: string): { incident: IncidentForDecision; alerts: IncidentAlert[] } | undefined;
  /** Id of the first decision recorded for this incident, if any (indexed lookup). Reads only. */
  decisionFor(incidentId: string): string | undefined;
  /** Latest actionable decision (not no_action, not rejected/blocked/suppressed) for the target since a time. */
  recentActionable(guard: CooldownGuard): { id: string; createdAt: string } | undefined;
  /** Recent decisions on the target with their action's status, newest first. Reads only. */
  history(runId: string, resourceAddress: string, limit: number): HistoryItem[];
  /** Open incidents that have no decision yet (restart recovery), oldest first. */
  undecidedOpenIncidents(limit: number): string[];
  /**
   * In one transaction: re-checks that the incident has no decision and (when `guard` is given)
   * that no actionable decision is inside the cooldown; inserts the decision, links it to the
   * incident and appends the ledger entries. Nothing is written unless the result is `inserted`.
   */
  insert(decision: DecisionRecord, ledger: LedgerEntry[], guard?: CooldownGuard): InsertResult;
}
