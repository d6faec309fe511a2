package io.relaybus.postgres;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Collections;
import java.util.List;
import java.util.function.Function;

/**
 * The SQL text of a group member, for one schema: joining ({@code cursors}, {@code members}),
 * the lease protocol, the fetches, cursor and attempt writes, and dead letters. Texts are built
 * once per member, so that each is one prepared statement per pooled connection.
 */
final class MemberStatements {
  /** What a fetch reads of each event: its position, topic and attributes. */
  private static final List<String> FETCH_COLUMNS = List.of("txid", "seq", "topic", "id",
      "source", "type", "subject", "time", "datacontenttype", "dataschema", "key", "headers",
      "data");

  private final String schema;

  /** Creates the group's cursors at the start of the topic, if the group is new. */
  final String createCursorsAtEarliest;
  /**
   * Creates the group's cursors, if the group is new, after the last event below the oldest
   * running transaction. Transactions still running commit above it, so nothing published
   * after {@code subscribe()} returns is skipped.
   */
  final String createCursorsAtLatest;
  /** Records that a member is alive. */
  final String heartbeat;
  /** Extends the member's leases; returns the partitions it still holds. */
  final String renewLeases;
  /** Counts the group's members alive within the lease timeout. */
  final String countLiveMembers;
  /**
   * Takes up to a number of partitions that nobody holds or whose lease expired; returns each
   * one's cursor, its finished-ahead positions and whether another member held it.
   */
  final String claim;
  /** Counts one attempt for the first unfinished event of each key in a taken-over window. */
  final String countCrashedAttempts;
  /** Whether committed rows of some partitions wait behind an older running transaction. */
  final String rowsHeldBack;
  /** Writes a partition's cursor while the member holds it. */
  final String writeCursor;
  /** Writes a partition's cursor and gives up its lease. */
  final String writeCursorAndRelease;
  /** Deletes the attempts rows of finished events. */
  final String deleteAttempts;
  /** Stores the attempts made so far of an event. */
  final String recordAttempt;
  /** Stores a dead letter, once per event and group. */
  final String insertDeadLetter;
  /** Removes a member that closed. */
  final String leave;

  /** Fetch statements by the number of partitions they read (index 0 unused). */
  private final String[] fetchRows;
  /** The same for whole packs. */
  private final String[] fetchPacks;

