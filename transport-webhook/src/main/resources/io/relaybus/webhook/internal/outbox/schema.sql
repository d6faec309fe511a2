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

-- Packs (ADR 0020): a group-committed publish of many events writes them once, as one pack row
-- of arrays, and one narrow route_pack row per unordered endpoint that takes any of them,
-- instead of one delivery row per (event, route): each delivery row costs a heap row and three
-- index entries to insert, another version to claim and a delete to finish. A route_pack is
-- claimed whole by one sender (a lease, as a delivery's) and records its events' progress in
-- done (a bit per pack position, 1: finished or not the route's); an event that fails is
-- written out as a delivery row, which retries, Retry-After, dead letters and replay handle as
-- any other. Ordered endpoints and groups take rows only: their order is kept by claims of rows.
ALTER TABLE ${schema}.route ADD COLUMN IF NOT EXISTS packs boolean NOT NULL DEFAULT false;

CREATE TABLE IF NOT EXISTS ${schema}.pack (
  id          bigserial PRIMARY KEY,
  topics      text[] NOT NULL,
  event_ids   text[] NOT NULL,
  keys        text[] NOT NULL,
  attributes  text[] NOT NULL,
  data        bytea[] NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
-- Written once and read once per route: compressing them costs more than the bytes it saves.
ALTER TABLE ${schema}.pack ALTER COLUMN event_ids SET STORAGE EXTERNAL,
  ALTER COLUMN keys SET STORAGE EXTERNAL, ALTER COLUMN attributes SET STORAGE EXTERNAL,
  ALTER COLUMN data SET STORAGE EXTERNAL;

CREATE TABLE IF NOT EXISTS ${schema}.route_pack (
  id           bigserial PRIMARY KEY,
  route        text NOT NULL,
  pack_id      bigint NOT NULL,
  remaining    int NOT NULL,
  done         varbit NOT NULL,
  lease_owner  text,
  lease_until  timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS route_pack_route ON ${schema}.route_pack (route, id);
CREATE INDEX IF NOT EXISTS route_pack_pack ON ${schema}.route_pack (pack_id);

-- Leases a route's unleased route packs in id (publish) order until they hold p_want events
-- not done, and returns them with their pack's arrays. Nothing for a route not enabled.
CREATE OR REPLACE FUNCTION ${schema}.claim_packs(p_route text, p_owner text, p_lease_ms bigint,
  p_want int)
RETURNS TABLE (c_id bigint, c_done text, c_topics text[], c_event_ids text[], c_keys text[],
  c_attributes text[], c_data bytea[])
LANGUAGE plpgsql VOLATILE SET enable_sort = off SET enable_bitmapscan = off AS $$
DECLARE r record; got int := 0;
BEGIN
  IF p_want <= 0 OR NOT EXISTS (SELECT 1 FROM ${schema}.route WHERE name = p_route
      AND state = 'ENABLED') THEN
    RETURN;
  END IF;
  FOR r IN SELECT rp.id, rp.remaining FROM ${schema}.route_pack rp WHERE rp.route >= p_route
      AND rp.route <= p_route AND (rp.lease_until IS NULL OR rp.lease_until < now())
      ORDER BY rp.route, rp.id FOR UPDATE SKIP LOCKED LOOP
    RETURN QUERY UPDATE ${schema}.route_pack rp SET lease_owner = p_owner,
        lease_until = now() + p_lease_ms * interval '1 ms' FROM ${schema}.pack p
      WHERE rp.id = r.id AND p.id = rp.pack_id
      RETURNING rp.id, rp.done::text, p.topics, p.event_ids, p.keys, p.attributes, p.data;
    got := got + r.remaining;
    EXIT WHEN got >= p_want;
  END LOOP;
END
$$;

-- Deletes the packs p_packs that no route pack refers to any more. Each is locked first, and
-- looked for with a snapshot taken after the lock: two transactions that removed the last two
-- route packs of one pack at once then both see the other's removal in turn, and the second one
-- deletes the pack (without the lock each could see the other's route pack and keep it).
CREATE OR REPLACE FUNCTION ${schema}.drop_packs(p_packs bigint[]) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  IF cardinality(p_packs) > 0 THEN
    PERFORM 1 FROM ${schema}.pack WHERE id = ANY(p_packs) ORDER BY id FOR UPDATE;
    DELETE FROM ${schema}.pack p WHERE p.id = ANY(p_packs) AND NOT EXISTS (
      SELECT 1 FROM ${schema}.route_pack rp WHERE rp.pack_id = p.id);
  END IF;
END
$$;

-- Marks pack events done: (p_rps[k], p_idx[k]) is position p_idx[k] (from 0) of route pack
-- p_rps[k], sorted by both. Only under p_owner's lease unless p_owner is null. Returns the k of
-- each event it marked (not done before) with its route. A route pack whose events are all done
-- is deleted, and its pack with it unless another route still needs it. Locks route packs in id
-- order, then packs in id order (see JdbcOutbox: delivery rows, route packs, packs).
CREATE OR REPLACE FUNCTION ${schema}.pack_done(p_rps bigint[], p_idx int[], p_owner text)
RETURNS TABLE (k int, k_route text) LANGUAGE plpgsql VOLATILE AS $$
DECLARE r record; d varbit; pos int := 1; n int := cardinality(p_rps); newly int;
  finished bigint[] := '{}';
BEGIN
  FOR r IN SELECT rp.id, rp.route, rp.pack_id, rp.done, rp.remaining FROM ${schema}.route_pack rp
      WHERE rp.id = ANY(p_rps) AND (p_owner IS NULL OR rp.lease_owner = p_owner)
      ORDER BY rp.id FOR UPDATE LOOP
    WHILE pos <= n AND p_rps[pos] < r.id LOOP
      pos := pos + 1;
    END LOOP;
    d := r.done;
    newly := 0;
    WHILE pos <= n AND p_rps[pos] = r.id LOOP
      IF get_bit(d, p_idx[pos]) = 0 THEN
        d := set_bit(d, p_idx[pos], 1);
        newly := newly + 1;
        k := pos;
        k_route := r.route;
        RETURN NEXT;
      END IF;
      pos := pos + 1;
    END LOOP;
    IF newly = r.remaining THEN
      DELETE FROM ${schema}.route_pack WHERE id = r.id;
      finished := finished || r.pack_id;
    ELSIF newly > 0 THEN
      UPDATE ${schema}.route_pack SET done = d, remaining = remaining - newly WHERE id = r.id;
    END IF;
  END LOOP;
  PERFORM ${schema}.drop_packs(finished);
END
$$;

-- Writes pack events out as delivery rows (a failed attempt, a release: p_attempts, p_handler,
-- due at p_due, unleased) and marks them done, under p_owner's lease; arguments and result as
-- pack_done's. The rows keep the route pack's creation time: the event's age.
CREATE OR REPLACE FUNCTION ${schema}.pack_write_out(p_rps bigint[], p_idx int[], p_owner text,
  p_attempts int, p_handler int, p_due timestamptz)
RETURNS TABLE (k int, k_route text) LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM 1 FROM ${schema}.route_pack WHERE id = ANY(p_rps) ORDER BY id FOR UPDATE;
  INSERT INTO ${schema}.delivery (route, topic, event_id, ordering_key, attributes, data,
      attempts, handler_attempt, due_at, created_at)
    SELECT rp.route, p.topics[u.i + 1], p.event_ids[u.i + 1], p.keys[u.i + 1],
      p.attributes[u.i + 1], p.data[u.i + 1], p_attempts, p_handler, p_due, rp.created_at
    FROM unnest(p_rps, p_idx) WITH ORDINALITY AS u(rp, i, n)
    JOIN ${schema}.route_pack rp ON rp.id = u.rp JOIN ${schema}.pack p ON p.id = rp.pack_id
    WHERE rp.lease_owner = p_owner AND get_bit(rp.done, u.i) = 0 ORDER BY u.n;
  RETURN QUERY SELECT * FROM ${schema}.pack_done(p_rps, p_idx, p_owner);
END
$$;

-- Removes a route's route packs, first writing their events not done out as delivery rows when
-- p_unpack (an endpoint that became ordered: its order is kept by rows), and the packs no route
-- needs any more. Returns how many events it wrote out.
CREATE OR REPLACE FUNCTION ${schema}.drop_route_packs(p_route text, p_unpack boolean)
RETURNS bigint LANGUAGE plpgsql VOLATILE AS $$
DECLARE packs bigint[]; n bigint := 0;
BEGIN
  SELECT array_agg(x.pack_id) INTO packs FROM (SELECT rp.pack_id FROM ${schema}.route_pack rp
    WHERE rp.route = p_route ORDER BY rp.id FOR UPDATE) x;
  IF packs IS NULL THEN
    RETURN 0;
  END IF;
  IF p_unpack THEN
    INSERT INTO ${schema}.delivery (route, topic, event_id, ordering_key, attributes, data,
        created_at)
      SELECT rp.route, p.topics[g.i + 1], p.event_ids[g.i + 1], p.keys[g.i + 1],
        p.attributes[g.i + 1], p.data[g.i + 1], rp.created_at
      FROM ${schema}.route_pack rp JOIN ${schema}.pack p ON p.id = rp.pack_id,
        generate_series(0, length(rp.done) - 1) AS g(i)
      WHERE rp.route = p_route AND get_bit(rp.done, g.i) = 0 ORDER BY rp.id, g.i;
    GET DIAGNOSTICS n = ROW_COUNT;
  END IF;
  DELETE FROM ${schema}.route_pack WHERE route = p_route;
  PERFORM ${schema}.drop_packs(ARRAY(SELECT DISTINCT x FROM unnest(packs) x ORDER BY x));
  RETURN n;
END
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
