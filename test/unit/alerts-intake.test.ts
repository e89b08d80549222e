import { describe, expect, it } from 'vitest';
import { AlertIntake } from '../../src/alerts/intake.js';
import { normalise, type NormalisedNotification } from '../../src/alerts/normalise.js';
import { parseWebhookBody } from '../../src/alerts/alert-schemas.js';
import type { DecisionTrigger } from '../../src/alerts/ports.js';
import { FakeClock } from '../../src/shared/clock.js';
import { InProcessEventBus, type DomainEvent } from '../../src/shared/events.js';
import { silentLogger } from '../../src/shared/logger.js';
import { FakeRegistry, fakeResource, MemoryAlertStore, MemoryLedger } from '../fakes/memory-alert-store.js';

function setup(registry = new FakeRegistry()) {
  const store = new MemoryAlertStore();
  const ledger = new MemoryLedger();
  const events = new InProcessEventBus();
  const published: DomainEvent[] = [];
  events.subscribe((e) => published.push(e));
  const enqueued: string[] = [];
  const trigger: DecisionTrigger = { enqueue: (id) => enqueued.push(id) };
  const clock = new FakeClock();
  let seq = 0;
  const intake = new AlertIntake({
    store,
    ledger,
    registry,
    trigger,
    events,
    clock,
    logger: silentLogger,
    resourceLabels: ['resource_id', 'instance'],
    newId: (p) => `${p}_${++seq}`,
  });
  return { store, ledger, published, enqueued, clock, intake, registry };
}

function amAlert(fp: string, resource: string, status: 'firing' | 'resolved' = 'firing', alertname = 'CPUHigh') {
  return {
    status,
    labels: { alertname, resource_id: resource, pod: fp },
    annotations: { summary: 's' },
    startsAt: '2026-11-23T09:00:00Z',
    endsAt: status === 'firing' ? '0001-01-01T00:00:00Z' : '2026-11-23T09:30:00Z',
    fingerprint: fp,
  };
}

type TestAlert = Omit<ReturnType<typeof amAlert>, 'labels'> & { labels: Record<string, string> };

function notification(alerts: TestAlert[], groupKey = 'g'): NormalisedNotification {
  const r = parseWebhookBody({ version: '4', status: alerts[0]!.status, receiver: 'ops', groupKey, alerts });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return normalise(r.value, ['resource_id', 'instance']);
}

function simple(body: Record<string, unknown>): NormalisedNotification {
  const r = parseWebhookBody({ resource_id: 'vm-1', metric: 'cpu', value: 90, threshold: 80, ...body });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return normalise(r.value);
}

const matched = (runId: string, block: string) => ({
  status: 'matched' as const,
  resource: fakeResource(runId, block, 0),
  matchedBy: 'name',
});

