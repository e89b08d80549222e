import type { LedgerEntry } from '../shared/ledger.js';
import { evaluateDecision, type PolicyVerdict } from '../policy/evaluate.js';
import type { Policy } from '../policy/policy-schema.js';
import {
  isForEachInstance,
  targetAddressOf,
  type RegistryLookup,
  type RegistryResource,
} from '../registry/registry-port.js';
import { isoAt, type Clock } from '../shared/clock.js';
import type { LlmRecorder } from '../shared/metrics-ports.js';
import { currentValues } from '../agent/attribute-paths.js';
import type { DecisionContext, IncidentAlert } from '../agent/context.js';
import type { DecisionModel } from '../agent/decision-model.js';
import { isActionable } from '../agent/decision-schema.js';
import type { DecisionRecord, DecisionStatus, DecisionStore, IncidentForDecision } from './decision-store.js';
import { runAgent, type AgentResult } from '../agent/run-agent.js';

export interface DecideDeps {
  store: DecisionStore;
  registry: RegistryLookup;
  policy: Policy;
  /** Undefined when no GEMINI_API_KEY: the rules decide. */
  model: DecisionModel | undefined;
  clock: Clock;
  newId: (prefix: string) => string;
  /** Counts model calls, latency and tokens (Prometheus). Optional. */
  llmRecorder?: LlmRecorder;
}

export type DecideOutcome =
  | { kind: 'decided'; decision: DecisionRecord }
  | { kind: 'skipped'; reason: 'missing' | 'already_decided' | 'resolved' };

const NEIGHBOUR_LIMIT = 200;
const HISTORY_LIMIT = 5;

/** The resource an incident names, its instances' block, or why it cannot be found. */
function resolveResource(registry: RegistryLookup, i: IncidentForDecision): RegistryResource | string {
  if (i.runId === null || i.resourceAddress === null) {
    return `resource ${i.resourceKey ? `"${i.resourceKey}" ` : ''}is ${i.lookupStatus}${i.lookupReason ? `: ${i.lookupReason}` : ''}`;
  }
  const exact = registry.get(i.runId, i.resourceAddress);
  if (exact && exact.mode === 'managed' && exact.status === 'present') return exact;
  // Incidents may name a block (`terraform_data.pool`) rather than one of its instances: its count
  // instances are interchangeable, so the first stands for them. A for_each instance (distinct
  // target) is named by its own address, so a block of for_each instances is never stood in for.
  const block = registry.listByDeployment(i.runId, NEIGHBOUR_LIMIT).filter((r) => r.blockAddress === i.resourceAddress);
  const forEach = block.filter(isForEachInstance);
  if (forEach.length > 0) {
    return `resource ${i.resourceAddress} is a for_each block; its instances (${forEach.map((r) => r.address).join(', ')}) are distinct targets and the incident names none of them`;
  }
  return block[0] ?? `resource ${i.resourceAddress} is no longer in deployment ${i.runId}`;
}

function buildContext(
  deps: DecideDeps,
  incident: IncidentForDecision,
  alerts: IncidentAlert[],
  resource: RegistryResource,
): DecisionContext {
  const neighbours = deps.registry.listByDeployment(resource.runId, NEIGHBOUR_LIMIT);
  const targetId = targetAddressOf(resource);
  // A for_each instance is its own target: the model may name it (or the alert's key), never its
  // block or a sibling instance. Count instances share their block's id.
  const instances = isForEachInstance(resource)
    ? []
    : neighbours.filter((n) => n.blockAddress === resource.blockAddress).map((n) => n.address);
  const acceptedIds = [...new Set([targetId, resource.address, ...instances, incident.resourceKey ?? ''])].filter(
    (s) => s !== '',
  );
  const paths = [...new Set(['count', ...deps.policy.changeable_attributes])];
  return {
    incident,
    alerts,
    resource,
    targetId,
    acceptedIds,
    neighbours,
    currentValues: currentValues(resource, neighbours, paths),
    history: deps.store.history(resource.runId, targetId, HISTORY_LIMIT),
    policy: deps.policy,
  };
}

function statusOf(result: AgentResult, verdict: PolicyVerdict | null): DecisionStatus {
  if (result.outcome === 'llm_rejected') return 'llm_rejected';
  if (verdict && !verdict.allowed) return 'blocked_by_policy';
  return isActionable(result.output.action_type) ? 'proposed' : 'no_action';
}

function record(
  deps: DecideDeps,
  base: Pick<DecisionRecord, 'incidentId' | 'runId' | 'resourceAddress'>,
  fields: Partial<DecisionRecord> & Pick<DecisionRecord, 'status' | 'reason' | 'resourceId'>,
): DecisionRecord {
  return {
    id: deps.newId('dec'),
    actionType: 'no_action',
    parameters: {},
    confidence: 0,
    source: 'rules',
    policyVerdict: null,
    model: null,
    prompt: null,
    response: null,
    latencyMs: null,
    promptTokens: null,
    outputTokens: null,
    error: null,
    createdAt: isoAt(deps.clock),
    ...base,
    ...fields,
  };
}

function ledgerFor(d: DecisionRecord, at: string, extra: LedgerEntry[] = []): LedgerEntry[] {
  return [
    ...extra,
    {
      kind: 'decision.created',
      at,
      incidentId: d.incidentId,
      decisionId: d.id,
      runId: d.runId,
      actor: d.source,
      data: {
        status: d.status,
        action_type: d.actionType,
        resource_id: d.resourceId,
        parameters: d.parameters,
        confidence: d.confidence,
        verdict: d.policyVerdict,
        error: d.error,
      },
    },
  ];
}

