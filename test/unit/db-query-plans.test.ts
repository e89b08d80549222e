/**
 * Every statement the real stores prepare, checked with EXPLAIN QUERY PLAN: no full scan of a
 * table that grows with alerts, incidents, decisions or actions where a lookup by key is meant.
 * The statements are not a hand-copied list: Database.prototype.prepare is wrapped before the
 * real compose() graph is built, the loop is driven end to end (webhook → decision → plan →
 * Telegram press → apply → verification, REST reject, obsolete, every GET route from the route
 * table), and each SQL text prepared on the way is explained on the same database.
 */
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/db/connection/database.js';
import { PER_KEY_INDEXES, SCHEMA_VERSION } from '../../src/db/connection/migrations.js';
import { FakeTelegramServer } from '../fakes/fake-telegram-server.js';
import { poolDeployment, startWithDeployments, type Harness } from '../helpers/executor-harness.js';
import { amFixture } from '../helpers/webhook.js';
import { routeTable } from '../resilience/route-table.js';

const collected = new Set<string>();
type Prepare = (this: Db, source: string) => Database.Statement;
const proto = Database.prototype as unknown as { prepare: Prepare };
const realPrepare = proto.prepare;

/** Tables that grow with traffic; a SCAN of one of them is the bug this file guards against. */
const BIG = new Set([
  'alerts',
  'alert_events',
  'notifications',
  'incidents',
  'incident_alerts',
  'decisions',
  'actions',
  'action_status_history',
  'approvals',
  'revisions',
  'telegram_messages',
  'ledger',
  'resources',
  'resource_keys',
]);

/**
 * Reads that walk a range on purpose, each with why it is fine. Matched against the SQL text and
 * the scanned table; any other SCAN of a big table fails.
 */
const ALLOWED: Array<{ sql: RegExp; table: string; why: string }> = [
  ...['incident_alerts', 'alert_events'].map((table) => ({
    sql: /^INSERT INTO alerts \(/,
    table,
    why: 'foreign-key child check compiled into the upsert; SQLite runs it only while a deferred FK violation is pending (measured: 1,000 upserts over 200k alert_events rows in 8 ms)',
  })),
  {
    sql: /^SELECT COUNT\(\*\) AS (n|total) FROM (actions|decisions|incidents)( |$)/i,
    table: 'actions',
    why: 'a list total: counts the filtered set',
  },
  {
    sql: /^SELECT COUNT\(\*\) AS (n|total) FROM (actions|decisions|incidents)( |$)/i,
    table: 'decisions',
    why: 'a list total: counts the filtered set',
  },
  {
    sql: /^SELECT COUNT\(\*\) AS (n|total) FROM (actions|decisions|incidents)( |$)/i,
    table: 'incidents',
    why: 'a list total: counts the filtered set',
  },
  {
    sql: /^SELECT \* FROM actions ORDER BY created_at DESC, id DESC LIMIT/,
    table: 'actions',
    why: 'newest-first page: walks actions_created and stops at LIMIT',
  },
  {
    sql: /^SELECT \* FROM actions ORDER BY updated_at DESC, id DESC LIMIT \?$/,
    table: 'actions',
    why: "Telegram /status: the 10 most recently updated actions, a scan with a top-N sort (an index on updated_at would be one more write per status change); only now collected, since the statement is prepared in the view's constructor",
  },
  {
    sql: /^SELECT id, incident_id, .* FROM decisions ORDER BY created_at DESC, id DESC LIMIT/,
    table: 'decisions',
    why: 'newest-first page: walks decisions_created and stops at LIMIT',
  },
  {
    sql: /^SELECT \* FROM incidents ORDER BY opened_at DESC, id DESC LIMIT/,
    table: 'incidents',
    why: 'newest-first page: walks incidents_opened and stops at LIMIT',
  },
  {
    sql: /^SELECT \* FROM ledger (WHERE kind = @kind )?ORDER BY id LIMIT/,
    table: 'ledger',
    why: 'GET /ops/ledger without an id: oldest first by rowid, stops at LIMIT',
  },
  {
    sql: /FROM resources r( WHERE \(r\.address LIKE| WHERE r\.status = @status| ORDER BY|$)/,
    table: 'resources',
    why: 'GET /ops/resources search and listing (substring match; the registry, not traffic)',
  },
  {
    sql: /^SELECT COUNT\(DISTINCT fingerprint\) AS n FROM alert_events WHERE status = 'firing' AND at >= @since/,
    table: 'alert_events',
    why: "/ops/stats' alerts received today; README lists it under Limits (an index on alert_events is one more write per stored alert)",
  },
];

/** Columns that name one row or one owner: an equality on one of them must be an index lookup. */
const KEY_COLUMNS = [
  'id',
  'incident_id',
  'action_id',
  'decision_id',
  'fingerprint',
  'run_id',
  'dedup_key',
  'incident_key',
  'resource_id',
  'key',
];

interface Finding {
  sql: string;
  table: string;
  detail: string;
}

const SQL_WORDS = new Set([
  'where',
  'join',
  'left',
  'inner',
  'cross',
  'on',
  'order',
  'group',
  'limit',
  'using',
  'set',
  'as',
  'natural',
  'values',
  'default',
]);

/** alias → table for every FROM/JOIN/UPDATE/INTO in the statement (EQP names aliases, not tables). */
function aliases(sql: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of sql.matchAll(/\b(?:FROM|JOIN|UPDATE|INTO)\s+([A-Za-z_]\w*)(?:\s+(?:AS\s+)?([A-Za-z_]\w*))?/gi)) {
    const table = m[1]!;
    out.set(table, table);
    if (m[2] && !SQL_WORDS.has(m[2].toLowerCase())) out.set(m[2], table);
  }
  return out;
}

const stripLiterals = (sql: string) => sql.replace(/'(?:[^']|'')*'/g, "''").replace(/--[^\n]*/g, '');

