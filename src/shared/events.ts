/**
 * In-process events: what changed, for live views (SSE), Telegram message edits and metrics.
 * The database stays the source of truth; an event only says "look again".
 */
import type { ActionStatus } from '../actions/status.js';

export type DomainEvent =
  | { type: 'alert.received'; fingerprint: string; status: 'firing' | 'resolved'; incidentId: string | null }
  | { type: 'incident.opened'; incidentId: string }
  | { type: 'incident.resolved'; incidentId: string }
  | { type: 'decision.created'; decisionId: string; incidentId: string; status: string }
  | { type: 'action.status'; actionId: string; status: ActionStatus; runId: string }
  | {
      type: 'approval.recorded';
      actionId: string;
      verdict: 'approve' | 'reject';
      outcome: 'accepted' | 'refused';
      channel: string;
    }
  | { type: 'registry.synced'; runId: string };

export type EventListener = (event: DomainEvent) => void;

export interface EventBus {
  /** Delivers synchronously to every listener; a throwing listener is isolated and logged. */
  publish(event: DomainEvent): void;
  /** Returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void;
}

export class InProcessEventBus implements EventBus {
  private readonly listeners = new Set<EventListener>();

  constructor(private readonly onListenerError: (err: unknown, event: DomainEvent) => void = () => {}) {}

  publish(event: DomainEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (err) {
        this.onListenerError(err, event);
      }
    }
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
