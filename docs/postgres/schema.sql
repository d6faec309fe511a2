-- Relaybus PostgreSQL schema for DBAs who apply DDL themselves
-- (relaybus.postgres.auto-ddl=false). Schema name "relaybus"; for another schema replace every
-- "relaybus." prefix and the channel name "relaybus_events". Generated from
-- transport-postgres/src/main/resources/io/relaybus/postgres/schema/V1.sql to
-- V4.sql; a test keeps them identical.

BEGIN;
CREATE SCHEMA IF NOT EXISTS relaybus;
CREATE TABLE IF NOT EXISTS relaybus.schema_version (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());

-- Relaybus PostgreSQL schema, version 1. relaybus is the configured schema name
-- (relaybus.postgres.schema, default "relaybus"). Applied by the transport on start unless
-- relaybus.postgres.auto-ddl=false; a DBA can apply docs/postgres/schema.sql instead.

CREATE TABLE relaybus.topics (
  topic       text PRIMARY KEY CHECK (topic ~ '^[A-Za-z0-9._-]{1,200}$'),
  partitions  int NOT NULL CHECK (partitions BETWEEN 1 AND 1024),
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- The event log. Append-only; rows are deleted only by the retention job once every group
-- consumed them. Readers take rows in (txid, seq) order and only below the oldest running
-- transaction (pg_snapshot_xmin), so a row committed late is never skipped.
CREATE TABLE relaybus.events (
  seq              bigint GENERATED ALWAYS AS IDENTITY,
  txid             xid8 NOT NULL DEFAULT pg_current_xact_id(),
  topic            text NOT NULL,
  partition        int NOT NULL,
  id               text NOT NULL CHECK (id <> ''),
  source           text NOT NULL CHECK (source <> ''),
  type             text NOT NULL CHECK (type <> ''),
  subject          text,
  time             timestamptz NOT NULL DEFAULT now(),
  datacontenttype  text,
  dataschema       text,
  key              text CHECK (key <> ''),
  headers          jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(headers) = 'object'),
  data             bytea NOT NULL DEFAULT '\x'::bytea,
  target_group     text,
  published_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (topic, partition, txid, seq)
);
-- Cheap to maintain on an append-only table (measured: a B-tree on id and published_at plus a
-- regex CHECK on topic cost 40% of insert throughput). Topic names are checked by the topics
-- table (plain-SQL rows pass through ensure_topic) and by Relaybus before any SQL.
CREATE INDEX events_published_at ON relaybus.events USING brin (published_at);
CREATE INDEX events_id ON relaybus.events USING hash (id);

-- Same function in Java (io.relaybus.postgres.Partitioner): first 4 bytes of md5(key),
-- big-endian, signed, floor-modulo the partition count. Stable across PostgreSQL versions.
CREATE FUNCTION relaybus.partition_of(p_key text, p_partitions int) RETURNS int
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT (((('x' || substr(md5(p_key), 1, 8))::bit(32)::int) % p_partitions) + p_partitions)
         % p_partitions
$$;

-- Registers a topic with a partition count unless it exists; returns its partition count.
CREATE FUNCTION relaybus.ensure_topic(p_topic text, p_partitions int) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE n int;
BEGIN
  SELECT partitions INTO n FROM relaybus.topics WHERE topic = p_topic;
  IF n IS NULL THEN
    INSERT INTO relaybus.topics (topic, partitions) VALUES (p_topic, p_partitions)
      ON CONFLICT (topic) DO NOTHING;
    SELECT partitions INTO n FROM relaybus.topics WHERE topic = p_topic;
  END IF;
  RETURN n;
END $$;

-- Plain-SQL inserts may leave partition NULL: it is derived from the key (random without one);
-- a partition they do give must exist. Relaybus's own publisher sets a valid partition and
-- relaybus.notify=off, so the trigger does not even run for its inserts.
CREATE FUNCTION relaybus.assign_partition() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE n int;
BEGIN
  n := relaybus.ensure_topic(NEW.topic, 8);
  IF NEW.partition IS NOT NULL THEN
    IF NEW.partition < 0 OR NEW.partition >= n THEN
      RAISE EXCEPTION 'partition % of topic % is outside 0..%', NEW.partition, NEW.topic, n - 1
        USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
  END IF;
  IF NEW.key IS NULL THEN
    NEW.partition := floor(random() * n)::int;
  ELSE
    NEW.partition := relaybus.partition_of(NEW.key, n);
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER events_assign_partition BEFORE INSERT ON relaybus.events
  FOR EACH ROW WHEN (NEW.partition IS NULL
                     OR coalesce(current_setting('relaybus.notify', true), 'on') <> 'off')
  EXECUTE FUNCTION relaybus.assign_partition();

