import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LIMITS, parseWebhookBody, type WebhookPayload } from '../../src/alerts/alert-schemas.js';
import { dedupKey } from '../../src/alerts/collapse.js';
import { maskSecretParams, normalise, toIso } from '../../src/alerts/normalise.js';

const fixture = (name: string): unknown =>
  (
    JSON.parse(readFileSync(new URL(`../fixtures/alertmanager/${name}.json`, import.meta.url), 'utf8')) as {
      body: unknown;
    }
  ).body;

function parsed(body: unknown): WebhookPayload {
  const r = parseWebhookBody(body);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value;
}

function issues(body: unknown): string[] {
  const r = parseWebhookBody(body);
  if (r.ok) throw new Error('expected a validation failure');
  return r.issues.map((i) => `${i.field}: ${i.message}`);
}

describe('normalise: Alertmanager v4', () => {
  it('turns the captured firing fixture into alerts keyed by fingerprint with Go zero time as not ended', () => {
    const n = normalise(parsed(fixture('group-firing')));
    expect(n.format).toBe('alertmanager');
    expect(n.groupKey).toBe('{}:{alertname="NodePoolCPUHigh", cluster="prod"}');
    expect(n.alerts.map((a) => [a.fingerprint, a.status, a.resourceKey, a.severity, a.value])).toEqual([
      ['74c48ecb66b5ba52', 'firing', 'api_pool', 'critical', 0.97],
      ['e1c1ed74357292fb', 'firing', 'web_pool', 'warning', 0.91],
    ]);
    expect(n.alerts[0]?.endsAt).toBeNull();
    expect(n.alerts[0]?.startsAt).toBe('2026-11-23T09:14:28.263Z');
  });

  it('keeps the real endsAt of a resolved alert and the per-alert status of a partly resolved group', () => {
    const n = normalise(parsed(fixture('group-partly-resolved')));
    expect(n.alerts.map((a) => a.status)).toEqual(['firing', 'resolved']);
    expect(n.alerts[1]?.endsAt).toBe('2026-11-23T09:14:31.000Z');
  });

  it('reads truncatedAlerts and picks the first resource label in the configured order', () => {
    const n = normalise(parsed(fixture('group-truncated')));
    expect(n.truncatedAlerts).toBe(1);
    expect(n.alerts.map((a) => a.resourceKey)).toEqual(['db-1', 'db-2']);
    expect(n.alerts[0]?.generatorUrl).toBeNull();
    const byTeam = normalise(parsed(fixture('group-truncated')), ['team', 'instance']);
    expect(byTeam.alerts[0]?.resourceKey).toBe('small');
  });

  it('redacts secret-looking annotation and label values before storage', () => {
    const body = fixture('group-firing') as {
      alerts: Array<{ labels: Record<string, string>; annotations: Record<string, string> }>;
    };
    body.alerts[0]!.annotations.api_token = 'abc123-very-secret';
    body.alerts[0]!.annotations.runbook = 'https://runbooks.test/x?token=s3cr3tvalue&page=2';
    body.alerts[0]!.annotations.note = 'key AKIAABCDEFGHIJKLMNOP leaked';
    body.alerts[0]!.labels.password = 'hunter2';
    const a = normalise(parsed(body)).alerts[0]!;
    expect(a.annotations.api_token).toBe('[REDACTED]');
    expect(a.annotations.runbook).toBe('https://runbooks.test/x?token=[REDACTED]&page=2');
    expect(a.annotations.note).toBe('[REDACTED]');
    expect(a.labels.password).toBe('[REDACTED]');
    expect(JSON.stringify(a)).not.toMatch(/hunter2|s3cr3tvalue|abc123-very-secret|AKIAABCDEFGHIJKLMNOP/);
  });

  it('treats only Go zero time as "not ended"', () => {
    expect(toIso('0001-01-01T00:00:00Z')).toBeNull();
    expect(toIso('2026-11-23T09:14:31.123456789Z')).toBe('2026-11-23T09:14:31.123Z');
    expect(maskSecretParams('a=1&b=2')).toBe('a=1&b=2');
  });
});

