-- Relaybus PostgreSQL schema, version 2 (ADR 0012): packs, several events of one topic and
-- partition in one row, written by Relaybus's own publishers for batches; and all_events, one
-- row per event over both tables, for operators and readers in other languages.

-- Every event of a pack keeps its own position: seqs holds one value of the events' sequence
-- per event, in publish order, and seq is the last of them, so (txid, seq) > a cursor finds the
-- packs with events left past it. The other arrays hold one element per event, NULL where an
-- optional attribute is absent.
CREATE TABLE ${schema}.packs (
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
CREATE INDEX packs_published_at ON ${schema}.packs USING brin (published_at);

CREATE VIEW ${schema}.all_events AS
  SELECT e.seq, e.txid, e.topic, e.partition, e.id, e.source, e.type, e.subject, e.time,
         e.datacontenttype, e.dataschema, e.key, e.headers, e.data, e.target_group,
         e.published_at
    FROM ${schema}.events e
  UNION ALL
  SELECT u.seq, k.txid, k.topic, k.partition, u.id, u.source, u.type, u.subject, u.time,
         u.datacontenttype, u.dataschema, u.key, u.headers, u.data, k.target_group,
         k.published_at
    FROM ${schema}.packs k
    CROSS JOIN LATERAL unnest(k.seqs, k.ids, k.sources, k.types, k.subjects, k.times,
         k.datacontenttypes, k.dataschemas, k.keys, k.headers, k.data)
      AS u(seq, id, source, type, subject, time, datacontenttype, dataschema, key, headers,
           data);

-- Packs notify at commit as event rows do (transactional notify mode, publish(Connection, ...)).
CREATE TRIGGER packs_notify AFTER INSERT ON ${schema}.packs
  FOR EACH ROW WHEN (coalesce(current_setting('relaybus.notify', true), 'on') <> 'off')
  EXECUTE FUNCTION ${schema}.notify_insert();
