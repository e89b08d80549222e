import { z } from 'zod';
import type { LedgerRow } from '../../shared/ledger.js';
import { DataMap, snakeKeys } from './common.js';

export const LedgerRowWire = z.strictObject({
  id: z.number().int(),
  at: z.string(),
  kind: z.string(),
  fingerprint: z.string().nullable(),
  incident_id: z.string().nullable(),
  decision_id: z.string().nullable(),
  action_id: z.string().nullable(),
  run_id: z.string().nullable(),
  actor: z.string().nullable(),
  data: DataMap.describe('what the step recorded (snake_case keys; parameters and labels as given)'),
});

export function ledgerToWire(r: LedgerRow): z.infer<typeof LedgerRowWire> {
  return {
    id: r.id,
    at: r.at,
    kind: r.kind,
    fingerprint: r.fingerprint,
    incident_id: r.incidentId,
    decision_id: r.decisionId,
    action_id: r.actionId,
    run_id: r.runId,
    actor: r.actor,
    data: snakeKeys(r.data) as Record<string, unknown>,
  };
}
