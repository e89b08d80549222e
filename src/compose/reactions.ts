/**
 * The reactive loop on one screen: every subscription to the event bus is made here, and each line
 * says which event makes which component do what. Components expose plain methods and never
 * subscribe themselves; this file only routes (what a reaction does is the component's business).
 *
 *   any event                        → metrics counters                          (connected with the core)
 *   action.status                    → Telegram: the action's request message follows its status
 *   decision.created blocked_by_policy → Telegram: the ops chat is told
 *   action.status awaiting_approval  → policy auto-approval (when the policy enables it)
 *   incident.resolved                → executor: the incident's pending and queued actions are obsolete
 *   action.status (releasing)        → executor: the deployment's queue moves on
 *   action.status applied            → verification: the watch starts
 *   incident.resolved                → verification: the watching actions are evaluated now
 *   alert.received firing            → verification: linked to the actions watching its deployment
 *
 * The one other listener is per connection: each live dashboard client (SSE, src/http/routes/events.ts)
 * hears every event while it is connected. Listeners run in the order they were connected (main.ts:
 * metrics, Telegram, auto-approval, executor, verification); a throwing one is isolated and logged by the bus.
 */
import type { TelegramApprovalChannel } from '../approvals/telegram-approval-channel.js';
import type { ActionExecutor } from '../executor/action-executor.js';
import type { ServiceMetrics } from '../metrics/service-metrics.js';
import type { EventBus } from '../shared/events.js';
import type { Verifier } from '../verification/verifier.js';

/** Undoes one connect call. */
export type Disconnect = () => void;

export function connectMetrics(bus: EventBus, metrics: Pick<ServiceMetrics, 'onEvent'>): Disconnect {
  return bus.subscribe((e) => metrics.onEvent(e));
}

export function connectTelegram(
  bus: EventBus,
  telegram: Pick<TelegramApprovalChannel, 'onActionStatus' | 'onDecisionBlocked'>,
): Disconnect {
  return bus.subscribe((e) => {
    if (e.type === 'action.status') telegram.onActionStatus(e.actionId);
    else if (e.type === 'decision.created' && e.status === 'blocked_by_policy')
      telegram.onDecisionBlocked(e.decisionId);
  });
}

export function connectAutoApproval(bus: EventBus, onAwaitingApproval: (actionId: string) => void): Disconnect {
  return bus.subscribe((e) => {
    if (e.type === 'action.status' && e.status === 'awaiting_approval') onAwaitingApproval(e.actionId);
  });
}

export function connectExecutor(
  bus: EventBus,
  executor: Pick<ActionExecutor, 'markObsolete' | 'onActionStatus'>,
): Disconnect {
  return bus.subscribe((e) => {
    if (e.type === 'incident.resolved') executor.markObsolete(e.incidentId);
    else if (e.type === 'action.status') executor.onActionStatus(e.status, e.runId);
  });
}

export function connectVerification(
  bus: EventBus,
  verifier: Pick<Verifier, 'onApplied' | 'onIncidentResolved' | 'onFiring'>,
): Disconnect {
  return bus.subscribe((e) => {
    if (e.type === 'action.status' && e.status === 'applied') verifier.onApplied(e.actionId);
    else if (e.type === 'incident.resolved') verifier.onIncidentResolved(e.incidentId);
    else if (e.type === 'alert.received' && e.status === 'firing') verifier.onFiring(e.fingerprint);
  });
}