  MemberStatements(String schema, int partitionCount) {
    this.schema = schema;
    this.fetchRows = new String[partitionCount + 1];
    this.fetchPacks = new String[partitionCount + 1];
    createCursorsAtEarliest = "INSERT INTO " + schema + ".cursors (topic, grp, partition) "
        + "SELECT ?, ?, p FROM generate_series(0, ? - 1) AS p ON CONFLICT DO NOTHING";
    createCursorsAtLatest = "INSERT INTO " + schema + ".cursors (topic, grp, partition, "
        + "last_txid, last_seq) "
        + "SELECT ?, ?, p, coalesce(l.txid, '0'::xid8), coalesce(l.seq, 0) "
        + "FROM generate_series(0, ? - 1) AS p LEFT JOIN LATERAL (SELECT t.txid, t.seq FROM ("
        + "  (SELECT e.txid, e.seq FROM " + schema + ".events e"
        + "   WHERE e.topic = ? AND e.partition = p"
        + "     AND e.txid < pg_snapshot_xmin(pg_current_snapshot())"
        + "   ORDER BY e.txid DESC, e.seq DESC LIMIT 1)"
        + "  UNION ALL" // a pack's seq is its last event's
        + "  (SELECT k.txid, k.seq FROM " + schema + ".packs k"
        + "   WHERE k.topic = ? AND k.partition = p"
        + "     AND k.txid < pg_snapshot_xmin(pg_current_snapshot())"
        + "   ORDER BY k.txid DESC, k.seq DESC LIMIT 1)"
        + ") t ORDER BY t.txid DESC, t.seq DESC LIMIT 1) l ON true "
        + "ON CONFLICT DO NOTHING";
    heartbeat = "INSERT INTO " + schema + ".members (topic, "
        + "grp, member) VALUES (?, ?, ?) ON CONFLICT (topic, grp, member) DO UPDATE SET "
        + "heartbeat_at = now()";
    renewLeases = "UPDATE " + schema + ".cursors SET "
        + "lease_until = now() + ? * interval '1 millisecond' WHERE topic = ? AND grp = ? AND "
        + "owner = ? RETURNING partition";
    countLiveMembers = "SELECT count(*) FROM " + schema + ".members "
        + "WHERE topic = ? AND grp = ? AND heartbeat_at > now() - ? * interval '1 millisecond'";
    claim = "UPDATE " + schema + ".cursors c SET owner = ?, "
        + "lease_until = now() + ? * interval '1 millisecond' FROM (SELECT partition, owner AS "
        + "previous_owner FROM " + schema + ".cursors WHERE topic = ? AND grp = ? AND (owner IS "
        + "NULL OR lease_until < now()) ORDER BY partition LIMIT ? FOR UPDATE SKIP LOCKED) f "
        + "WHERE c.topic = ? AND c.grp = ? AND c.partition = f.partition RETURNING c.partition, "
        + "c.last_txid::text, c.last_seq, c.done_ahead, f.previous_owner IS NOT NULL";
    // The first maxInFlight events after the committed position that are not finished yet.
    String window = "SELECT w0.seq, w0.key FROM (SELECT ?::text AS topic, ?::int AS partition, "
        + "?::xid8 AS txid, ?::bigint AS seq, ?::int8[] AS done, ?::text AS grp, ?::int AS lim) "
        + "q CROSS JOIN LATERAL (" + EventWindows.window(schema, List.of("txid", "seq", "key"),
            "q.topic", "q.partition", "q.txid", "q.seq", "q.grp", "q.lim",
            "q.lim + cardinality(q.done)", "NOT {seq} = ANY (q.done)") + ") w0";
    countCrashedAttempts = "INSERT INTO " + schema + ".attempts (topic, grp, seq, partition, "
        + "attempts) "
        + "SELECT ?, ?, h.seq, ?, 1 FROM (SELECT DISTINCT ON (coalesce(w.key, w.seq::text)) "
        + "w.seq FROM (" + window + ") w ORDER BY coalesce(w.key, w.seq::text), w.seq) h "
        + "ON CONFLICT (topic, grp, seq) DO UPDATE SET attempts = "
        + schema + ".attempts.attempts + 1 RETURNING seq";
    rowsHeldBack = "SELECT EXISTS (SELECT 1 FROM " + schema
        + ".events WHERE topic = ? AND partition = ANY (?) AND txid >= "
        + "pg_snapshot_xmin(pg_current_snapshot())) OR EXISTS (SELECT 1 FROM " + schema
        + ".packs WHERE topic = ? AND partition = ANY (?) AND txid >= "
        + "pg_snapshot_xmin(pg_current_snapshot()))";
    writeCursor = writeCursor(false);
    writeCursorAndRelease = writeCursor(true);
    deleteAttempts = "DELETE FROM " + schema + ".attempts WHERE "
        + "topic = ? AND grp = ? AND seq = ANY (?)";
    recordAttempt = "INSERT INTO " + schema + ".attempts (topic, "
        + "grp, seq, partition, attempts) VALUES (?, ?, ?, ?, ?) ON CONFLICT (topic, grp, "
        + "seq) DO UPDATE SET attempts = EXCLUDED.attempts";
    insertDeadLetter = "INSERT INTO " + schema + ".dead_letters "
        + "(topic, grp, event_seq, partition, " + EventRows.COLUMNS + ", reason, attempts, "
        + "last_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?) "
        + "ON CONFLICT (topic, grp, event_seq) DO NOTHING";
    leave = "DELETE FROM " + schema + ".members WHERE "
        + "topic = ? AND grp = ? AND member = ?";
  }

  private String writeCursor(boolean release) {
    return "UPDATE " + schema + ".cursors SET "
        + "last_txid = ?::xid8, last_seq = ?, done_ahead = ?, updated_at = now()"
        + (release ? ", owner = NULL, lease_until = NULL" : "")
        + " WHERE topic = ? AND grp = ? AND partition = ? AND owner = ?";
  }