/** NULL for every parameter: `?` positions and `@name` / `:name` / `$name` keys (string literals skipped). */
function nullParams(sql: string): unknown[] {
  const bare = stripLiterals(sql);
  const positional = (bare.match(/\?/g) ?? []).map(() => null);
  const named = Object.fromEntries([...bare.matchAll(/[@:$]([A-Za-z_]\w*)/g)].map((m) => [m[1]!, null]));
  return Object.keys(named).length > 0 ? [...positional, named] : positional;
}

/** `[alias-or-table, column]` of each `col = <parameter>` in the filter part (an UPDATE's SET is not a filter). */
function keyLookups(sql: string, names: Map<string, string>): Array<[string, string]> {
  const bare = stripLiterals(sql);
  const filter = /^\s*UPDATE/i.test(bare) ? bare.slice(Math.max(0, bare.search(/\bWHERE\b/i))) : bare;
  const single = [...new Set(names.values())].length === 1 ? [...names.values()][0] : undefined;
  const out: Array<[string, string]> = [];
  for (const m of filter.matchAll(/(?:\b(\w+)\.)?\b(\w+)\s*=\s*(?:\?|[@:$]\w+)/g)) {
    const owner = m[1] ?? single;
    if (owner !== undefined && KEY_COLUMNS.includes(m[2]!) && BIG.has(names.get(owner) ?? '')) out.push([owner, m[2]!]);
  }
  return out;
}

function plan(db: Db, sql: string): string[] {
  return (realPrepare.call(db, `EXPLAIN QUERY PLAN ${sql}`).all(...nullParams(sql)) as Array<{ detail: string }>).map(
    (r) => r.detail,
  );
}

/**
 * Two ways a statement can read more than it needs: a SCAN of a big table, or a key lookup
 * (`incident_id = ?` …) answered by an index on something else (`SEARCH actions USING INDEX
 * actions_status (status=?)` walks every awaiting action to find one incident's).
 */
function findings(db: Db, statements: Iterable<string>): Finding[] {
  const out: Finding[] = [];
  for (const raw of statements) {
    if (!/^\s*(SELECT|UPDATE|DELETE|WITH|INSERT)/i.test(raw)) continue;
    const sql = raw.replace(/\s+/g, ' ').trim();
    const names = aliases(sql);
    const details = plan(db, raw);
    for (const detail of details) {
      const m = /^SCAN (\w+)/.exec(detail);
      const table = m ? (names.get(m[1]!) ?? m[1]!) : undefined;
      if (table !== undefined && BIG.has(table)) out.push({ sql, table, detail });
    }
    for (const [owner, column] of keyLookups(sql, names)) {
      // Either through an index on that column, or the row is reached by its primary key anyway.
      const used = details.some(
        (d) =>
          new RegExp(`^SEARCH ${owner} .*[( ](${column}|rowid)=`).test(d) ||
          new RegExp(`^SEARCH ${owner} USING (INDEX sqlite_autoindex_\\w+|PRIMARY KEY) \\(id=`).test(d),
      );
      if (!used)
        out.push({
          sql,
          table: names.get(owner)!,
          detail: `${owner}.${column} = ? is not an index lookup: ${details.join(' | ')}`,
        });
    }
  }
  return out;
}

const allowedFor = (f: Finding) =>
  ALLOWED.find((a) => a.table === f.table && f.detail.startsWith('SCAN') && a.sql.test(f.sql));
const describeFinding = (f: Finding) => `${f.table}: ${f.detail}\n    ${f.sql.slice(0, 240)}`;

let h: Harness;
let tg: FakeTelegramServer;
let db: Db;

