import type { AlertStatus, NormalisedAlert } from './normalise.js';

/** How the alert's resource label resolved against the registry. */
export type LookupStatus = 'matched' | 'unknown' | 'ambiguous' | 'missing';

/** Where an alert's resource label led in the registry, and the incident the alert joined. */
export interface AlertResolution {
  runId: string | null;
  resourceAddress: string | null;
  lookupStatus: LookupStatus;
  lookupReason: string | null;
  incidentId: string | null;
}

/** What identifies an incident's target (alert rows and incident rows share it). */
export interface IncidentTarget {
  runId: string | null;
  /** The owning block's address; null when the resource was not matched. */
  resourceAddress: string | null;
  resourceKey: string | null;
  alertname: string;
  lookupStatus: LookupStatus;
  lookupReason: string | null;
}

/** Asks for a decision on a newly opened incident. Implemented by the decision service. */
export interface DecisionTrigger {
  /**
   * Queues a decision for the incident and returns at once: no LLM or Terraform work inline
   * (it is called right after the intake transaction commits, inside the webhook request).
   * Never throws. Called once per opened incident; repeated calls for the same id should be
   * ignored by the implementation (idempotent).
   */
  enqueue(incidentId: string): void;
  /** Incidents queued and not yet decided. Intake answers 503 above WEBHOOK_MAX_PENDING. Never throws. */
  backlog?(): number;
}

/** The default until a decision service is wired in: incidents wait for a human. */
export const noopDecisionTrigger: DecisionTrigger = { enqueue() {}, backlog: () => 0 };

/** What intake needs to know about an alert it has seen before. */
export interface StoredAlertState {
  fingerprint: string;
  status: AlertStatus;
  startsAt: string | null;
  incidentId: string | null;
  /** True when `incidentId` names an incident that is still open. */
  incidentOpen: boolean;
}

export interface NotificationRow {
  id: string;
  dedupKey: string;
  format: 'alertmanager' | 'simple';
  receiver: string | null;
  groupKey: string;
  status: AlertStatus;
  alertCount: number;
  truncatedAlerts: number;
  receivedAt: string;
}

/** An alert as intake writes it: the normalised alert plus its resolution. */
export interface AlertRow extends NormalisedAlert, AlertResolution {
  seenAt: string;
  resolvedAt: string | null;
}

export interface IncidentRow extends IncidentTarget {
  id: string;
  incidentKey: string;
  openedAt: string;
}

/**
 * The writes intake makes. Every method must be called inside `transaction`; a throw anywhere
 * rolls the whole notification back (nothing half-stored).
 */
export interface AlertWriteStore {
  /** Runs `fn` in one database transaction and returns its result. Rethrows what `fn` throws. */
  transaction<T>(fn: () => T): T;
  /** Inserts the notification; false (and no write) when its dedup key is already stored. */
  insertNotification(row: NotificationRow): boolean;
  /** Id of the notification stored under this dedup key. */
  notificationIdByDedupKey(dedupKey: string): string | undefined;
  getAlertState(fingerprint: string): StoredAlertState | undefined;
  /** Inserts or replaces the alert's current state (first_seen_at is kept on update). */
  upsertAlert(row: AlertRow): void;
  /** Still firing: refreshes labels, annotations, value and last_seen_at only. */
  touchAlert(row: Pick<AlertRow, 'fingerprint' | 'labels' | 'annotations' | 'value' | 'severity' | 'seenAt'>): void;
  /** Appends one firing/resolved transition to the alert's history. */
  addAlertEvent(fingerprint: string, notificationId: string, status: AlertStatus, at: string): void;
  /** Id of the open incident with this key, if any. */
  findOpenIncident(incidentKey: string): string | undefined;
  insertIncident(row: IncidentRow): void;
  /**
   * Links the alerts to the incident (already linked ones are skipped) and bumps alert_count by
   * the number newly linked, in one update. Returns that number.
   */
  joinIncident(incidentId: string, fingerprints: readonly string[], at: string): number;
  countFiringAlerts(incidentId: string): number;
  resolveIncident(incidentId: string, at: string): void;
}
