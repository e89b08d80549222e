import type { Ledger } from '../shared/ledger.js';
import type { RegistryLookup } from '../registry/registry-port.js';
import type { Clock } from '../shared/clock.js';
import type { EventBus } from '../shared/events.js';
import type { Logger } from '../shared/logger.js';
import { dedupKey, incidentKey, resolveResource, type Resolution } from './collapse.js';
import { pickResourceKeys, type NormalisedAlert, type NormalisedNotification } from './normalise.js';
import type { AlertWriteStore, DecisionTrigger, StoredAlertState } from './ports.js';

export interface IntakeDeps {
  store: AlertWriteStore;
  ledger: Ledger;
  registry: RegistryLookup;
  trigger: DecisionTrigger;
  events: EventBus;
  clock: Clock;
  logger: Logger;
  /** Label names tried in order to find the alert's resource. */
  resourceLabels: readonly string[];
  newId: (prefix: string, nowMs: number) => string;
}

export interface IntakeResult {
  notificationId: string;
  duplicate: boolean;
  alerts: number;
  incidentsOpened: number;
  incidentsResolved: number;
}

/** Alerts of one notification that join one incident: linked and put in the ledger together. */
interface JoinGroup {
  opened: boolean;
  /** The first alert and its resolution: an opened incident's ledger row describes them. */
  first: NormalisedAlert;
  resolution: Resolution;
  fingerprints: Set<string>;
}

/** What one notification changed; filled inside the transaction, acted on after commit. */
interface Work {
  notificationId: string;
  at: string;
  opened: string[];
  resolved: string[];
  touched: Set<string>;
  received: Array<{ fingerprint: string; status: 'firing' | 'resolved'; incidentId: string | null }>;
  resolutions: Map<string, Resolution>;
  joins: Map<string, JoinGroup>;
}

/** Cached registry resolutions above this many keys are dropped (a flood of random labels). */
const MAX_CACHED_RESOLUTIONS = 10_000;

/**
 * Alert intake: stores a notification, its alerts and their incidents in one transaction, then
 * (after commit) asks for decisions on new incidents and tells listeners what changed.
 * Idempotent per notification: a redelivery changes nothing and reports `duplicate: true`.
 */
export class AlertIntake {
  /** Registry resolutions kept across batches while the registry's generation is unchanged. */
  private cache = new Map<string, Resolution>();
  private cacheGeneration: string | undefined;

  constructor(private readonly deps: IntakeDeps) {}

  /** @throws whatever the store throws (the transaction is rolled back; nothing is stored). */
  receive(n: NormalisedNotification): IntakeResult {
    const [outcome] = this.receiveMany([n]);
    if (outcome instanceof Error || outcome === undefined) throw outcome ?? new Error('no intake outcome');
    return outcome;
  }

  /**
   * Group commit: several notifications in one transaction, so the commit cost is shared. If the
   * batch fails, each notification is retried in its own transaction so that one bad
   * notification fails alone. Results are returned only after their commit; listeners and the
   * decision trigger hear about them after that too.
   */
  receiveMany(batch: readonly NormalisedNotification[]): Array<IntakeResult | Error> {
    let done: Array<{ work: Work; result: IntakeResult } | Error>;
    try {
      const resolutions = this.resolutionCache();
      done = this.deps.store.transaction(() => batch.map((n) => this.apply(n, resolutions)));
    } catch (err) {
      if (batch.length === 1) done = [asError(err)];
      else done = batch.map((n) => this.applyAlone(n));
    }
    return done.map((d) => {
      if (d instanceof Error) return d;
      if (!d.result.duplicate) this.afterCommit(d.work);
      return d.result;
    });
  }

  /**
   * One registry lookup per resource key per batch at most (a storm repeats the same few keys,
   * and nothing changes the registry inside this synchronous transaction); across batches too
   * while the registry says its generation has not moved.
   */
  private resolutionCache(): Map<string, Resolution> {
    const generation = this.deps.registry.generation?.();
    if (generation === undefined) return new Map();
    if (generation !== this.cacheGeneration || this.cache.size > MAX_CACHED_RESOLUTIONS) {
      this.cache = new Map();
      this.cacheGeneration = generation;
    }
    return this.cache;
  }

  private applyAlone(n: NormalisedNotification): { work: Work; result: IntakeResult } | Error {
    try {
      return this.deps.store.transaction(() => this.apply(n, new Map()));
    } catch (err) {
      return asError(err);
    }
  }