-- Plain-SQL inserts notify subscribers at commit (PostgreSQL sends one notification per
-- distinct topic and transaction). Relaybus's own publishes set relaybus.notify=off for their
-- transaction and notify through a coalescing notifier instead.
CREATE FUNCTION relaybus.notify_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('relaybus_events', NEW.topic);
  RETURN NULL;
END $$;
CREATE TRIGGER events_notify AFTER INSERT ON relaybus.events
  FOR EACH ROW WHEN (coalesce(current_setting('relaybus.notify', true), 'on') <> 'off')
  EXECUTE FUNCTION relaybus.notify_insert();

-- The SQL publishing contract for other languages and triggers: returns the event's seq.
CREATE FUNCTION relaybus.publish(
    p_topic text, p_source text, p_type text, p_data bytea DEFAULT '\x'::bytea,
    p_key text DEFAULT NULL, p_datacontenttype text DEFAULT NULL, p_id text DEFAULT NULL,
    p_subject text DEFAULT NULL, p_headers jsonb DEFAULT '{}'::jsonb,
    p_dataschema text DEFAULT NULL)
RETURNS bigint LANGUAGE sql AS $$
  INSERT INTO relaybus.events (topic, id, source, type, subject, datacontenttype, dataschema,
                                key, headers, data)
  VALUES (p_topic, coalesce(p_id, gen_random_uuid()::text), p_source, p_type, p_subject,
          p_datacontenttype, p_dataschema, p_key, p_headers, p_data)
  RETURNING seq
$$;

-- One row per topic, group and partition: how far the group consumed it, which events past
-- that point are already finished (acked out of order), and which member holds the lease.
CREATE TABLE relaybus.cursors (
  topic        text NOT NULL,
  grp          text NOT NULL,
  partition    int NOT NULL,
  last_txid    xid8 NOT NULL DEFAULT '0'::xid8,
  last_seq     bigint NOT NULL DEFAULT 0,
  done_ahead   bigint[] NOT NULL DEFAULT '{}',
  owner        text,
  lease_until  timestamptz,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (topic, grp, partition)
);

CREATE TABLE relaybus.members (
  topic         text NOT NULL,
  grp           text NOT NULL,
  member        text NOT NULL,
  heartbeat_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (topic, grp, member)
);

-- Failed attempts of events not yet finished, so a redelivery after a crash continues the
-- count. Rows disappear when the cursor passes the event.
CREATE TABLE relaybus.attempts (
  topic     text NOT NULL,
  grp       text NOT NULL,
  seq       bigint NOT NULL,
  partition int NOT NULL,
  attempts  int NOT NULL,
  PRIMARY KEY (topic, grp, seq)
);

CREATE TABLE relaybus.dead_letters (
  dl_id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  topic            text NOT NULL,
  grp              text NOT NULL,
  event_seq        bigint NOT NULL,
  partition        int NOT NULL,
  id               text NOT NULL,
  source           text NOT NULL,
  type             text NOT NULL,
  subject          text,
  time             timestamptz NOT NULL,
  datacontenttype  text,
  dataschema       text,
  key              text,
  headers          jsonb NOT NULL,
  data             bytea NOT NULL,
  reason           text NOT NULL,
  attempts         int NOT NULL,
  last_error       text NOT NULL,
  dead_lettered_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (topic, grp, event_seq)
);
CREATE INDEX dead_letters_group ON relaybus.dead_letters (topic, grp, dead_lettered_at);

-- Relaybus PostgreSQL schema, version 2 (ADR 0012): packs, several events of one topic and
-- partition in one row, written by Relaybus's own publishers for batches; and all_events, one
-- row per event over both tables, for operators and readers in other languages.

