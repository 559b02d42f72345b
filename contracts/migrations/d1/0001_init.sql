-- WorkerFlow D1 schema, migration 1: run ledger, idempotency keys, cursor state, dead letters.
-- Rebuilt for the kit from the baseline's documented columns; D1 applies it with SQLite semantics.
PRAGMA foreign_keys = ON;

CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  trace_id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  route_path TEXT,
  schedule_id TEXT,
  status TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  output TEXT,
  error TEXT
);
CREATE INDEX IF NOT EXISTS idx_runs_started_at ON runs (started_at);
CREATE INDEX IF NOT EXISTS idx_runs_status ON runs (status);
CREATE INDEX IF NOT EXISTS idx_runs_route_path ON runs (route_path);

CREATE TABLE IF NOT EXISTS idempotency_keys (
  trace_id TEXT PRIMARY KEY,
  created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_idempotency_created_at ON idempotency_keys (created_at);

-- Present in the baseline schema; no worker reads or writes it.
CREATE TABLE IF NOT EXISTS cursor_state (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS dead_letters (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  trace_id TEXT NOT NULL,
  payload_json TEXT NOT NULL,
  error TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_dead_letters_created_at ON dead_letters (created_at);
CREATE INDEX IF NOT EXISTS idx_dead_letters_trace_id ON dead_letters (trace_id);