  /**
   * The fetch statement for {@code partitions} partitions, one row per event: each partition's
   * position and share is a row of a VALUES list, each limited on its own
   * ({@code LATERAL … LIMIT p.lim}). The list's length is in the text, not in an array
   * parameter, so the server's generic plan of the prepared statement knows how many
   * partitions it reads and costs about what the custom plans cost: after its first executions
   * on a connection, PostgreSQL keeps the generic plan instead of planning every fetch again
   * (with an array it estimates ten rows whatever the array holds, and plans each fetch anew).
   * One text per length, cached. Columns: partition, txid, seq, the event
   * ({@link EventRows#SELECT_COLUMNS}), its attempts so far.
   */
  String fetchRows(int partitions) {
    String sql = fetchRows[partitions];
    if (sql == null) {
      sql = "SELECT p.partition, e.txid::text, e.seq, " + EventRows.SELECT_COLUMNS
          + ", coalesce(a.attempts, 0)" + fetchFrom(partitions, "lim") + "CROSS JOIN LATERAL ("
          + EventWindows.window(schema, FETCH_COLUMNS, "q.topic",
              "p.partition", "p.txid", "p.seq", "q.grp", "p.lim", "p.lim", null)
          + ") e LEFT JOIN " + schema + ".attempts a ON a.topic = q.topic AND a.grp = q.grp "
          + "AND a.seq = e.seq ORDER BY e.txid, e.seq";
      fetchRows[partitions] = sql;
    }
    return sql;
  }

  /**
   * The pack fetch statement for {@code partitions} partitions, as {@link #fetchRows} with each
   * partition's pack limit, and each row's attempts so far as two arrays (seqs and counts; an
   * attempts row of another partition within a pack's range is ignored by the reader).
   * Columns: partition, the columns of {@link EventWindows#packedWindow}, the two arrays.
   */
  String fetchPacks(int partitions) {
    String sql = fetchPacks[partitions];
    if (sql == null) {
      sql = "SELECT p.partition, e.txid::text, e.seq, e.packed, e.seqs, e.ids, e.sources, "
          + "e.types, e.subjects, e.micros, e.datacontenttypes, e.dataschemas, e.keys, "
          + "e.headers, e.data, a.seqs, a.attempts" + fetchFrom(partitions, "lim", "plim")
          + "CROSS JOIN LATERAL (" + EventWindows.packedWindow(schema, "q.topic",
              "p.partition", "p.txid", "p.seq", "q.grp", "p.lim", "p.plim")
          + ") e CROSS JOIN LATERAL (SELECT array_agg(a.seq) AS seqs, array_agg(a.attempts) AS "
          + "attempts FROM " + schema + ".attempts a WHERE a.topic = q.topic AND a.grp = q.grp "
          + "AND a.seq BETWEEN e.seqs[1] AND e.seq) a ORDER BY e.txid, e.seq";
      fetchPacks[partitions] = sql;
    }
    return sql;
  }

  /**
   * A fetch's FROM up to the partitions, in the order {@link #bindFetch} binds: the topic and
   * group ({@code q}), and a VALUES row per partition ({@code p}) of its read position and its
   * {@code limits} (integer columns of these names).
   */
  private static String fetchFrom(int partitions, String... limits) {
    String row = "(?::int, ?::xid8, ?::bigint" + ", ?::int".repeat(limits.length) + ")";
    return " FROM (SELECT ?::text AS topic, ?::text AS grp) q CROSS JOIN (VALUES "
        + String.join(", ", Collections.nCopies(partitions, row))
        + ") AS p(partition, txid, seq, " + String.join(", ", limits) + ") ";
  }

  /**
   * Binds a fetch statement: the topic, the group, and for each asked partition its read
   * position followed by its {@code limits}.
   */
  static void bindFetch(PreparedStatement ps, String topic, String group,
      List<PartitionState> asked, Function<PartitionState, int[]> limits) throws SQLException {
    int i = 1;
    ps.setString(i++, topic);
    ps.setString(i++, group);
    for (PartitionState state : asked) {
      i = state.bindFetched(ps, i);
      for (int limit : limits.apply(state)) {
        ps.setInt(i++, limit);
      }
    }
  }
}