describe('alert intake: storm collapse', () => {
  it('collapses 2,000 alerts over 20 resources into 20 incidents and 20 enqueues, saying who joined what', () => {
    const answers = Object.fromEntries(
      Array.from({ length: 20 }, (_, r) => [`pool${r}`, matched('web', `terraform_data.pool${r}`)]),
    );
    const t = setup(new FakeRegistry(answers));
    for (let batch = 0; batch < 10; batch++) {
      const alerts = Array.from({ length: 200 }, (_, i) => amAlert(`fp${batch}-${i}`, `pool${i % 20}`));
      t.intake.receive(notification(alerts, `g${batch}`));
    }
    expect(t.store.incidents.size).toBe(20);
    expect(t.enqueued).toHaveLength(20);
    expect(new Set(t.enqueued)).toEqual(new Set(t.store.incidents.keys()));
    expect([...t.store.incidents.values()].every((i) => i.alertCount === 100)).toBe(true);
    // One ledger row per notification per incident, listing the alerts that joined it.
    const opened = t.ledger.entries.filter((e) => e.kind === 'incident.opened');
    const joined = t.ledger.entries.filter((e) => e.kind === 'incident.alert_joined');
    expect(opened).toHaveLength(20);
    expect(joined).toHaveLength(180);
    const listed = [...opened, ...joined].flatMap((e) =>
      (e.data?.fingerprints as string[]).map((fp) => `${e.incidentId}/${fp}`),
    );
    expect(listed).toHaveLength(2000);
    expect(new Set(listed)).toEqual(
      new Set([...t.store.alerts.values()].map((a) => `${a.incidentId}/${a.fingerprint}`)),
    );
    const inc = [...t.store.incidents.values()].find((i) => i.resourceAddress === 'terraform_data.pool3')!;
    expect(inc.incidentKey).toBe('web|terraform_data.pool3|CPUHigh');
    // One registry lookup per resource key per notification, not per alert.
    expect(t.registry.calls).toHaveLength(200);
  });

  it('reuses registry lookups across batches while the registry generation is unchanged, and re-asks after it moves', () => {
    const registry = Object.assign(new FakeRegistry({ pool1: matched('web', 'terraform_data.pool1') }), {
      gen: 'a',
      generation() {
        return this.gen;
      },
    });
    const t = setup(registry);
    t.intake.receive(notification([amAlert('1', 'pool1')], 'g1'));
    t.intake.receive(notification([amAlert('2', 'pool1')], 'g2'));
    expect(t.registry.calls).toHaveLength(1);
    registry.gen = 'b';
    t.intake.receive(notification([amAlert('3', 'pool1')], 'g3'));
    expect(t.registry.calls).toHaveLength(2);
  });

  it('keeps different alertnames on the same resource apart', () => {
    const t = setup(new FakeRegistry({ a: matched('web', 'terraform_data.a') }));
    t.intake.receive(notification([amAlert('1', 'a'), amAlert('2', 'a', 'firing', 'MemHigh')]));
    expect([...t.store.incidents.values()].map((i) => i.incidentKey).sort()).toEqual([
      'web|terraform_data.a|CPUHigh',
      'web|terraform_data.a|MemHigh',
    ]);
  });

  it('opens an unmatched incident for unknown, ambiguous and label-less alerts, enqueues it and notes why', () => {
    const t = setup(
      new FakeRegistry({ twin: { status: 'ambiguous', candidates: [], reason: 'matches 2 deployments' } }),
    );
    const noLabel = { ...amAlert('3', 'x'), labels: { alertname: 'CPUHigh' } };
    t.intake.receive(notification([amAlert('1', 'ghost'), amAlert('2', 'twin'), noLabel]));
    const byKey = Object.fromEntries([...t.store.incidents.values()].map((i) => [i.incidentKey, i]));
    expect(Object.keys(byKey).sort()).toEqual(
      ['unmatched||CPUHigh', 'unmatched|ghost|CPUHigh', 'unmatched|twin|CPUHigh'].sort(),
    );
    expect(byKey['unmatched|twin|CPUHigh']).toMatchObject({
      lookupStatus: 'ambiguous',
      lookupReason: 'matches 2 deployments',
    });
    expect(byKey['unmatched||CPUHigh']?.lookupStatus).toBe('missing');
    expect(t.store.alerts.get('1')).toMatchObject({
      lookupStatus: 'unknown',
      lookupReason: 'no resource matches "ghost"',
    });
    expect(t.enqueued).toHaveLength(3);
    const opened = t.ledger.entries.filter((e) => e.kind === 'incident.opened');
    expect(opened.every((e) => e.data?.needs_human === true && typeof e.data?.lookup_reason === 'string')).toBe(true);
  });

  it('retries an instance label without its port', () => {
    const t = setup(new FakeRegistry({ 'db-1': matched('db', 'terraform_data.db') }));
    const a = { ...amAlert('1', 'x'), labels: { alertname: 'DiskFull', instance: 'db-1:9100' } };
    t.intake.receive(notification([a]));
    expect(t.store.alerts.get('1')).toMatchObject({
      lookupStatus: 'matched',
      runId: 'db',
      resourceAddress: 'terraform_data.db',
    });
  });
});

