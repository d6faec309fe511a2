-- Relaybus PostgreSQL schema, version 4: indexes for the operations API's dead-letter search.
-- A topic's dead letters over all groups are paged oldest first, continuing after the
-- (dead_lettered_at, dl_id) of the previous page; and every group's dead letter of one event is
-- found by the event's id (event lookup, search by id). The dead letters of one group are paged
-- with dead_letters_group (version 1).
CREATE INDEX IF NOT EXISTS dead_letters_topic
  ON ${schema}.dead_letters (topic, dead_lettered_at, dl_id);
CREATE INDEX IF NOT EXISTS dead_letters_event ON ${schema}.dead_letters (topic, id);