  /** Stores one notification; runs inside a transaction (or savepoint). */
  private apply(n: NormalisedNotification, resolutions: Map<string, Resolution>): { work: Work; result: IntakeResult } {
    const { store } = this.deps;
    const now = this.deps.clock.now();
    const at = new Date(now).toISOString();
    const work: Work = {
      notificationId: this.deps.newId('ntf', now),
      at,
      opened: [],
      resolved: [],
      touched: new Set(),
      received: [],
      resolutions,
      joins: new Map(),
    };
    const states = n.alerts.map((a) => store.getAlertState(a.fingerprint));
    const starts = n.alerts.map((a, i) => episodeStart(a, states[i], at));
    const key = dedupKey(
      n.groupKey,
      n.alerts.map((a, i) => ({ fingerprint: a.fingerprint, status: a.status, startsAt: starts[i] ?? null })),
    );
    const result = {
      notificationId: work.notificationId,
      duplicate: false,
      alerts: n.alerts.length,
      incidentsOpened: 0,
      incidentsResolved: 0,
    };
    const inserted = store.insertNotification({
      id: work.notificationId,
      dedupKey: key,
      format: n.format,
      receiver: n.receiver,
      groupKey: n.groupKey,
      status: n.status,
      alertCount: n.alerts.length,
      truncatedAlerts: n.truncatedAlerts,
      receivedAt: at,
    });
    if (!inserted) {
      return {
        work,
        result: {
          ...result,
          notificationId: store.notificationIdByDedupKey(key) ?? work.notificationId,
          duplicate: true,
        },
      };
    }
    n.alerts.forEach((a, i) => this.processAlert({ ...a, startsAt: starts[i] ?? null }, states[i], work));
    for (const [incidentId, group] of work.joins) this.recordJoins(incidentId, group, work);
    for (const incidentId of work.touched) this.maybeResolveIncident(incidentId, work);
    return {
      work,
      result: { ...result, incidentsOpened: work.opened.length, incidentsResolved: work.resolved.length },
    };
  }

  private processAlert(a: NormalisedAlert, state: StoredAlertState | undefined, work: Work): void {
    const changed = state === undefined || state.status !== a.status;
    if (a.status === 'firing') this.processFiring(a, state, changed, work);
    else this.processResolved(a, state, work);
    // After the alert row exists: alert_events references it.
    if (changed) this.deps.store.addAlertEvent(a.fingerprint, work.notificationId, a.status, work.at);
  }

  private processFiring(a: NormalisedAlert, state: StoredAlertState | undefined, changed: boolean, work: Work): void {
    const { store } = this.deps;
    if (!changed && state?.incidentOpen === true) {
      store.touchAlert({
        fingerprint: a.fingerprint,
        labels: a.labels,
        annotations: a.annotations,
        value: a.value,
        severity: a.severity,
        seenAt: work.at,
      });
      work.received.push({ fingerprint: a.fingerprint, status: 'firing', incidentId: state.incidentId });
      return;
    }
    const resolution = this.resolve(a, work);
    const keep = state?.incidentOpen === true ? state.incidentId : null;
    const incident = keep !== null ? { id: keep, opened: false } : this.incidentFor(a, resolution, work);
    // The alert row must exist before incident_alerts references it, and must carry its incident.
    store.upsertAlert(alertRow(a, resolution, incident.id, work.at));
    if (keep === null) {
      const group = work.joins.get(incident.id) ?? {
        opened: incident.opened,
        first: a,
        resolution,
        fingerprints: new Set<string>(),
      };
      group.fingerprints.add(a.fingerprint);
      work.joins.set(incident.id, group);
    }
    work.received.push({ fingerprint: a.fingerprint, status: 'firing', incidentId: incident.id });
  }

  private processResolved(a: NormalisedAlert, state: StoredAlertState | undefined, work: Work): void {
    const incidentId = state?.incidentId ?? null;
    const resolution = this.resolve(a, work);
    this.deps.store.upsertAlert({ ...alertRow(a, resolution, incidentId, work.at), resolvedAt: a.endsAt ?? work.at });
    if (incidentId !== null && state?.incidentOpen === true) work.touched.add(incidentId);
    work.received.push({ fingerprint: a.fingerprint, status: 'resolved', incidentId });
  }

  /** The open incident with the same key, or a new one (which will need a decision). */
  private incidentFor(a: NormalisedAlert, r: Resolution, work: Work): { id: string; opened: boolean } {
    const key = incidentKey(r, a.resourceKey, a.alertname);
    const existing = this.deps.store.findOpenIncident(key);
    if (existing !== undefined) return { id: existing, opened: false };
    const id = this.deps.newId('inc', this.deps.clock.now());
    this.deps.store.insertIncident({
      id,
      incidentKey: key,
      runId: r.runId,
      resourceAddress: r.resourceAddress,
      resourceKey: a.resourceKey,
      alertname: a.alertname,
      lookupStatus: r.status,
      lookupReason: r.reason,
      openedAt: work.at,
    });
    work.opened.push(id);
    return { id, opened: true };
  }

