/**
 * The per-deployment action queue in the real SQLite store (no Terraform): who queues, in which
 * order, who is next, and how the queue moves on. Also the migration that adds its columns to a
 * database of the previous version, and that old `superseded` rows stay readable.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/db/connection/database.js';
import { SqliteLedger } from '../../src/db/ledger/sqlite-ledger.js';
import { SCHEMA_VERSION } from '../../src/db/connection/migrations.js';
import { SqliteActionStore } from '../../src/db/actions/sqlite-action-store.js';
import { SqliteApprovalView } from '../../src/db/actions/sqlite-approval-view.js';
import { FakeClock } from '../../src/shared/clock.js';
import { InProcessEventBus, type DomainEvent } from '../../src/shared/events.js';
import { seedDecision } from '../helpers/executor-harness.js';

const tempDb = () => path.join(mkdtempSync(path.join(tmpdir(), 'infraai-queue-')), 'db.sqlite');

function setup(file = tempDb()) {
  const db = openDatabase(file);
  const events = new InProcessEventBus();
  const seen: DomainEvent[] = [];
  events.subscribe((e) => seen.push(e));
  // A clock that never moves: every action shares one millisecond, so order cannot come from time.
  const store = new SqliteActionStore(
    db,
    new SqliteLedger(db),
    events,
    new FakeClock(Date.parse('2026-01-01T00:00:00Z')),
  );
  const create = (runId: string, address = 'terraform_data.pool') => {
    const { decisionId, incidentId } = seedDecision(db, {
      runId,
      address,
      actionType: 'scale_up',
      parameters: { count: 3 },
    });
    return {
      ...store.create({
        decisionId,
        incidentId,
        runId,
        actionType: 'scale_up',
        targetAddress: address,
        parameters: { count: 3 },
      }),
      incidentId,
    };
  };
  return { db, store, create, seen };
}

const never = () => null;

describe('action queue (SQLite store)', () => {
  it('the first action on a deployment is proposed; later ones queue in creation order with their place and the one ahead', () => {
    const { store, create } = setup();
    const a = create('web');
    const b = create('web');
    const c = create('web');
    const other = create('api');
    expect([a.status, other.status]).toEqual(['proposed', 'proposed']);
    expect([b.status, b.queuePosition, b.queuedBehind]).toEqual(['queued', 1, a.id]);
    expect([c.status, c.queuePosition, c.queuedBehind]).toEqual(['queued', 2, b.id]);
    expect(b.statusReason).toContain(a.id);
    expect(
      store
        .list({ status: 'queued', limit: 10, offset: 0 })
        .items.map((x) => x.queuePosition)
        .sort(),
    ).toEqual([1, 2]);
    expect(store.queuedRuns()).toEqual(['web']);
  });

  it('nothing moves while the deployment is held (also while a failed apply rolls back); then exactly the oldest goes', () => {
    const { store, create } = setup();
    const a = create('web');
    const b = create('web');
    const c = create('web');
    for (const [from, to] of [
      ['proposed', 'preparing'],
      ['preparing', 'awaiting_approval'],
    ] as const) {
      expect(store.promoteNext('web', never)).toEqual({ obsoleted: [] });
      store.transition(a.id, [from], to, null);
    }
    store.transition(a.id, ['awaiting_approval'], 'approved', null);
    store.transition(a.id, ['approved'], 'applying', null);
    store.transition(a.id, ['applying'], 'failed', 'boom');
    expect(store.promoteNext('web', never)).toEqual({ obsoleted: [] });
    store.transition(a.id, ['failed'], 'rolled_back', null);
    const r = store.promoteNext('web', never);
    expect(r.promoted?.id).toBe(b.id);
    expect(r.promoted?.status).toBe('proposed');
    expect(store.get(c.id)).toMatchObject({ status: 'queued', queuePosition: 1, queuedBehind: b.id });
    // b holds it now.
    expect(store.promoteNext('web', never)).toEqual({ obsoleted: [] });
  });

  it('irrelevant queued actions (incident resolved) become obsolete on the way; the next relevant one goes', () => {
    const { store, create, seen } = setup();
    const a = create('web');
    const b = create('web');
    const c = create('web');
    store.transition(a.id, ['proposed'], 'prepare_failed', 'x');
    seen.length = 0;
    const r = store.promoteNext('web', (x) => (x.id === b.id ? 'incident resolved while queued' : null));
    expect(r.obsoleted.map((x) => x.id)).toEqual([b.id]);
    expect(r.promoted?.id).toBe(c.id);
    expect(store.get(b.id)).toMatchObject({ status: 'obsolete', statusReason: 'incident resolved while queued' });
    expect(store.statusHistory(b.id).map((x) => x.status)).toEqual(['queued', 'obsolete']);
    // Published after the commit, in order.
    expect(seen.filter((e) => e.type === 'action.status').map((e) => (e as { status: string }).status)).toEqual([
      'obsolete',
      'proposed',
    ]);
  });

  it('a new action never jumps the queue: queued too while others wait, even with no holder at that moment', () => {
    const { store, create } = setup();
    const a = create('web');
    const b = create('web');
    store.transition(a.id, ['proposed'], 'prepare_failed', 'x');
    // The holder ended but the queue has not moved yet.
    const c = create('web');
    expect([c.status, c.queuePosition, c.queuedBehind]).toEqual(['queued', 2, b.id]);
    expect(store.promoteNext('web', never).promoted?.id).toBe(b.id);
  });

  it('queued is not a pending status for the database: the partial unique index still allows only one holder', () => {
    const { db, create } = setup();
    const a = create('web');
    const b = create('web');
    expect(() => db.prepare("UPDATE actions SET status = 'proposed' WHERE id = ?").run(b.id)).toThrow(/UNIQUE/);
    expect(a.status).toBe('proposed');
  });

  it('the approval view shows the queued place too', async () => {
    const { db, create } = setup();
    const a = create('web');
    const b = create('web');
    const view = await new SqliteApprovalView(db).getRequest(b.id);
    expect(view).toMatchObject({ status: 'queued', queuePosition: 1, queuedBehind: a.id });
  });
});

describe('migration 6 (action queue and source fingerprints)', () => {
  function asVersion4(db: Db): void {
    db.exec(`DROP INDEX actions_queue;
      ALTER TABLE actions DROP COLUMN queue_seq;
      ALTER TABLE actions DROP COLUMN sources_json;
      ALTER TABLE actions DROP COLUMN source_changes_json;
      PRAGMA user_version = 4;`);
  }

  it('adds the columns and the queue index to a version-4 database; an old superseded row stays readable', () => {
    const file = tempDb();
    const db = openDatabase(file);
    asVersion4(db);
    const { decisionId, incidentId } = seedDecision(db, {
      runId: 'web',
      address: 'terraform_data.pool',
      actionType: 'restart',
      parameters: {},
    });
    db.prepare(
      `INSERT INTO actions (id, decision_id, incident_id, run_id, action_type, target_address, parameters_json, status, status_reason, created_at, updated_at)
      VALUES ('act_old', ?, ?, 'web', 'restart', 'terraform_data.pool', '{}', 'superseded', 'deployment "web" already has pending action act_x', 't', 't')`,
    ).run(decisionId, incidentId);
    db.close();
    const { db: again, store, create } = setup(file);
    expect(again.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    const columns = (again.prepare('PRAGMA table_info(actions)').all() as Array<{ name: string }>).map((c) => c.name);
    expect(columns).toEqual(expect.arrayContaining(['queue_seq', 'sources_json', 'source_changes_json']));
    expect(
      (again.prepare("SELECT sql FROM sqlite_master WHERE name = 'actions_queue'").get() as { sql: string }).sql,
    ).toMatch(/run_id, status, queue_seq/);
    expect(store.get('act_old')).toMatchObject({
      status: 'superseded',
      sources: null,
      sourceChanges: [],
      queuePosition: null,
    });
    // And the queue works on the migrated database.
    const a = create('web');
    expect(create('web')).toMatchObject({ status: 'queued', queuedBehind: a.id });
  });
});
