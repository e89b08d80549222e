import type { Statement } from 'better-sqlite3';
import type { Db } from '../connection/database.js';
import type { DecisionSource } from '../../agent/decision-schema.js';

/** One row of `decisions`, whoever proposed it (the agent, a human over POST /infra, verification). */
export interface DecisionRow {
  id: string;
  /** Null for a human's request without an alert. */
  incidentId: string | null;
  runId: string | null;
  resourceAddress: string | null;
  actionType: string;
  resourceId: string;
  parameters: Record<string, unknown>;
  confidence: number;
  reason: string;
  source: DecisionSource | 'human' | 'verification';
  status: string;
  policyVerdict: unknown;
  model?: string | null;
  prompt?: string | null;
  response?: string | null;
  latencyMs?: number | null;
  promptTokens?: number | null;
  outputTokens?: number | null;
  error?: string | null;
  rollbackRevisionId?: string | null;
  createdAt: string;
}

/**
 * The only module that writes `decisions`: one column list for every source. Callers run it
 * inside their own transaction together with the ledger row (and, for the agent, the incident link).
 */
export class SqliteDecisionWriter {
  private readonly insertStmt: Statement;

  constructor(db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO decisions (id, incident_id, run_id, resource_address, action_type, resource_id, parameters_json,
         confidence, reason, source, status, policy_verdict_json, model, prompt, response, latency_ms, prompt_tokens,
         output_tokens, error, created_at, updated_at, rollback_revision_id)
       VALUES (@id, @incidentId, @runId, @resourceAddress, @actionType, @resourceId, @parameters, @confidence, @reason,
         @source, @status, @verdict, @model, @prompt, @response, @latencyMs, @promptTokens, @outputTokens, @error,
         @createdAt, @createdAt, @rollbackRevisionId)`,
    );
  }

  insert(d: DecisionRow): void {
    this.insertStmt.run({
      id: d.id,
      incidentId: d.incidentId,
      runId: d.runId,
      resourceAddress: d.resourceAddress,
      actionType: d.actionType,
      resourceId: d.resourceId,
      parameters: JSON.stringify(d.parameters),
      confidence: d.confidence,
      reason: d.reason,
      source: d.source,
      status: d.status,
      verdict: d.policyVerdict === null ? null : JSON.stringify(d.policyVerdict),
      model: d.model ?? null,
      prompt: d.prompt ?? null,
      response: d.response ?? null,
      latencyMs: d.latencyMs ?? null,
      promptTokens: d.promptTokens ?? null,
      outputTokens: d.outputTokens ?? null,
      error: d.error ?? null,
      createdAt: d.createdAt,
      rollbackRevisionId: d.rollbackRevisionId ?? null,
    });
  }
}
