import { createHash } from 'node:crypto';
import { isSecretKey, isSecretValue, REDACTED } from '../shared/redact.js';
import {
  GO_ZERO_TIME,
  type AlertmanagerPayload,
  type AmAlert,
  type SimpleAlert,
  type WebhookPayload,
} from './alert-schemas.js';

export type AlertStatus = 'firing' | 'resolved';

/** One alert, whatever form it arrived in. Labels and annotations are already redacted. */
export interface NormalisedAlert {
  fingerprint: string;
  status: AlertStatus;
  alertname: string;
  severity: string | null;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  value: number | null;
  /** ISO-8601. Null for the simple form: intake decides whether it continues a firing episode. */
  startsAt: string | null;
  /** ISO-8601; null while the alert has not ended (Go's zero time). */
  endsAt: string | null;
  generatorUrl: string | null;
  /** Value of the first RESOURCE_LABELS entry that is present (a pair `a/b` gives `<a>/<b>`); null when none is. */
  resourceKey: string | null;
}

export interface NormalisedNotification {
  format: 'alertmanager' | 'simple';
  receiver: string | null;
  groupKey: string;
  status: AlertStatus;
  truncatedAlerts: number;
  alerts: NormalisedAlert[];
}

/**
 * Which labels name the resource, in order. An entry `a/b` needs both labels and gives the key
 * `<a>/<b>` (the registry indexes `<cluster>/<pool>`, `<cluster>/<service>`, `<namespace>/<name>`).
 * `instance` comes last: Prometheus attaches the scrape target's `instance` to every series, so on
 * a node pool's or a Deployment's series it names the exporter, not the resource.
 */
export const DEFAULT_RESOURCE_LABELS = [
  'resource_id',
  'resource',
  'cluster/pool',
  'pool',
  'namespace/deployment',
  'deployment',
  'autoscaling_group',
  'cluster/service',
  'service',
  'instance',
] as const;

/** Group key used for simple-form posts: they have no Alertmanager group. */
export const SIMPLE_GROUP_KEY = 'simple';

/** Both forms → one shape. Pure: no clock, no I/O. */
export function normalise(
  input: WebhookPayload,
  resourceLabels: readonly string[] = DEFAULT_RESOURCE_LABELS,
): NormalisedNotification {
  return input.format === 'alertmanager'
    ? normaliseAlertmanager(input.payload, resourceLabels)
    : normaliseSimple(input.payload);
}

function normaliseAlertmanager(p: AlertmanagerPayload, resourceLabels: readonly string[]): NormalisedNotification {
  return {
    format: 'alertmanager',
    receiver: p.receiver === '' ? null : p.receiver,
    groupKey: p.groupKey,
    status: p.status,
    truncatedAlerts: p.truncatedAlerts,
    alerts: p.alerts.map((a) => normaliseAmAlert(a, resourceLabels)),
  };
}

function normaliseAmAlert(a: AmAlert, resourceLabels: readonly string[]): NormalisedAlert {
  return {
    fingerprint: a.fingerprint,
    status: a.status,
    alertname: a.labels.alertname ?? '',
    severity: a.labels.severity ?? null,
    labels: redactStrings(a.labels),
    annotations: redactStrings(a.annotations),
    value: numericAnnotation(a.annotations.value),
    startsAt: toIso(a.startsAt),
    endsAt: a.endsAt === undefined ? null : toIso(a.endsAt),
    generatorUrl: a.generatorURL === undefined || a.generatorURL === '' ? null : maskSecretParams(a.generatorURL),
    resourceKey: pickResourceKey(a.labels, resourceLabels),
  };
}

/**
 * The default name says which side of the threshold the value is on, so a rules agent can tell
 * "high" (scale up) from "low" (scale down). Send `alertname` explicitly to resolve a
 * simple-form alert with a value on the other side.
 */
export function simpleAlertname(s: Pick<SimpleAlert, 'alertname' | 'metric' | 'value' | 'threshold'>): string {
  if (s.alertname !== undefined) return s.alertname;
  return s.value >= s.threshold ? `${s.metric}_high` : `${s.metric}_low`;
}

