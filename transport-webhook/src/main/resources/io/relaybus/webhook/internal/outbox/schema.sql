-- Relaybus webhook outbox, schema ${schema}. Idempotent: run under an advisory lock at start.
CREATE SCHEMA IF NOT EXISTS ${schema};

-- A route: a configured endpoint (config holds its settings as JSON, secret included) or a
-- consumer group of Relaybus buses (grp/topic set, members below).
CREATE TABLE IF NOT EXISTS ${schema}.route (
  name        text PRIMARY KEY,
  topics      text[] NOT NULL,
  config      text,
  grp         text,
  topic       text,
  secret      text,
  state       text NOT NULL DEFAULT 'ENABLED',
  reason      text,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS ${schema}.member (
  route       text NOT NULL REFERENCES ${schema}.route(name) ON DELETE CASCADE,
  url         text NOT NULL,
  capacity    int NOT NULL,
  expires_at  timestamptz NOT NULL,
  PRIMARY KEY (route, url)
);

-- One row per (event, route) until it succeeds (deleted) or is dead-lettered (moved).
CREATE TABLE IF NOT EXISTS ${schema}.delivery (
  id               bigserial PRIMARY KEY,
  route            text NOT NULL,
  topic            text NOT NULL,
  event_id         text NOT NULL,
  ordering_key     text,
  attributes       text NOT NULL,
  data             bytea NOT NULL,
  attempts         int NOT NULL DEFAULT 0,
  handler_attempt  int NOT NULL DEFAULT 1,
  due_at           timestamptz NOT NULL DEFAULT now(),
  lease_owner      text,
  lease_until      timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS delivery_route_due ON ${schema}.delivery (route, due_at, id);
-- A route's deliveries in publish order: the oldest of an ordered route, a keyed route's window.
CREATE INDEX IF NOT EXISTS delivery_route_id ON ${schema}.delivery (route, id);
-- Replaced by delivery_route_id: no statement reads (route, ordering_key, id).
DROP INDEX IF EXISTS ${schema}.delivery_route_key;

-- Every HTTP attempt: status 0 means no response (timeout, reset, refused).
CREATE TABLE IF NOT EXISTS ${schema}.attempt (
  delivery_id  bigint NOT NULL,
  route        text NOT NULL,
  attempt      int NOT NULL,
  started_at   timestamptz NOT NULL,
  duration_ms  bigint NOT NULL,
  status       int NOT NULL,
  error        text
);
CREATE INDEX IF NOT EXISTS attempt_route ON ${schema}.attempt (route, started_at);
-- Added later: which event an attempt delivered. Nullable (default NULL) so rows recorded
-- before, and rows written by older senders sharing the schema, stay valid; adding a column
-- without a volatile default rewrites nothing.
ALTER TABLE ${schema}.attempt ADD COLUMN IF NOT EXISTS event_id text DEFAULT NULL;
ALTER TABLE ${schema}.attempt ADD COLUMN IF NOT EXISTS webhook_id text DEFAULT NULL;

CREATE TABLE IF NOT EXISTS ${schema}.dead_letter (
  id               bigserial PRIMARY KEY,
  topic            text NOT NULL,
  grp              text NOT NULL,
  attributes       text NOT NULL,
  data             bytea NOT NULL,
  reason           text NOT NULL,
  attempts         int NOT NULL,
  last_error       text NOT NULL,
  dead_lettered_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS dead_letter_group ON ${schema}.dead_letter (topic, grp, id);