describe('normalise: simple form', () => {
  const simple = { resource_id: 'vm-1', metric: 'cpu_usage', value: 85, threshold: 80 };

  it('gives the same alert the same fingerprint whatever its value or severity', () => {
    const a = normalise(parsed(simple)).alerts[0]!;
    const b = normalise(parsed({ ...simple, value: 97, severity: 'critical' })).alerts[0]!;
    expect(a.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(b.fingerprint).toBe(a.fingerprint);
    expect(a).toMatchObject({
      alertname: 'cpu_usage_high',
      status: 'firing',
      resourceKey: 'vm-1',
      value: 85,
      startsAt: null,
    });
    expect(a.labels).toMatchObject({ alertname: 'cpu_usage_high', resource_id: 'vm-1', metric: 'cpu_usage' });
  });

  it('distinguishes resources, metrics, alertnames and extra labels', () => {
    const fp = (body: object) => normalise(parsed(body)).alerts[0]!.fingerprint;
    const base = fp(simple);
    expect(fp({ ...simple, resource_id: 'vm-2' })).not.toBe(base);
    expect(fp({ ...simple, metric: 'mem_usage' })).not.toBe(base);
    expect(fp({ ...simple, value: 10 })).not.toBe(base); // cpu_usage_low is another alert
    expect(fp({ ...simple, labels: { zone: 'b' } })).not.toBe(base);
    expect(fp({ ...simple, alertname: 'cpu_usage_high', value: 10, status: 'resolved' })).toBe(base);
  });

  it('validates with messages naming the field', () => {
    expect(issues({ ...simple, value: 'high' })).toEqual([expect.stringMatching(/^body\.value: /)]);
    expect(issues({ resource_id: 'vm-1' })[0]).toMatch(/^body\.metric: /);
    expect(issues({ ...simple, extra: 1 })[0]).toMatch(/^body: .*extra/);
    expect(issues([])).toEqual(['body: must be a JSON object']);
  });
});

describe('webhook schema bounds', () => {
  const am = () =>
    fixture('group-firing') as {
      alerts: Array<{ labels: Record<string, string>; annotations: Record<string, string> }>;
    };

  it('rejects prototype-pollution keys in labels and annotations', () => {
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const body = am();
      Object.defineProperty(body.alerts[0]!.labels, key, { value: 'x', enumerable: true });
      expect(issues(body)[0]).toBe(`body.alerts.0.labels.${key}: labels key "${key}" is not allowed`);
    }
    expect(
      issues({
        resource_id: 'a',
        metric: 'm',
        value: 1,
        threshold: 1,
        annotations: JSON.parse('{"prototype":"x"}'),
      })[0],
    ).toMatch(/^body\.annotations\.prototype: /);
  });

  it('bounds label count, value length and alerts per notification', () => {
    const many = am();
    for (let i = 0; i < LIMITS.labelsPerAlert + 1; i++) many.alerts[0]!.labels[`l${i}`] = 'v';
    expect(issues(many)[0]).toMatch(/^body\.alerts\.0\.labels: at most 64 labels/);
    const long = am();
    long.alerts[1]!.annotations.summary = 'x'.repeat(LIMITS.annotationValueLength + 1);
    expect(issues(long)[0]).toMatch(/^body\.alerts\.1\.annotations\.summary: /);
    const body = am() as { alerts: unknown[] };
    body.alerts = Array.from({ length: LIMITS.alertsPerNotification + 1 }, () => body.alerts[0]);
    expect(issues(body)[0]).toMatch(/^body\.alerts: /);
  });

  it('requires alertname, a known status and RFC 3339 times', () => {
    const body = am() as { alerts: Array<Record<string, unknown>> };
    body.alerts[0]!.status = 'pending';
    body.alerts[1]!.startsAt = 'yesterday';
    const found = issues(body);
    expect(found).toContain('body.alerts.0.status: Invalid option: expected one of "firing"|"resolved"');
    expect(found).toContain('body.alerts.1.startsAt: must be an RFC 3339 timestamp');
  });
});

describe('dedup key', () => {
  it('ignores alert order and changes with any status or episode', () => {
    const a = { fingerprint: 'a', status: 'firing' as const, startsAt: 't1' };
    const b = { fingerprint: 'b', status: 'firing' as const, startsAt: 't1' };
    expect(dedupKey('g', [a, b])).toBe(dedupKey('g', [b, a]));
    expect(dedupKey('g', [a, b])).not.toBe(dedupKey('g', [a, { ...b, status: 'resolved' }]));
    expect(dedupKey('g', [a])).not.toBe(dedupKey('g', [{ ...a, startsAt: 't2' }]));
    expect(dedupKey('g', [a])).not.toBe(dedupKey('h', [a]));
  });
});
