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

-- The walks that claims start from, as functions so that they keep one plan shape whatever the
-- table's statistics say. An outbox is often empty: analyzed at such a moment with its pages not
-- yet truncated, the table is recorded as holding no row, and PostgreSQL then expects every scan
-- to return one until the next analyze. On that estimate, collecting and sorting a route's whole
-- backlog to take its first few rows costs the same as walking the index in order, so the planner
-- may choose it for every claim. Sorts and bitmap scans are off inside them: an index walk in the
-- claim's order is what is left, and it stops after the rows the claim takes. plpgsql keeps the
-- plan per session.

-- A route's due deliveries in (due_at, id) order, locked, skipping those locked or in p_skip.
CREATE OR REPLACE FUNCTION ${schema}.due_deliveries(p_route text, p_skip bigint[], p_max int)
RETURNS SETOF bigint LANGUAGE plpgsql VOLATILE
SET enable_sort = off SET enable_bitmapscan = off AS $$
BEGIN RETURN QUERY SELECT d.id FROM ${schema}.delivery d WHERE d.route = p_route AND d.id <> ALL(p_skip) AND d.due_at <= now() AND (d.lease_until IS NULL OR d.lease_until < now()) ORDER BY d.due_at, d.id LIMIT p_max FOR UPDATE SKIP LOCKED; END
$$;

-- A route's oldest p_max deliveries in id (publish) order, but those in p_skip: the head of an
-- ordered route, a keyed route's window. A range rather than route = p_route: with an equality
-- the planner may walk the primary key in id order and filter by route, which it costs as cheap
-- because it assumes a route's rows are spread evenly over the ids, but a route's deliveries come
-- after every older delivery of every other route (a dead endpoint's backlog). With a range, only
-- the (route, id) index returns rows in ORDER BY route, id.
CREATE OR REPLACE FUNCTION ${schema}.route_window(p_route text, p_skip bigint[], p_max int)
RETURNS TABLE (w_id bigint, w_due_at timestamptz, w_lease_until timestamptz, w_key text)
LANGUAGE plpgsql STABLE SET enable_sort = off SET enable_bitmapscan = off AS $$
BEGIN RETURN QUERY SELECT d.id, d.due_at, d.lease_until, d.ordering_key FROM ${schema}.delivery d WHERE d.route >= p_route AND d.route <= p_route AND d.id <> ALL(p_skip) ORDER BY d.route, d.id LIMIT p_max; END
$$;

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