function normaliseSimple(s: SimpleAlert): NormalisedNotification {
  const alertname = simpleAlertname(s);
  const identity: Record<string, string> = { ...s.labels, alertname, resource_id: s.resource_id, metric: s.metric };
  const labels = s.severity === undefined ? identity : { ...identity, severity: s.severity };
  const annotations = { ...s.annotations, value: String(s.value), threshold: String(s.threshold) };
  return {
    format: 'simple',
    receiver: null,
    groupKey: SIMPLE_GROUP_KEY,
    status: s.status,
    truncatedAlerts: 0,
    alerts: [
      {
        fingerprint: simpleFingerprint(identity),
        status: s.status,
        alertname,
        severity: s.severity ?? labels.severity ?? null,
        labels: redactStrings(labels),
        annotations: redactStrings(annotations),
        value: s.value,
        startsAt: null,
        endsAt: null,
        generatorUrl: null,
        resourceKey: s.resource_id,
      },
    ],
  };
}

/**
 * Stable across posts: sha256 over the sorted identity labels (alertname, resource_id, metric
 * and any extra labels), so the same alert posted twice has the same fingerprint. Severity and
 * the value are deliberately left out: they change while the alert stays the same.
 */
export function simpleFingerprint(identity: Record<string, string>): string {
  const sorted = Object.keys(identity)
    .sort()
    .map((k) => [k, identity[k]]);
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 16);
}

/**
 * Every resource key the labels give, in `order` (each entry present, pairs joined): the alert path
 * tries them all, not only the first. Pure.
 */
export function pickResourceKeys(labels: Record<string, string>, order: readonly string[]): string[] {
  const out: string[] = [];
  for (const entry of order) {
    const one = pickResourceKey(labels, [entry]);
    if (one !== null && !out.includes(one)) out.push(one);
  }
  return out;
}

export function pickResourceKey(labels: Record<string, string>, order: readonly string[]): string | null {
  const value = (name: string): string | undefined => {
    const v = Object.hasOwn(labels, name) ? labels[name] : undefined;
    return v === '' ? undefined : v;
  };
  for (const entry of order) {
    const parts = entry.split('/');
    const values = parts.map(value);
    if (values.every((v): v is string => v !== undefined)) return values.join('/');
  }
  return null;
}

/** Go's zero time means "not ended"; everything else is normalised to ISO-8601 (ms). */
export function toIso(ts: string): string | null {
  if (ts === GO_ZERO_TIME || ts.startsWith('0001-01-01')) return null;
  const ms = Date.parse(ts);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

function numericAnnotation(v: string | undefined): number | null {
  if (v === undefined || v.trim() === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** The shortest value shape isSecretValue knows (a Slack token) has 15 characters. */
const MIN_SECRET_VALUE = 15;

/**
 * Annotations and labels can carry secrets (tokens in runbook URLs, passwords in descriptions).
 * Same rules as redactValue for a flat string map, without its per-call allocations: this runs
 * for every alert of every notification.
 */
function redactStrings(map: Record<string, string>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const k of Object.keys(map)) {
    const v = map[k] ?? '';
    if (v !== '' && isSecretKey(k)) result[k] = REDACTED;
    else if (v.length >= MIN_SECRET_VALUE && isSecretValue(v)) result[k] = REDACTED;
    else result[k] = maskSecretParams(v);
  }
  return result;
}

/** `…/runbook?token=abc&x=1` → `…/runbook?token=[REDACTED]&x=1`: secrets often ride in URLs. */
export function maskSecretParams(text: string): string {
  if (!text.includes('=')) return text;
  return text.replace(/([?&;\s]|^)([A-Za-z0-9_.-]{1,64})=([^&\s#"']+)/g, (whole, sep: string, key: string) =>
    isSecretKey(key) ? `${sep}${key}=${REDACTED}` : whole,
  );
}
