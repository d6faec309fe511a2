package io.relaybus.postgres;

import java.util.List;
import java.util.Map;

/**
 * The SQL that reads the events of one partition after a position, from both tables: rows of
 * {@code events} and the events of {@code packs} (ADR 0012). A member's fetches and its count
 * of a crashed member's window are built on it.
 */
final class EventWindows {
  /** Every attribute column of an event after its position, in {@code events} order. */
  private static final List<String> ATTRIBUTES = List.of("id", "source", "type", "subject",
      "time", "datacontenttype", "dataschema", "key", "headers", "data");

  /** The array column of {@code packs} holding each attribute, by the attribute's column name. */
  private static final Map<String, String> PACK_ARRAYS = Map.of("id", "ids", "source", "sources",
      "type", "types", "subject", "subjects", "time", "times", "datacontenttype",
      "datacontenttypes", "dataschema", "dataschemas", "key", "keys", "headers", "headers",
      "data", "data");

  private EventWindows() {}

  /**
   * The events of one partition after a position, in {@code (txid, seq)} order and at most
   * {@code limit} of them, from both tables: rows of {@code events} and the events of
   * {@code packs} (ADR 0012), readable only below the oldest running transaction and meant for
   * every group or for {@code group}. Each branch reads in index order under its own
   * {@code LIMIT}, packs are unnested lazily and sorted per transaction (an incremental sort on
   * the presorted {@code txid}), so the server reads no more than the limit needs whatever the
   * backlog. Arguments are SQL expressions (parameters or outer columns).
   *
   * @param columns the result columns: {@code txid}, {@code seq}, {@code topic},
   *     {@code partition} or an event attribute column; must include txid and seq
   * @param packLimit how many packs to read at most (at least {@code limit}: every pack past
   *     the position holds at least one event past it)
   * @param seqFilter an extra condition on each event, with {@code {seq}} for its seq, or null
   */
  static String window(String schema, List<String> columns, String topic, String partition,
      String txid, String seq, String group, String limit, String packLimit, String seqFilter) {
    StringBuilder rowCols = new StringBuilder();
    StringBuilder packCols = new StringBuilder();
    // Only the arrays the caller reads are expanded, in the select list (a ProjectSet walks the
    // arrays in step, row by row), not as unnest(...) in FROM, which materialises every
    // array's elements in a tuplestore per pack, the most expensive step a fetch could take.
    StringBuilder unnest = new StringBuilder("unnest(k.seqs) AS seq");
    for (String col : columns) {
      boolean perEvent = col.equals("seq") || ATTRIBUTES.contains(col);
      rowCols.append(rowCols.length() == 0 ? "" : ", ").append("x.").append(col);
      packCols.append(packCols.length() == 0 ? "" : ", ").append(perEvent ? "u." : "k.")
          .append(col);
      if (perEvent && !col.equals("seq")) {
        unnest.append(", unnest(k.").append(PACK_ARRAYS.get(col)).append(") AS ").append(col);
      }
    }
    String position = "(" + txid + ", " + seq + ")";
    String readable = " < pg_snapshot_xmin(pg_current_snapshot())";
    return "SELECT * FROM ((SELECT " + rowCols + " FROM " + schema + ".events x WHERE x.topic = "
        + topic + " AND x.partition = " + partition + " AND (x.txid, x.seq) > " + position
        + " AND x.txid" + readable + " AND (x.target_group IS NULL OR x.target_group = "
        + group + ")" + (seqFilter == null ? "" : " AND " + seqFilter.replace("{seq}", "x.seq"))
        + " ORDER BY x.txid, x.seq LIMIT " + limit + ") UNION ALL (SELECT " + packCols
        + " FROM (SELECT * FROM " + schema + ".packs k WHERE k.topic = " + topic
        + " AND k.partition = " + partition + " AND (k.txid, k.seq) > " + position
        + " AND k.txid" + readable + " AND (k.target_group IS NULL OR k.target_group = " + group
        + ") ORDER BY k.txid, k.seq LIMIT " + packLimit + ") k CROSS JOIN LATERAL (SELECT "
        + unnest + ") u"
        + " WHERE (k.txid, u.seq) > " + position
        + (seqFilter == null ? "" : " AND " + seqFilter.replace("{seq}", "u.seq"))
        + " ORDER BY k.txid, u.seq)) w ORDER BY w.txid, w.seq LIMIT " + limit;
  }

