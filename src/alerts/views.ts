import type { NormalisedAlert } from './normalise.js';
import type { AlertResolution, IncidentTarget, LookupStatus } from './ports.js';

/** An alert as stored (labels and annotations already redacted). */
export interface AlertView extends NormalisedAlert, Omit<AlertResolution, 'lookupStatus'> {
  lookupStatus: LookupStatus | 'pending';
  firstSeenAt: string;
  lastSeenAt: string;
  resolvedAt: string | null;
}

export interface IncidentView extends IncidentTarget {
  id: string;
  incidentKey: string;
  status: 'open' | 'resolved';
  alertCount: number;
  decisionId: string | null;
  openedAt: string;
  updatedAt: string;
  resolvedAt: string | null;
}

export interface ActiveAlertView extends AlertView {
  incident: Pick<IncidentView, 'id' | 'status' | 'alertCount' | 'decisionId' | 'openedAt'> | null;
  deployment: { runId: string; dir: string; status: string } | null;
}

/** Reads over stored alerts and incidents, for the HTTP API, the decision service and verification. */
export interface AlertQueries {
  /** Firing alerts, newest first, with their incident and deployment. Reads only. */
  listActiveAlerts(page: { limit: number; offset: number }): { total: number; items: ActiveAlertView[] };
  getAlert(fingerprint: string): AlertView | undefined;
  getIncident(incidentId: string): IncidentView | undefined;
  /** The incident and every alert that joined it (firing and resolved). Reads only. */
  getIncidentWithAlerts(incidentId: string): { incident: IncidentView; alerts: AlertView[] } | undefined;
  listIncidents(filter: { status?: 'open' | 'resolved'; limit: number; offset: number }): {
    total: number;
    items: IncidentView[];
  };
}

/** The one write the decision service makes on an incident. */
export interface IncidentDecisionLink {
  /** Records which decision answers the incident. Idempotent; false when the incident does not exist. */
  attachDecision(incidentId: string, decisionId: string, at: string): boolean;
}
