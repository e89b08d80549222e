import { z } from 'zod';
import type { DomainEvent } from '../../shared/events.js';

/** The `data:` of one SSE frame on GET /ops/events: the event, snake_case. */
export const EventWire = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('alert.received'),
    fingerprint: z.string(),
    status: z.enum(['firing', 'resolved']),
    incident_id: z.string().nullable(),
  }),
  z.strictObject({ type: z.literal('incident.opened'), incident_id: z.string() }),
  z.strictObject({ type: z.literal('incident.resolved'), incident_id: z.string() }),
  z.strictObject({
    type: z.literal('decision.created'),
    decision_id: z.string(),
    incident_id: z.string(),
    status: z.string(),
  }),
  z.strictObject({ type: z.literal('action.status'), action_id: z.string(), status: z.string(), run_id: z.string() }),
  z.strictObject({
    type: z.literal('approval.recorded'),
    action_id: z.string(),
    verdict: z.enum(['approve', 'reject']),
    outcome: z.enum(['accepted', 'refused']),
    channel: z.string(),
  }),
  z.strictObject({ type: z.literal('registry.synced'), run_id: z.string() }),
]);

export type EventOnWire = z.infer<typeof EventWire>;

export function eventToWire(e: DomainEvent): EventOnWire {
  switch (e.type) {
    case 'alert.received':
      return { type: e.type, fingerprint: e.fingerprint, status: e.status, incident_id: e.incidentId };
    case 'incident.opened':
    case 'incident.resolved':
      return { type: e.type, incident_id: e.incidentId };
    case 'decision.created':
      return { type: e.type, decision_id: e.decisionId, incident_id: e.incidentId, status: e.status };
    case 'action.status':
      return { type: e.type, action_id: e.actionId, status: e.status, run_id: e.runId };
    case 'approval.recorded':
      return { type: e.type, action_id: e.actionId, verdict: e.verdict, outcome: e.outcome, channel: e.channel };
    case 'registry.synced':
      return { type: e.type, run_id: e.runId };
  }
}