/** Stores `d`, falling back to a suppressed record when a concurrent decision won the cooldown. */
function store(deps: DecideDeps, d: DecisionRecord, extra: LedgerEntry[] = []): DecideOutcome {
  const cooldownApplies = d.status === 'proposed' && d.runId !== null && d.resourceAddress !== null;
  const guard = cooldownApplies
    ? { runId: d.runId!, resourceAddress: d.resourceAddress!, sinceIso: cooldownStart(deps) }
    : undefined;
  const result = deps.store.insert(d, ledgerFor(d, d.createdAt, extra), guard);
  if (result.kind === 'duplicate') return { kind: 'skipped', reason: 'already_decided' };
  if (result.kind === 'cooldown') return store(deps, suppressed(deps, d, result.recentId, result.recentAt));
  return { kind: 'decided', decision: d };
}

function cooldownStart(deps: DecideDeps): string {
  return new Date(deps.clock.now() - deps.policy.cooldown_seconds * 1000).toISOString();
}

function suppressed(
  deps: DecideDeps,
  d: Pick<DecisionRecord, 'incidentId' | 'runId' | 'resourceAddress' | 'resourceId'>,
  recentId: string,
  recentAt: string,
): DecisionRecord {
  return record(deps, d, {
    status: 'suppressed_cooldown',
    resourceId: d.resourceId,
    reason: `decision ${recentId} at ${recentAt} on ${d.resourceAddress} is inside the ${deps.policy.cooldown_seconds}s cooldown`,
  });
}

function recordCall(deps: DecideDeps, r: AgentResult): void {
  const llm = r.llm!;
  const outcome =
    r.outcome === 'llm_rejected'
      ? 'invalid'
      : llm.error === null
        ? 'ok'
        : /timed out/.test(llm.error)
          ? 'timeout'
          : 'error';
  deps.llmRecorder?.record({
    model: llm.model,
    outcome,
    purpose: 'decision',
    latencyMs: llm.latencyMs,
    ...(llm.promptTokens !== null ? { promptTokens: llm.promptTokens } : {}),
    ...(llm.outputTokens !== null ? { outputTokens: llm.outputTokens } : {}),
  });
}

/**
 * Makes at most one decision for an incident: cooldown, resource resolution, agent, policy.
 * Every outcome (including "needs a human") is stored with its reason. Throws only when the
 * database does.
 */
export async function decideIncident(deps: DecideDeps, incidentId: string): Promise<DecideOutcome> {
  const data = deps.store.readIncident(incidentId);
  if (!data) return { kind: 'skipped', reason: 'missing' };
  // The incident row says so already; insert() re-checks inside its transaction (the guard that counts).
  if (data.incident.decisionId !== null) return { kind: 'skipped', reason: 'already_decided' };
  if (data.incident.status === 'resolved') return { kind: 'skipped', reason: 'resolved' };
  const { incident, alerts } = data;
  const resource = resolveResource(deps.registry, incident);
  if (typeof resource === 'string') {
    const base = { incidentId, runId: incident.runId, resourceAddress: incident.resourceAddress };
    return store(
      deps,
      record(deps, base, {
        status: 'needs_human',
        resourceId: incident.resourceKey ?? incident.resourceAddress ?? 'unknown',
        reason: resource,
      }),
    );
  }
  // The decision's target (and the action's): the for_each instance, or the count block.
  const base = { incidentId, runId: resource.runId, resourceAddress: targetAddressOf(resource) };
  const recent = deps.store.recentActionable({ ...base, sinceIso: cooldownStart(deps) });
  if (recent)
    return store(deps, suppressed(deps, { ...base, resourceId: base.resourceAddress }, recent.id, recent.createdAt));

  const ctx = buildContext(deps, incident, alerts, resource);
  const result = await runAgent(ctx, deps.model);
  if (result.llm) recordCall(deps, result);
  const paths = Object.keys(result.output.parameters);
  const verdict =
    result.outcome === 'llm_rejected'
      ? null
      : evaluateDecision(result.output, currentValues(resource, ctx.neighbours, paths), deps.policy, resource);
  const o = result.output;
  const d = record(deps, base, {
    status: statusOf(result, verdict),
    actionType: o.action_type,
    resourceId: o.resource_id,
    parameters: o.parameters,
    confidence: o.confidence,
    reason: o.reason,
    source: result.source,
    policyVerdict: verdict,
    model: result.llm?.model ?? null,
    prompt: result.llm?.prompt ?? null,
    response: result.llm?.response ?? null,
    latencyMs: result.llm?.latencyMs ?? null,
    promptTokens: result.llm?.promptTokens ?? null,
    outputTokens: result.llm?.outputTokens ?? null,
    error: result.llm?.error ?? null,
  });
  const extra: LedgerEntry[] = result.llm?.error
    ? [
        {
          kind: result.outcome === 'llm_rejected' ? 'decision.llm_rejected' : 'decision.llm_failed',
          at: d.createdAt,
          incidentId,
          decisionId: d.id,
          runId: d.runId,
          actor: 'gemini',
          data: { error: result.llm.error, attempts: result.llm.attempts, model: result.llm.model },
        },
      ]
    : [];
  return store(deps, d, extra);
}