describe('alert intake: lifecycle', () => {
  it('resolves the incident only when every alert in it is resolved, and publishes incident.resolved', () => {
    const t = setup(new FakeRegistry({ a: matched('web', 'terraform_data.a') }));
    t.intake.receive(notification([amAlert('1', 'a'), amAlert('2', 'a')]));
    const [incidentId] = t.enqueued;
    const first = t.intake.receive(notification([amAlert('1', 'a', 'resolved'), amAlert('2', 'a')]));
    expect(first.incidentsResolved).toBe(0);
    expect(t.store.incidents.get(incidentId!)?.status).toBe('open');
    expect(t.store.alerts.get('1')).toMatchObject({ status: 'resolved', resolvedAt: '2026-11-23T09:30:00.000Z' });
    t.intake.receive(notification([amAlert('1', 'a', 'resolved'), amAlert('2', 'a', 'resolved')]));
    expect(t.store.incidents.get(incidentId!)?.status).toBe('resolved');
    expect(t.published).toContainEqual({ type: 'incident.resolved', incidentId });
    expect(t.ledger.entries.filter((e) => e.kind === 'incident.resolved')).toHaveLength(1);
    expect(t.store.events.map((e) => `${e.fingerprint}:${e.status}`)).toEqual([
      '1:firing',
      '2:firing',
      '1:resolved',
      '2:resolved',
    ]);
  });

  it('treats a redelivery as a duplicate that changes nothing', () => {
    const t = setup();
    const n = notification([amAlert('1', 'a'), amAlert('2', 'b')]);
    const first = t.intake.receive(n);
    const before = structuredClone({ a: t.store.alerts, e: t.store.events, l: t.ledger.entries });
    const again = t.intake.receive(notification([amAlert('2', 'b'), amAlert('1', 'a')]));
    expect(again).toMatchObject({ duplicate: true, notificationId: first.notificationId, incidentsOpened: 0 });
    expect({ a: t.store.alerts, e: t.store.events, l: t.ledger.entries }).toEqual(before);
    expect(t.enqueued).toHaveLength(2);
  });

  it('opens a new incident when an alert fires again after its incident resolved', () => {
    const t = setup();
    t.intake.receive(notification([amAlert('1', 'a')]));
    t.intake.receive(notification([amAlert('1', 'a', 'resolved')]));
    const refire = { ...amAlert('1', 'a'), startsAt: '2026-11-23T10:00:00Z' };
    const r = t.intake.receive(notification([refire]));
    expect(r).toMatchObject({ duplicate: false, incidentsOpened: 1 });
    expect(t.store.incidents.size).toBe(2);
  });

  it('gives simple-form posts episodes: repeat = duplicate, resolve, fire again = new incident', () => {
    const t = setup();
    expect(t.intake.receive(simple({})).duplicate).toBe(false);
    t.clock.advance(1000);
    expect(t.intake.receive(simple({ value: 95 })).duplicate).toBe(true);
    expect(t.intake.receive(simple({ status: 'resolved', alertname: 'cpu_high' })).duplicate).toBe(false);
    expect(t.intake.receive(simple({ status: 'resolved', alertname: 'cpu_high' })).duplicate).toBe(true);
    t.clock.advance(1000);
    const again = t.intake.receive(simple({}));
    expect(again).toMatchObject({ duplicate: false, incidentsOpened: 1 });
    expect(t.enqueued).toHaveLength(2);
  });

  it('stores nothing when the store fails half-way (rolled back), and enqueues nothing', () => {
    const t = setup();
    const failing = t.store;
    const original = failing.joinIncident.bind(failing);
    let calls = 0;
    failing.joinIncident = (id, fps) => {
      if (++calls === 2) throw new Error('disk I/O error');
      return original(id, fps);
    };
    expect(() => t.intake.receive(notification([amAlert('1', 'a'), amAlert('2', 'b')]))).toThrow('disk I/O error');
    expect(t.store.notifications.size + t.store.alerts.size + t.store.incidents.size).toBe(0);
    expect(t.enqueued).toEqual([]);
    expect(t.published).toEqual([]);
  });

  it('publishes alert.received and incident.opened after commit', () => {
    const t = setup();
    t.intake.receive(notification([amAlert('1', 'a')]));
    expect(t.published.map((e) => e.type)).toEqual(['alert.received', 'incident.opened']);
  });
});

describe('alert intake: group commit', () => {
  it('stores a batch in one go, and when one notification fails only that one fails', () => {
    const t = setup();
    const original = t.store.insertNotification.bind(t.store);
    t.store.insertNotification = (row) => {
      if (row.groupKey === 'bad') throw new Error('constraint failed');
      return original(row);
    };
    const out = t.intake.receiveMany([
      notification([amAlert('1', 'a')], 'g1'),
      notification([amAlert('2', 'b')], 'bad'),
      notification([amAlert('3', 'c')], 'g3'),
    ]);
    expect(out[1]).toBeInstanceOf(Error);
    expect(out.filter((o) => !(o instanceof Error))).toHaveLength(2);
    expect([...t.store.alerts.keys()].sort()).toEqual(['1', '3']);
    expect(t.enqueued).toHaveLength(2);
  });

  it('batches submissions of one event-loop turn into one receiveMany call and settles each after it', async () => {
    const { IntakeBatcher } = await import('../../src/alerts/intake-batcher.js');
    const t = setup();
    const calls: number[] = [];
    const intake = {
      receiveMany: (b: readonly NormalisedNotification[]) => {
        calls.push(b.length);
        return t.intake.receiveMany(b);
      },
    };
    let flush: (() => void) | undefined;
    const batcher = new IntakeBatcher(
      intake,
      (fn) => {
        flush = fn;
      },
      2,
    );
    const promises = [1, 2, 3].map((i) => batcher.submit(notification([amAlert(String(i), 'a')], `g${i}`)));
    expect(batcher.pending).toBe(3);
    flush?.();
    flush?.();
    const results = await Promise.all(promises);
    expect(calls).toEqual([2, 1]);
    expect(results.map((r) => r.duplicate)).toEqual([false, false, false]);
    const failing = new IntakeBatcher(
      {
        receiveMany: () => {
          throw new Error('disk full');
        },
      },
      (fn) => fn(),
    );
    await expect(failing.submit(notification([amAlert('9', 'a')]))).rejects.toThrow('disk full');
  });
});