beforeAll(async () => {
  proto.prepare = function (this: Db, source: string) {
    collected.add(source);
    return realPrepare.call(this, source);
  };
  tg = new FakeTelegramServer();
  const apiRoot = await tg.start();
  h = await startWithDeployments(
    { web: poolDeployment() },
    {
      TELEGRAM_BOT_TOKEN: tg.token,
      TELEGRAM_CHAT_ID: '-1001',
      TELEGRAM_ALLOWED_USER_IDS: '111',
      TELEGRAM_API_ROOT: apiRoot,
    },
  );
  db = h.service.db;
  await driveTheLoop();
}, 180_000);

afterAll(async () => {
  proto.prepare = realPrepare;
  await h?.service.stop();
  await tg?.close();
});

const ALERT = { resource_id: 'terraform_data.pool[0]', metric: 'cpu_usage', value: 95, threshold: 80 };

async function post(body: Record<string, unknown>): Promise<void> {
  const res = await h.service.app.inject({ method: 'POST', url: '/ops/webhook', payload: body });
  expect(res.statusCode, res.body).toBeLessThan(300);
  await h.service.decisions.idle();
  await h.service.executor.idle();
}

function waiting(): { id: string; incidentId: string | null } {
  const items = h.service.actions.list({ status: 'awaiting_approval', limit: 10, offset: 0 }).items;
  expect(items).toHaveLength(1);
  return items[0]!;
}

/** Alert → decision → plan → Telegram press → apply → resolve; reject over REST; obsolete; reads. */
async function driveTheLoop(): Promise<void> {
  await post(ALERT);
  const first = waiting();
  await tg.waitFor(() => [...tg.messages.values()].some((m) => m.text.includes(first.id)), 'approval request');
  const msg = [...tg.messages.values()].find((m) => m.text.includes(first.id))!;
  const cb = tg.injectCallback({ fromId: 111, data: `a:${first.id}`, messageId: msg.message_id });
  await tg.waitFor(
    () => tg.callsOf('answerCallbackQuery').some((c) => c.body['callback_query_id'] === cb),
    'press answered',
  );
  await h.service.executor.idle();
  expect(h.service.actions.get(first.id)?.status).toBe('applied');
  await post(ALERT); // a repeat of a firing alert
  await post({ ...ALERT, status: 'resolved' });
  await h.service.telegram?.idle();

  await post({ ...ALERT, alertname: 'MemoryHigh' });
  const second = waiting();
  const stranger = tg.injectCallback({ fromId: 222, data: `a:${second.id}` }); // refused: recorded, not decided
  await tg.waitFor(
    () => tg.callsOf('answerCallbackQuery').some((c) => c.body['callback_query_id'] === stranger),
    'refusal answered',
  );
  const rejected = await h.service.app.inject({
    method: 'POST',
    url: `/ops/reject/${second.id}`,
    payload: { actor: 'qa' },
  });
  expect(rejected.statusCode, rejected.body).toBe(200);

  await post({ ...ALERT, alertname: 'DiskHigh' });
  waiting();
  await post({ ...ALERT, alertname: 'DiskHigh', status: 'resolved' }); // → obsolete
  await post(amFixture('group-firing'));
  await post(amFixture('group-partly-resolved'));
  h.service.executor.sweepExpired();
  h.service.decisions.recover();
  h.service.executor.prepareUnprepared();
  await h.service.executor.idle();
  await readEveryRoute(first.id);
}

/** Every GET route from the router's own table, with real ids and the filters each list takes. */
async function readEveryRoute(actionId: string): Promise<void> {
  const action = h.service.actions.get(actionId)!;
  const ids: Record<string, string> = { id: actionId, run_id: 'web', file: 'main.js' };
  const byPrefix: Record<string, string> = {
    '/ops/decisions/': action.decisionId,
    '/ops/incidents/': action.incidentId ?? '',
  };
  const queries: Record<string, string[]> = {
    '/ops/actions': [
      '',
      '?status=applied',
      '?run_id=web',
      '?status=applied&run_id=web&since=2020-01-01T00:00:00Z&until=2999-01-01T00:00:00Z',
    ],
    '/ops/decisions': ['', '?status=proposed', '?since=2020-01-01T00:00:00Z&until=2999-01-01T00:00:00Z'],
    '/ops/incidents': ['', '?status=open', '?status=resolved'],
    '/ops/ledger': [
      '',
      `?action_id=${actionId}`,
      `?incident_id=${action.incidentId}`,
      `?decision_id=${action.decisionId}`,
      `?action_id=${actionId}&incident_id=${action.incidentId}&decision_id=${action.decisionId}&kind=action.applied`,
      '?kind=action.applied',
    ],
    '/ops/resources': ['', '?q=pool', '?run_id=web', '?status=present', '?q=pool&run_id=web&status=present'],
    '/ops/stats': ['', '?since=2020-01-01T00:00:00Z'],
  };
  const gets = routeTable(h.service.app.printRoutes({ commonPrefix: false }))
    .filter((r) => r.method === 'GET')
    .map((r) => r.url);
  expect(gets.length).toBeGreaterThan(15);
  for (const route of gets) {
    if (route === '/ops/events') continue; // SSE: streams forever; its reads are the same views
    const url = route.replace(/:(\w+)/g, (_s, name: string) => {
      const prefix = Object.keys(byPrefix).find((p) => route.startsWith(p));
      return prefix ? byPrefix[prefix]! : (ids[name] ?? `unknown-param-${name}`);
    });
    expect(url, `route ${route} has a parameter this test does not know`).not.toContain('unknown-param-');
    for (const q of queries[route] ?? ['']) {
      const res = await h.service.app.inject({ method: 'GET', url: `${url}${q}` });
      expect(res.statusCode, `${url}${q}: ${res.body.slice(0, 200)}`).toBeLessThan(500);
    }
  }
}