-- Every event of a pack keeps its own position: seqs holds one value of the events' sequence
-- per event, in publish order, and seq is the last of them, so (txid, seq) > a cursor finds the
-- packs with events left past it. The other arrays hold one element per event, NULL where an
-- optional attribute is absent.
CREATE TABLE relaybus.packs (
  seq               bigint NOT NULL,
  txid              xid8 NOT NULL DEFAULT pg_current_xact_id(),
  topic             text NOT NULL,
  partition         int NOT NULL,
  seqs              bigint[] NOT NULL,
  ids               text[] NOT NULL,
  sources           text[] NOT NULL,
  types             text[] NOT NULL,
  subjects          text[] NOT NULL,
  times             timestamptz[] NOT NULL,
  datacontenttypes  text[] NOT NULL,
  dataschemas       text[] NOT NULL,
  keys              text[] NOT NULL,
  headers           jsonb[] NOT NULL,
  data              bytea[] NOT NULL,
  target_group      text,
  published_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (topic, partition, txid, seq),
  CHECK (cardinality(seqs) > 0 AND seq = seqs[cardinality(seqs)])
);
CREATE INDEX packs_published_at ON relaybus.packs USING brin (published_at);

CREATE VIEW relaybus.all_events AS
  SELECT e.seq, e.txid, e.topic, e.partition, e.id, e.source, e.type, e.subject, e.time,
         e.datacontenttype, e.dataschema, e.key, e.headers, e.data, e.target_group,
         e.published_at
    FROM relaybus.events e
  UNION ALL
  SELECT u.seq, k.txid, k.topic, k.partition, u.id, u.source, u.type, u.subject, u.time,
         u.datacontenttype, u.dataschema, u.key, u.headers, u.data, k.target_group,
         k.published_at
    FROM relaybus.packs k
    CROSS JOIN LATERAL unnest(k.seqs, k.ids, k.sources, k.types, k.subjects, k.times,
         k.datacontenttypes, k.dataschemas, k.keys, k.headers, k.data)
      AS u(seq, id, source, type, subject, time, datacontenttype, dataschema, key, headers,
           data);

-- Packs notify at commit as event rows do (transactional notify mode, publish(Connection, ...)).
CREATE TRIGGER packs_notify AFTER INSERT ON relaybus.packs
  FOR EACH ROW WHEN (coalesce(current_setting('relaybus.notify', true), 'on') <> 'off')
  EXECUTE FUNCTION relaybus.notify_insert();

-- Relaybus PostgreSQL schema, version 3 (ADR 0012, amendment 2): packs are stored without
-- compression. PostgreSQL compresses a row's large values (pglz) once the row passes about
-- 2 kB, which packs do: compressing on every publish and decompressing on every fetch cost more
-- server time than the bytes saved, with events that differ as real ones do (one benchmark's
-- identical payloads had hidden it). Rows up to the page size stay whole in the table; the
-- largest arrays of bigger packs go out of line, uncompressed. Only new packs are affected.
ALTER TABLE relaybus.packs
  ALTER COLUMN seqs SET STORAGE EXTERNAL,
  ALTER COLUMN ids SET STORAGE EXTERNAL,
  ALTER COLUMN sources SET STORAGE EXTERNAL,
  ALTER COLUMN types SET STORAGE EXTERNAL,
  ALTER COLUMN subjects SET STORAGE EXTERNAL,
  ALTER COLUMN times SET STORAGE EXTERNAL,
  ALTER COLUMN datacontenttypes SET STORAGE EXTERNAL,
  ALTER COLUMN dataschemas SET STORAGE EXTERNAL,
  ALTER COLUMN keys SET STORAGE EXTERNAL,
  ALTER COLUMN headers SET STORAGE EXTERNAL,
  ALTER COLUMN data SET STORAGE EXTERNAL,
  SET (toast_tuple_target = 8160);

-- Relaybus PostgreSQL schema, version 4: indexes for the operations API's dead-letter search.
-- A topic's dead letters over all groups are paged oldest first, continuing after the
-- (dead_lettered_at, dl_id) of the previous page; and every group's dead letter of one event is
-- found by the event's id (event lookup, search by id). The dead letters of one group are paged
-- with dead_letters_group (version 1).
CREATE INDEX IF NOT EXISTS dead_letters_topic
  ON relaybus.dead_letters (topic, dead_lettered_at, dl_id);
CREATE INDEX IF NOT EXISTS dead_letters_event ON relaybus.dead_letters (topic, id);

INSERT INTO relaybus.schema_version (version) VALUES (1), (2), (3), (4);
COMMIT;
