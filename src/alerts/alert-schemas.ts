import { z } from 'zod';

/**
 * Wire schemas for what POST /ops/webhook accepts: Alertmanager's webhook payload (version 4)
 * and a simple one-alert form for scripts. Bounds keep one request from filling the database.
 */
export const LIMITS = {
  alertsPerNotification: 5000,
  labelsPerAlert: 64,
  annotationsPerAlert: 64,
  keyLength: 128,
  labelValueLength: 2048,
  annotationValueLength: 8192,
  shortText: 256,
  url: 4096,
  groupKey: 8192,
} as const;

/** Keys that would reach Object.prototype if anyone ever merged these maps naively. */
export const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Go's zero time, which Alertmanager sends as `endsAt` for alerts that have not ended. */
export const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

function stringMap(what: string, maxEntries: number, maxValue: number) {
  const map = z.record(z.string().min(1).max(LIMITS.keyLength), z.string().max(maxValue)).superRefine((m, ctx) => {
    const count = Object.keys(m).length;
    if (count > maxEntries)
      ctx.addIssue({ code: 'custom', message: `at most ${maxEntries} ${what} allowed, got ${count}` });
  });
  // Checked on the raw object: once parsed into a plain object `__proto__` would be gone silently.
  return z.preprocess((raw, ctx) => {
    if (raw === null || typeof raw !== 'object') return raw;
    for (const k of Object.keys(raw)) {
      if (FORBIDDEN_KEYS.has(k))
        ctx.addIssue({ code: 'custom', path: [k], message: `${what} key "${k}" is not allowed`, input: raw });
    }
    return raw;
  }, map);
}

export const LabelsSchema = stringMap('labels', LIMITS.labelsPerAlert, LIMITS.labelValueLength);
export const AnnotationsSchema = stringMap('annotations', LIMITS.annotationsPerAlert, LIMITS.annotationValueLength);

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-](\d{2}):(\d{2}))$/i;

/**
 * Strict RFC 3339 with real calendar values, years 1970–9999. Date.parse alone is far looser
 * (it takes "1", "March 7" and 2026-02-30), and what it guesses would be stored as the alert's time.
 */
export function isRfc3339(s: string): boolean {
  const m = RFC3339.exec(s);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const offsetOk = m[9] === undefined || (Number(m[9]) <= 23 && Number(m[10]) <= 59);
  return (
    year >= 1970 &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    offsetOk &&
    !Number.isNaN(Date.parse(s))
  );
}

/** An RFC 3339 timestamp as Go writes it (nanoseconds allowed); Go's zero time passes too. */
const Timestamp = z
  .string()
  .max(64)
  .refine((s) => s === GO_ZERO_TIME || isRfc3339(s), { message: 'must be an RFC 3339 timestamp' });

export const AmAlertSchema = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: LabelsSchema.refine((l) => typeof l.alertname === 'string' && l.alertname.length > 0, {
    message: 'labels.alertname is required',
  }),
  annotations: AnnotationsSchema.default({}),
  startsAt: Timestamp,
  endsAt: Timestamp.optional(),
  generatorURL: z.string().max(LIMITS.url).optional(),
  fingerprint: z.string().min(1).max(LIMITS.shortText),
});

export const AlertmanagerPayloadSchema = z.object({
  version: z.literal('4'),
  receiver: z.string().max(LIMITS.shortText).default(''),
  status: z.enum(['firing', 'resolved']),
  alerts: z.array(AmAlertSchema).min(1).max(LIMITS.alertsPerNotification),
  groupLabels: LabelsSchema.default({}),
  commonLabels: LabelsSchema.default({}),
  commonAnnotations: AnnotationsSchema.default({}),
  externalURL: z.string().max(LIMITS.url).default(''),
  groupKey: z.string().max(LIMITS.groupKey),
  truncatedAlerts: z.number().int().min(0).default(0),
});

export const SimpleAlertSchema = z
  .object({
    resource_id: z.string().min(1).max(LIMITS.shortText),
    metric: z.string().min(1).max(LIMITS.keyLength),
    value: z.number().finite(),
    threshold: z.number().finite(),
    alertname: z.string().min(1).max(LIMITS.shortText).optional(),
    severity: z.string().min(1).max(LIMITS.keyLength).optional(),
    status: z.enum(['firing', 'resolved']).default('firing'),
    labels: LabelsSchema.default({}),
    annotations: AnnotationsSchema.default({}),
  })
  .strict();

export type AmAlert = z.infer<typeof AmAlertSchema>;
export type AlertmanagerPayload = z.infer<typeof AlertmanagerPayloadSchema>;
export type SimpleAlert = z.infer<typeof SimpleAlertSchema>;

export type WebhookPayload =
  { format: 'alertmanager'; payload: AlertmanagerPayload } | { format: 'simple'; payload: SimpleAlert };

export interface FieldIssue {
  field: string;
  message: string;
}

export type ParseResult = { ok: true; value: WebhookPayload } | { ok: false; issues: FieldIssue[] };

/**
 * Tells the two forms apart (an `alerts` array or a `version` means Alertmanager) and validates
 * the body against that one form, so the errors name real fields instead of "no union matched".
 */
export function parseWebhookBody(body: unknown): ParseResult {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { ok: false, issues: [{ field: 'body', message: 'must be a JSON object' }] };
  }
  const isAm = 'alerts' in body || 'version' in body;
  const result = isAm ? AlertmanagerPayloadSchema.safeParse(body) : SimpleAlertSchema.safeParse(body);
  if (result.success) {
    return isAm
      ? { ok: true, value: { format: 'alertmanager', payload: result.data as AlertmanagerPayload } }
      : { ok: true, value: { format: 'simple', payload: result.data as SimpleAlert } };
  }
  const issues = result.error.issues.map((i) => ({
    field: ['body', ...i.path.map(String)].join('.'),
    message: i.message,
  }));
  return { ok: false, issues };
}