  /**
   * Rows and whole packs of one partition after a position, for a member's fetch of events of
   * ordinary size (ADR 0014): one result row per row of {@code events} (its attributes as arrays
   * of one) and per pack (its arrays as stored), in {@code (txid, seq)} order, at most
   * {@code limit} rows and {@code packLimit} packs, readable and meant for every group or for
   * {@code group} as in {@link #window}. A pack may hold events at or before the position (the
   * reader skips them) and events past what the caller needs. Columns, read by
   * {@link PackReader.Packed}:
   * {@code txid}, {@code seq} (a pack's last), {@code packed}, then one array per attribute.
   * The arrays go to pgjdbc in binary form, and the server sends each pack as it is stored
   * instead of expanding it into rows and sorting them, which costs both sides less per event
   * than one row per event.
   */
  static String packedWindow(String schema, String topic, String partition, String txid,
      String seq, String group, String limit, String packLimit) {
    String position = "(" + txid + ", " + seq + ")";
    String readable = " < pg_snapshot_xmin(pg_current_snapshot())";
    return "(SELECT x.txid, x.seq, false AS packed, ARRAY[x.seq] AS seqs, ARRAY[x.id] AS ids, "
        + "ARRAY[x.source] AS sources, ARRAY[x.type] AS types, ARRAY[x.subject] AS subjects, "
        + "ARRAY[" + pgMicros("x.time") + "] AS micros, ARRAY[x.datacontenttype] AS "
        + "datacontenttypes, ARRAY[x.dataschema] AS dataschemas, ARRAY[x.key] AS keys, "
        + "ARRAY[x.headers::text] AS headers, ARRAY[x.data] AS data FROM " + schema
        + ".events x WHERE x.topic = " + topic + " AND x.partition = " + partition
        + " AND (x.txid, x.seq) > " + position + " AND x.txid" + readable
        + " AND (x.target_group IS NULL OR x.target_group = " + group + ") ORDER BY x.txid, "
        + "x.seq LIMIT " + limit + ") UNION ALL (SELECT k.txid, k.seq, true, k.seqs, k.ids, "
        + "k.sources, k.types, k.subjects, ARRAY(SELECT " + pgMicros("t.t") + " FROM "
        + "unnest(k.times) WITH ORDINALITY AS t(t, n) ORDER BY t.n), k.datacontenttypes, "
        + "k.dataschemas, k.keys, k.headers::text[], k.data FROM " + schema + ".packs k WHERE "
        + "k.topic = " + topic + " AND k.partition = " + partition + " AND (k.txid, k.seq) > "
        + position + " AND k.txid" + readable + " AND (k.target_group IS NULL OR "
        + "k.target_group = " + group + ") ORDER BY k.txid, k.seq LIMIT " + packLimit + ")";
  }

  /** Seconds from the Unix epoch to PostgreSQL's, 2000-01-01 UTC. */
  static final long PG_EPOCH_SECONDS = 946_684_800L;

  /**
   * A time as PostgreSQL holds it, microseconds since 2000-01-01 UTC: an int8 for every finite
   * {@code timestamptz} (the numeric {@code extract} is exact), null for infinity. pgjdbc
   * decodes no binary {@code timestamptz[]}, and an int8 array needs no text parsing on the
   * client (ADR 0014).
   */
  private static String pgMicros(String time) {
    return "CASE WHEN isfinite(" + time + ") THEN (extract(epoch FROM " + time
        + ") * 1000000 - " + PG_EPOCH_SECONDS + "000000)::int8 END";
  }
}