  /**
   * Links a notification's alerts to one incident and says so in ONE ledger row listing their
   * fingerprints (`data.fingerprints`): a storm of 1,000 alerts on one resource is one row, not
   * 1,000. `incident.opened` names the alert that opened it in `fingerprint`; a join row names
   * its alert there only when it is the only one.
   */
  private recordJoins(incidentId: string, g: JoinGroup, work: Work): void {
    const fingerprints = [...g.fingerprints];
    this.deps.store.joinIncident(incidentId, fingerprints, work.at);
    const r = g.resolution;
    const common = { at: work.at, runId: r.runId, actor: 'alertmanager', incidentId };
    if (!g.opened) {
      this.deps.ledger.append({
        ...common,
        kind: 'incident.alert_joined',
        fingerprint: fingerprints.length === 1 ? fingerprints[0] : null,
        data: { notification_id: work.notificationId, fingerprints },
      });
      return;
    }
    const a = g.first;
    this.deps.ledger.append({
      ...common,
      kind: 'incident.opened',
      fingerprint: a.fingerprint,
      data: {
        notification_id: work.notificationId,
        incident_key: incidentKey(r, a.resourceKey, a.alertname),
        alertname: a.alertname,
        resource_key: a.resourceKey,
        resource_address: r.resourceAddress,
        lookup_status: r.status,
        lookup_reason: r.reason,
        needs_human: r.status !== 'matched',
        fingerprints,
      },
    });
  }

  private maybeResolveIncident(incidentId: string, work: Work): void {
    if (this.deps.store.countFiringAlerts(incidentId) > 0) return;
    this.deps.store.resolveIncident(incidentId, work.at);
    this.deps.ledger.append({
      kind: 'incident.resolved',
      at: work.at,
      incidentId,
      actor: 'alertmanager',
      data: { notification_id: work.notificationId },
    });
    work.resolved.push(incidentId);
  }

  /** Cached per batch (see receiveMany). */
  /** Every RESOURCE_LABELS key of the alert is tried (its resource key first); its labels pick a deployment. */
  private resolve(a: NormalisedAlert, work: Work): Resolution {
    const keys = a.resourceKey === null ? [] : [a.resourceKey];
    for (const k of pickResourceKeys(a.labels, this.deps.resourceLabels)) if (!keys.includes(k)) keys.push(k);
    const cacheKey = keys.join('\u0000');
    let r = work.resolutions.get(cacheKey);
    // An answer the labels took part in (an ambiguous key narrowed by deployment labels) is not reused.
    if (r === undefined || r.labelDependent === true) {
      r = resolveResource(this.deps.registry, keys, this.deps.resourceLabels, a.labels);
      work.resolutions.set(cacheKey, r);
    }
    return r;
  }

  private afterCommit(work: Work): void {
    const { events, trigger, logger } = this.deps;
    for (const r of work.received) events.publish({ type: 'alert.received', ...r });
    for (const id of work.opened) events.publish({ type: 'incident.opened', incidentId: id });
    for (const id of work.resolved) events.publish({ type: 'incident.resolved', incidentId: id });
    for (const id of work.opened) {
      try {
        trigger.enqueue(id);
      } catch (err) {
        // The port promises not to throw; if it does, the incident stays open for a human.
        logger.error({ err: { message: (err as Error).message }, incidentId: id }, 'decision enqueue failed');
      }
    }
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * Simple-form alerts carry no start time: a post continues the stored episode while the alert
 * is firing (or when it is being resolved), and starts a new one otherwise.
 */
export function episodeStart(a: NormalisedAlert, state: StoredAlertState | undefined, at: string): string {
  if (a.startsAt !== null) return a.startsAt;
  if (state !== undefined && (state.status === 'firing' || a.status === 'resolved') && state.startsAt !== null)
    return state.startsAt;
  return at;
}

function alertRow(a: NormalisedAlert, r: Resolution, incidentId: string | null, at: string) {
  return {
    fingerprint: a.fingerprint,
    alertname: a.alertname,
    status: a.status,
    severity: a.severity,
    labels: a.labels,
    annotations: a.annotations,
    value: a.value,
    startsAt: a.startsAt,
    endsAt: a.endsAt,
    generatorUrl: a.generatorUrl,
    resourceKey: a.resourceKey,
    runId: r.runId,
    resourceAddress: r.resourceAddress,
    lookupStatus: r.status,
    lookupReason: r.reason,
    incidentId,
    seenAt: at,
    resolvedAt: null,
  };
}
