import { z } from 'zod';
import { DECISION_SOURCES } from '../../agent/decision-schema.js';
import type { DecisionDetail, DecisionRecordView } from '../../db/decisions/sqlite-decision-view.js';
import { DataMap, snakeKeys } from './common.js';
import { LedgerRowWire, ledgerToWire } from './ledger.js';

export const DecisionWire = z.strictObject({
  id: z.string(),
  incident_id: z.string().nullable().describe('null for a POST /infra deployment'),
  run_id: z.string().nullable(),
  resource_address: z.string().nullable(),
  action_type: z.string(),
  resource_id: z.string(),
  parameters: DataMap,
  confidence: z.number(),
  reason: z.string(),
  source: z.enum(DECISION_SOURCES),
  status: z.string(),
  error: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

const n = z.number().nullable();
const s = z.string().nullable();

export const DecisionDetailWire = z.strictObject({
  decision: DecisionWire,
  policy_verdict: z.unknown().describe('the policy evaluation at decision time (snake_case keys)'),
  llm: z
    .strictObject({ model: s, prompt: s, response: s, latency_ms: n, prompt_tokens: n, output_tokens: n, error: s })
    .nullable(),
  incident: DataMap.nullable().describe('the incident row'),
  alerts: z.array(DataMap),
  ledger: z.array(LedgerRowWire),
});

export function decisionToWire(d: DecisionRecordView): z.infer<typeof DecisionWire> {
  return {
    id: d.id,
    incident_id: d.incident_id,
    run_id: d.run_id,
    resource_address: d.resource_address,
    action_type: d.action_type,
    resource_id: d.resource_id,
    parameters: d.parameters,
    confidence: d.confidence,
    reason: d.reason,
    source: d.source,
    status: d.status,
    error: d.error,
    created_at: d.created_at,
    updated_at: d.updated_at,
  };
}

export function decisionDetailToWire(d: DecisionDetail): z.infer<typeof DecisionDetailWire> {
  return {
    decision: decisionToWire(d.decision),
    policy_verdict: snakeKeys(d.policy_verdict),
    llm: d.llm && { ...d.llm },
    incident: d.incident,
    alerts: d.alerts,
    ledger: d.ledger.map(ledgerToWire),
  };
}