describe('query plans of every prepared statement', () => {
  it('collects the statements of every store from the running service (not a hand-copied list)', () => {
    const all = [...collected].join('\n');
    for (const table of BIG) expect(all, table).toMatch(new RegExp(`\\b${table}\\b`));
    // The lookups the storm issue was about are among them.
    expect(all).toContain('FROM decisions WHERE incident_id = ?');
    expect(all).toContain('NOT EXISTS (SELECT 1 FROM decisions d WHERE d.incident_id = i.id)');
    expect(all).toContain('FROM actions WHERE incident_id = ? AND status IN (');
    expect(all).toContain(
      'INSERT INTO approvals (action_id, verdict, outcome, channel, actor, reason, plan_sha256, at)',
    );
    expect(collected.size).toBeGreaterThan(80);
  });

  it('no statement scans a big table or looks a key up through another index, except the listed range reads', () => {
    const bad = findings(db, collected).filter((f) => allowedFor(f) === undefined);
    expect(bad.map(describeFinding)).toEqual([]);
  });

  it('every allowance is still needed (a fixed scan leaves no stale excuse behind)', () => {
    const found = findings(db, collected);
    const unused = ALLOWED.filter((a) => !found.some((f) => allowedFor(f) === a));
    expect(unused.map((a) => `${a.table} ${a.sql.source}`)).toEqual([]);
  });

  it('the check sees a missing index: without the v5 indexes the per-incident lookups are reported', () => {
    const scratch = openDatabase(path.join(mkdtempSync(path.join(tmpdir(), 'infraai-plans-')), 'db.sqlite'));
    for (const name of indexNames(PER_KEY_INDEXES)) scratch.exec(`DROP INDEX ${name}`);
    const bad = findings(scratch, collected)
      .filter((f) => allowedFor(f) === undefined)
      .map(describeFinding)
      .join('\n');
    scratch.close();
    expect(bad).toMatch(/decisions: SCAN decisions\n {4}SELECT id FROM decisions WHERE incident_id = \?/);
    expect(bad).toMatch(/decisions: SCAN d\n {4}SELECT i\.id FROM incidents i/);
    expect(bad).toMatch(/actions: actions\.incident_id = \? is not an index lookup/);
    expect(bad).toMatch(/incidents: SCAN incidents\n {4}SELECT \* FROM incidents WHERE status = @status/);
  });
});

function indexNames(ddl: string): string[] {
  return [...ddl.matchAll(/CREATE INDEX IF NOT EXISTS (\w+)/g)].map((m) => m[1]!);
}

describe('migration 5', () => {
  const indexes = (d: Db) =>
    Object.fromEntries(
      (
        d.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").all() as Array<{
          name: string;
          sql: string;
        }>
      ).map((r) => [r.name, r.sql.replace(/\s+/g, ' ')]),
    );

  it('a version-4 database gets the per-key indexes, the same ones schema.sql gives a new database', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'infraai-mig5-'));
    const fresh = openDatabase(path.join(dir, 'fresh.sqlite'));
    const expected = indexes(fresh);
    fresh.close();
    const file = path.join(dir, 'old.sqlite');
    const old = openDatabase(file);
    old.exec(
      "INSERT INTO incidents (id, incident_key, alertname, status, opened_at, updated_at) VALUES ('inc_1', 'k', 'A', 'open', 't', 't')",
    );
    for (const name of indexNames(PER_KEY_INDEXES)) old.exec(`DROP INDEX ${name}`);
    old.pragma('user_version = 4');
    old.close();
    const again = openDatabase(file);
    expect(again.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    const now = indexes(again);
    for (const name of indexNames(PER_KEY_INDEXES)) expect(now[name], name).toBe(expected[name]);
    expect(again.prepare("SELECT id FROM incidents WHERE status = 'open'").pluck().all()).toEqual(['inc_1']);
    again.close();
  });
});
