-- Relaybus PostgreSQL schema, version 3 (ADR 0012, amendment 2): packs are stored without
-- compression. PostgreSQL compresses a row's large values (pglz) once the row passes about
-- 2 kB, which packs do: compressing on every publish and decompressing on every fetch cost more
-- server time than the bytes saved, with events that differ as real ones do (one benchmark's
-- identical payloads had hidden it). Rows up to the page size stay whole in the table; the
-- largest arrays of bigger packs go out of line, uncompressed. Only new packs are affected.
ALTER TABLE ${schema}.packs
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
