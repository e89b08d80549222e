import type {
  AlertRow,
  AlertWriteStore,
  IncidentRow,
  NotificationRow,
  StoredAlertState,
} from '../../src/alerts/ports.js';
import type { Ledger, LedgerEntry, LedgerRow } from '../../src/db/ledger/sqlite-ledger.js';
import type { LookupResult, RegistryLookup, RegistryResource } from '../../src/registry/registry-port.js';

/** In-memory AlertWriteStore with real rollback (snapshot/restore), for unit tests of intake. */
export class MemoryAlertStore implements AlertWriteStore {
  notifications = new Map<string, NotificationRow>();
  alerts = new Map<string, AlertRow & { firstSeenAt: string }>();
  events: Array<{ fingerprint: string; notificationId: string; status: string; at: string }> = [];
  incidents = new Map<
    string,
    IncidentRow & { status: 'open' | 'resolved'; alertCount: number; resolvedAt: string | null }
  >();
  members = new Map<string, Set<string>>();

  transaction<T>(fn: () => T): T {
    const snapshot = structuredClone({
      n: this.notifications,
      a: this.alerts,
      e: this.events,
      i: this.incidents,
      m: this.members,
    });
    try {
      return fn();
    } catch (err) {
      ({ n: this.notifications, a: this.alerts, e: this.events, i: this.incidents, m: this.members } = snapshot);
      throw err;
    }
  }
  insertNotification(row: NotificationRow): boolean {
    if ([...this.notifications.values()].some((n) => n.dedupKey === row.dedupKey)) return false;
    this.notifications.set(row.id, row);
    return true;
  }
  notificationIdByDedupKey(key: string): string | undefined {
    return [...this.notifications.values()].find((n) => n.dedupKey === key)?.id;
  }
  getAlertState(fp: string): StoredAlertState | undefined {
    const a = this.alerts.get(fp);
    if (!a) return undefined;
    const inc = a.incidentId ? this.incidents.get(a.incidentId) : undefined;
    return {
      fingerprint: fp,
      status: a.status,
      startsAt: a.startsAt,
      incidentId: a.incidentId,
      incidentOpen: inc?.status === 'open',
    };
  }
  upsertAlert(row: AlertRow): void {
    this.alerts.set(row.fingerprint, {
      ...row,
      firstSeenAt: this.alerts.get(row.fingerprint)?.firstSeenAt ?? row.seenAt,
    });
  }
  touchAlert(row: Pick<AlertRow, 'fingerprint' | 'labels' | 'annotations' | 'value' | 'severity' | 'seenAt'>): void {
    const a = this.alerts.get(row.fingerprint);
    if (a) Object.assign(a, row);
  }
  addAlertEvent(fingerprint: string, notificationId: string, status: string, at: string): void {
    this.events.push({ fingerprint, notificationId, status, at });
  }
  findOpenIncident(key: string): string | undefined {
    return [...this.incidents.values()].find((i) => i.incidentKey === key && i.status === 'open')?.id;
  }
  insertIncident(row: IncidentRow): void {
    this.incidents.set(row.id, { ...row, status: 'open', alertCount: 0, resolvedAt: null });
    this.members.set(row.id, new Set());
  }
  joinIncident(id: string, fps: readonly string[]): number {
    const m = this.members.get(id)!;
    const added = fps.filter((fp) => !m.has(fp));
    for (const fp of added) m.add(fp);
    this.incidents.get(id)!.alertCount += added.length;
    return added.length;
  }
  countFiringAlerts(id: string): number {
    return [...this.alerts.values()].filter((a) => a.incidentId === id && a.status === 'firing').length;
  }
  resolveIncident(id: string, at: string): void {
    const i = this.incidents.get(id)!;
    i.status = 'resolved';
    i.resolvedAt = at;
  }
}

export class MemoryLedger implements Ledger {
  entries: LedgerEntry[] = [];
  append(entry: LedgerEntry): void {
    this.entries.push(structuredClone(entry));
  }
  list(): LedgerRow[] {
    throw new Error('not used by intake');
  }
}

export function fakeResource(runId: string, blockAddress: string, index: number | null = null): RegistryResource {
  const name = blockAddress.split('.').pop() ?? blockAddress;
  return {
    runId,
    address: index === null ? blockAddress : `${blockAddress}[${index}]`,
    blockAddress,
    modulePath: '',
    mode: 'managed',
    type: 'terraform_data',
    name,
    indexKey: index,
    provider: 'terraform.io/builtin/terraform',
    cloudId: null,
    attributes: {},
    status: 'present',
  };
}

/** A registry that answers from a fixed key → result map; anything else is unknown. */
export class FakeRegistry implements RegistryLookup {
  calls: string[] = [];
  constructor(private readonly answers: Record<string, LookupResult> = {}) {}
  lookup(key: string): LookupResult {
    this.calls.push(key);
    return this.answers[key] ?? { status: 'unknown', reason: `no resource matches "${key}"` };
  }
  get(): RegistryResource | undefined {
    return undefined;
  }
  listByDeployment(): RegistryResource[] {
    return [];
  }
}
