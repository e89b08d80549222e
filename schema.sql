-- InfraAI schema: the source of truth. Applied idempotently at every start (CREATE ... IF NOT EXISTS);
-- changes to existing tables go through numbered migrations in src/db/connection/migrations.ts, and
-- PRAGMA user_version records the schema version reached.
-- Timestamps are ISO-8601 UTC strings. *_json columns hold JSON text, already redacted.

-- Registry ------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS deployments (
  run_id            TEXT PRIMARY KEY,
  dir               TEXT NOT NULL,
  status            TEXT NOT NULL CHECK (status IN ('active', 'failed', 'destroyed', 'uninitialised')),
  state_serial      INTEGER,
  state_lineage     TEXT,
  terraform_version TEXT,
  state_hash        TEXT,            -- sha256 of the redacted resource set; unchanged → no writes
  config_signature  TEXT,            -- root-module *.tf / *.tf.json names, sizes, mtimes read at that sync
  settings_json     TEXT,            -- infraai.yaml as read at the last sync (var_files, workspace, owners, labels); NULL = none
  local_modules_json TEXT,           -- local module dirs the configuration calls, relative to RUNS_DIR (JSON list)
  resource_count    INTEGER NOT NULL DEFAULT 0,
  last_error        TEXT,
  synced_at         TEXT,
  created_at        TEXT NOT NULL,
  updated_at        TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS resources (
  id               INTEGER PRIMARY KEY,
  run_id           TEXT NOT NULL REFERENCES deployments(run_id) ON DELETE CASCADE,
  address          TEXT NOT NULL,
  block_address    TEXT NOT NULL,    -- address without the instance key: count/for_each siblings share it
  module_path      TEXT NOT NULL DEFAULT '',
  mode             TEXT NOT NULL CHECK (mode IN ('managed', 'data')),
  type             TEXT NOT NULL,
  name             TEXT NOT NULL,
  index_key        TEXT,             -- JSON: number for count, string for for_each, NULL for none
  provider         TEXT NOT NULL,
  cloud_id         TEXT,
  attributes_json  TEXT NOT NULL,    -- secrets removed
  ignored_changes_json TEXT,         -- the block's lifecycle ignore_changes (JSON list); NULL = unknown (modules)
  status           TEXT NOT NULL DEFAULT 'present' CHECK (status IN ('present', 'gone')),
  last_seen_serial INTEGER,          -- state serial at which this row last changed
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL,
  UNIQUE (run_id, address)
);
CREATE INDEX IF NOT EXISTS resources_cloud_id ON resources (cloud_id);
CREATE INDEX IF NOT EXISTS resources_name ON resources (name);
CREATE INDEX IF NOT EXISTS resources_block ON resources (run_id, block_address);

-- Lookup keys the alert path resolves against: name label, address, cloud id, name/self_link
-- attributes, label and tag values.
CREATE TABLE IF NOT EXISTS resource_keys (
  key         TEXT NOT NULL,
  resource_id INTEGER NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
  kind        TEXT NOT NULL,
  PRIMARY KEY (key, resource_id, kind)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS resource_keys_resource ON resource_keys (resource_id);

-- Alerts --------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS notifications (
  id               TEXT PRIMARY KEY,
  dedup_key        TEXT NOT NULL UNIQUE,  -- sha256(groupKey + sorted fingerprint:status:startsAt)
  format           TEXT NOT NULL CHECK (format IN ('alertmanager', 'simple')),
  receiver         TEXT,
  group_key        TEXT,
  status           TEXT NOT NULL,
  alert_count      INTEGER NOT NULL,
  truncated_alerts INTEGER NOT NULL DEFAULT 0,
  received_at      TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS alerts (
  fingerprint      TEXT PRIMARY KEY,
  alertname        TEXT NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),
  severity         TEXT,
  labels_json      TEXT NOT NULL,
  annotations_json TEXT NOT NULL,
  value            REAL,
  starts_at        TEXT,
  ends_at          TEXT,
  generator_url    TEXT,
  resource_key     TEXT,             -- the label value naming the resource
  run_id           TEXT,
  resource_address TEXT,
  lookup_status    TEXT NOT NULL DEFAULT 'pending' CHECK (lookup_status IN ('pending', 'matched', 'unknown', 'ambiguous', 'missing')),
  lookup_reason    TEXT,
  incident_id      TEXT,
  first_seen_at    TEXT NOT NULL,
  last_seen_at     TEXT NOT NULL,
  resolved_at      TEXT
);
-- Serves GET /ops/alerts/active (firing, newest first) without sorting every firing alert.
CREATE INDEX IF NOT EXISTS alerts_status ON alerts (status, first_seen_at);

-- Alerts by (status, severity), kept by the triggers below: GET /ops/alerts/active's total, the
-- /metrics firing gauge and /ops/stats read a few rows here instead of counting every firing
-- alert per request (at 250k alerts that COUNT/GROUP BY cost 7-58 ms and starved webhook intake).
-- Each trigger is one upsert on a tiny hot page; touches that change neither column skip it.
CREATE TABLE IF NOT EXISTS alert_counts (
  status   TEXT NOT NULL,
  severity TEXT NOT NULL,            -- '' for an alert without severity
  n        INTEGER NOT NULL,
  PRIMARY KEY (status, severity)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS alert_counts_insert AFTER INSERT ON alerts BEGIN
  INSERT INTO alert_counts (status, severity, n) VALUES (NEW.status, COALESCE(NEW.severity, ''), 1)
    ON CONFLICT (status, severity) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER IF NOT EXISTS alert_counts_update AFTER UPDATE OF status, severity ON alerts
  WHEN OLD.status IS NOT NEW.status OR OLD.severity IS NOT NEW.severity BEGIN
  UPDATE alert_counts SET n = n - 1 WHERE status = OLD.status AND severity = COALESCE(OLD.severity, '');
  INSERT INTO alert_counts (status, severity, n) VALUES (NEW.status, COALESCE(NEW.severity, ''), 1)
    ON CONFLICT (status, severity) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER IF NOT EXISTS alert_counts_delete AFTER DELETE ON alerts BEGIN
  UPDATE alert_counts SET n = n - 1 WHERE status = OLD.status AND severity = COALESCE(OLD.severity, '');
END;

CREATE TABLE IF NOT EXISTS alert_events (
  id              INTEGER PRIMARY KEY,
  fingerprint     TEXT NOT NULL REFERENCES alerts(fingerprint),
  notification_id TEXT NOT NULL REFERENCES notifications(id),
  status          TEXT NOT NULL,
  at              TEXT NOT NULL
);
-- No index on fingerprint: nothing reads an alert's events by it, and intake writes one event
-- per alert (an index is one more random B-tree write each). Alerts are never deleted.

CREATE TABLE IF NOT EXISTS incidents (
  id               TEXT PRIMARY KEY,
  incident_key     TEXT NOT NULL,     -- run_id | address | alertname (or the unmatched resource key)
  run_id           TEXT,
  resource_address TEXT,
  resource_key     TEXT,             -- the alert label value that named the resource
  lookup_status    TEXT NOT NULL DEFAULT 'matched' CHECK (lookup_status IN ('matched', 'unknown', 'ambiguous', 'missing')),
  lookup_reason    TEXT,             -- why it is unmatched: such incidents go to a human
  alertname        TEXT NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
  alert_count      INTEGER NOT NULL DEFAULT 0,
  decision_id      TEXT,
  opened_at        TEXT NOT NULL,
  updated_at       TEXT NOT NULL,
  resolved_at      TEXT
);
CREATE INDEX IF NOT EXISTS incidents_key ON incidents (incident_key, status);
-- GET /ops/incidents (newest first, optionally by status) and restart recovery (open ones, oldest
-- first) walk these instead of sorting every incident; opened_at only grows, so inserts append.
CREATE INDEX IF NOT EXISTS incidents_status ON incidents (status, opened_at, id);
CREATE INDEX IF NOT EXISTS incidents_opened ON incidents (opened_at, id);

CREATE TABLE IF NOT EXISTS incident_alerts (
  incident_id TEXT NOT NULL REFERENCES incidents(id),
  fingerprint TEXT NOT NULL REFERENCES alerts(fingerprint),
  joined_at   TEXT NOT NULL,
  PRIMARY KEY (incident_id, fingerprint)
) WITHOUT ROWID;

-- Decisions -----------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS decisions (
  id                  TEXT PRIMARY KEY,
  incident_id         TEXT REFERENCES incidents(id), -- NULL for human requests without an alert (POST /infra)
  run_id              TEXT,
  resource_address    TEXT,
  action_type         TEXT NOT NULL,
  resource_id         TEXT NOT NULL,
  parameters_json     TEXT NOT NULL,
  confidence          REAL NOT NULL,
  reason              TEXT NOT NULL,
  source              TEXT NOT NULL CHECK (source IN ('gemini', 'rules', 'human', 'verification')),
  status              TEXT NOT NULL,
  policy_verdict_json TEXT,
  model               TEXT,
  prompt              TEXT,
  response            TEXT,
  latency_ms          INTEGER,
  prompt_tokens       INTEGER,
  output_tokens       INTEGER,
  error               TEXT,
  created_at          TEXT NOT NULL,
  updated_at          TEXT NOT NULL,
  rollback_revision_id TEXT          -- rollback decisions: the revision to restore (verification pins the undone action's base)
);
CREATE INDEX IF NOT EXISTS decisions_status ON decisions (status);
CREATE INDEX IF NOT EXISTS decisions_resource ON decisions (run_id, resource_address, created_at);
-- GET /ops/decisions lists newest first: walk this index instead of sorting every decision.
CREATE INDEX IF NOT EXISTS decisions_created ON decisions (created_at, id);
-- "Has this incident a decision?" runs for every new incident (and again inside the insert); without
-- it each check scanned every decision: at 21k incidents 100 new incidents took ~1 s of event loop.
CREATE INDEX IF NOT EXISTS decisions_incident ON decisions (incident_id, created_at);

-- Actions, approvals, revisions ---------------------------------------------------------------
CREATE TABLE IF NOT EXISTS actions (
  id                  TEXT PRIMARY KEY,
  decision_id         TEXT NOT NULL UNIQUE REFERENCES decisions(id),
  incident_id         TEXT,
  run_id              TEXT NOT NULL,
  action_type         TEXT NOT NULL,
  target_address      TEXT NOT NULL,
  parameters_json     TEXT NOT NULL,
  status              TEXT NOT NULL,
  status_reason       TEXT,
  staging_dir         TEXT,
  base_revision_id    TEXT,
  revision_id         TEXT,
  plan_sha256         TEXT,
  plan_summary_json   TEXT,
  plan_json           TEXT,
  diff                TEXT,
  changes_json        TEXT,          -- intended edits [{address, attributePath, from, to}], replace addresses
  files_json          TEXT,          -- {changed: [names], deleted: [names]} written to the run dir on success
  gate_json           TEXT,          -- plan gate verdict {ok, reasons}
  fix_attempts_json   TEXT NOT NULL DEFAULT '[]',
  tf_output           TEXT,
  rollback_json       TEXT,
  result_json         TEXT,
  expires_at          TEXT,
  decided_by          TEXT,
  decided_via         TEXT,
  decided_at          TEXT,
  verify_until        TEXT,
  verified_at         TEXT,
  queue_seq           INTEGER,       -- place in the deployment's queue (creation order) while 'queued'
  sources_json        TEXT,          -- {file: sha256} of the deployment's files the plan was made from
  source_changes_json TEXT,          -- [{phase, changed, added, deleted, at}] every change that made the plan stale
  created_at          TEXT NOT NULL,
  updated_at          TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS actions_status ON actions (status);
CREATE INDEX IF NOT EXISTS actions_run ON actions (run_id, status);
-- GET /ops/actions lists newest first: walk this index instead of sorting every action.
CREATE INDEX IF NOT EXISTS actions_created ON actions (created_at, id);
-- The per-deployment queue: next in line, positions, the last one (src/db/actions/sqlite-action-queue.ts).
CREATE INDEX IF NOT EXISTS actions_queue ON actions (run_id, status, queue_seq);
-- An incident's pending actions (made obsolete when it resolves).
CREATE INDEX IF NOT EXISTS actions_incident ON actions (incident_id, status);
-- At most one pending action per deployment (see src/executor/README.md): a second action for the
-- same deployment is 'queued' and only becomes 'proposed' once the one before it has ended.
CREATE UNIQUE INDEX IF NOT EXISTS actions_one_pending ON actions (run_id)
  WHERE status IN ('proposed', 'preparing', 'awaiting_approval', 'approved', 'applying', 'stale');

CREATE TABLE IF NOT EXISTS action_status_history (
  id        INTEGER PRIMARY KEY,
  action_id TEXT NOT NULL REFERENCES actions(id),
  status    TEXT NOT NULL,
  detail    TEXT,
  at        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS action_status_history_action ON action_status_history (action_id);
-- /ops/stats: actions that reached a status since a time.
CREATE INDEX IF NOT EXISTS action_status_history_status ON action_status_history (status, at);

CREATE TABLE IF NOT EXISTS approvals (
  id          INTEGER PRIMARY KEY,
  action_id   TEXT NOT NULL,
  verdict     TEXT NOT NULL CHECK (verdict IN ('approve', 'reject')),
  outcome     TEXT NOT NULL CHECK (outcome IN ('accepted', 'refused')),
  channel     TEXT NOT NULL CHECK (channel IN ('telegram', 'rest', 'dashboard', 'policy')),
  actor       TEXT NOT NULL,
  reason      TEXT,
  plan_sha256 TEXT,
  at          TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS approvals_action ON approvals (action_id);
-- /ops/stats: approvals accepted since a time.
CREATE INDEX IF NOT EXISTS approvals_verdict ON approvals (verdict, outcome, at);

CREATE TABLE IF NOT EXISTS revisions (
  id           TEXT PRIMARY KEY,
  run_id       TEXT NOT NULL,
  parent_id    TEXT,
  action_id    TEXT,
  files_dir    TEXT NOT NULL,       -- snapshot of the .tf/.tfvars files applied (on disk, not here)
  plan_sha256  TEXT,
  state_serial INTEGER,
  created_at   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS revisions_run ON revisions (run_id, created_at);

CREATE TABLE IF NOT EXISTS telegram_messages (
  action_id  TEXT PRIMARY KEY,
  chat_id    TEXT NOT NULL,
  message_id INTEGER NOT NULL,
  plan_sha256 TEXT,                  -- the plan hash the message showed; a press is bound to it
  sent_at    TEXT NOT NULL
);

-- Ledger: append-only record of every step ----------------------------------------------------
CREATE TABLE IF NOT EXISTS ledger (
  id          INTEGER PRIMARY KEY,
  at          TEXT NOT NULL,
  kind        TEXT NOT NULL,
  fingerprint TEXT,
  incident_id TEXT,
  decision_id TEXT,
  action_id   TEXT,
  run_id      TEXT,
  actor       TEXT,
  data_json   TEXT NOT NULL DEFAULT '{}'
);
-- Partial: intake's rows (most of the ledger) have no action or decision, so they are not indexed
-- there; `action_id = ?` still uses the index. No (kind, at) index: nothing queries by it.
CREATE INDEX IF NOT EXISTS ledger_action ON ledger (action_id) WHERE action_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS ledger_decision ON ledger (decision_id) WHERE decision_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS ledger_incident ON ledger (incident_id);
