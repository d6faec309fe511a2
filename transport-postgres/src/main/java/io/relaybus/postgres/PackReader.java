package io.relaybus.postgres;

import io.relaybus.Event;
import io.relaybus.InvalidEventException;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A member's fetch of rows and whole packs ({@link EventWindows#packedWindow}, ADR 0014), for
 * events of ordinary size: per asked partition at most its share of rows and the packs that
 * likely hold that many events. Events after the last row or pack of a partition that hit its
 * limit are left for the next fetch: an unread row or pack may come before them.
 */
final class PackReader {
  private final MemberStatements sql;
  private final PartitionLeases leases;
  private final FetchPlan plan;
  private final String topic;
  private final String group;

  PackReader(MemberStatements sql, PartitionLeases leases, FetchPlan plan, String topic,
      String group) {
    this.sql = sql;
    this.leases = leases;
    this.plan = plan;
    this.topic = topic;
    this.group = group;
  }

  /**
   * Reads at most {@code limits} rows of each asked partition and the packs that likely hold
   * that many events into the pass; returns whether a partition filled its share.
   */
  boolean read(Connection c, List<PartitionState> asked, int[] limits, FetchPass pass)
      throws SQLException {
    int highest = limits.length - 1;
    int[] packLimits = new int[highest + 1];
    List<Fetched> fetched = new ArrayList<>();
    for (PartitionState state : asked) {
      packLimits[state.partition] = plan.packLimit(state, limits[state.partition]);
    }
    try (PreparedStatement ps = c.prepareStatement(sql.fetchPacks(asked.size()))) {
      MemberStatements.bindFetch(ps, topic, group, asked,
          state -> new int[] {limits[state.partition], packLimits[state.partition]});
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Array retriedSeqs = rs.getArray(16);
          fetched.add(new Fetched(rs.getInt(1), new Packed(rs, 2),
              retriedSeqs == null ? null : (Long[]) retriedSeqs.getArray(),
              retriedSeqs == null ? null : (Integer[]) rs.getArray(17).getArray()));
        }
      }
    }
    // Per partition, the last row and the last pack read, and how many of each.
    int[] rowCount = new int[highest + 1];
    int[] packCount = new int[highest + 1];
    int[] packEvents = new int[highest + 1];
    Fetched[] lastRow = new Fetched[highest + 1];
    Fetched[] lastPack = new Fetched[highest + 1];
    for (Fetched f : fetched) {
      if (f.events.packed) {
        packCount[f.partition]++;
        packEvents[f.partition] += f.events.size();
        lastPack[f.partition] = f;
      } else {
        rowCount[f.partition]++;
        lastRow[f.partition] = f;
      }
    }
    boolean more = false;
    Fetched[] cut = new Fetched[highest + 1]; // read up to its last event
    for (PartitionState state : asked) {
      int p = state.partition;
      if (rowCount[p] >= limits[p]) {
        cut[p] = lastRow[p];
      }
      if (packCount[p] >= packLimits[p] && (cut[p] == null || lastPack[p].before(cut[p]))) {
        cut[p] = lastPack[p];
      }
      more |= cut[p] != null;
      if (packCount[p] > 0) {
        state.eventsPerPack = Math.max(1, packEvents[p] / packCount[p]);
      }
    }
    for (Fetched f : fetched) {
      PartitionState state = leases.get(f.partition);
      Fetched until = cut[f.partition];
      if (state == null || (until != null && until.before(f))) {
        continue;
      }
      for (int j = 0; j < f.events.size(); j++) {
        long seq = f.events.seq(j);
        pass.offer(state, f.events.txid, seq, f.events, j, f.attempts(seq));
      }
    }
    return more;
  }

  /** A row of the pack fetch: its partition, events and their attempts so far. */
  private record Fetched(int partition, Packed events, Long[] retriedSeqs,
      Integer[] retriedCounts) {
    /** Whether this row's events all come before {@code other}'s last. */
    boolean before(Fetched other) {
      return events.txid < other.events.txid
          || (events.txid == other.events.txid && events.seq < other.events.seq);
    }

    int attempts(long seq) {
      if (retriedSeqs != null) {
        for (int i = 0; i < retriedSeqs.length; i++) {
          if (retriedSeqs[i] == seq) {
            return retriedCounts[i];
          }
        }
      }
      return 0;
    }
  }

  /** The events of one row of {@link EventWindows#packedWindow}: a pack, or a row of events. */
  static final class Packed implements EventRows.Source {
    final long txid;
    /** The position of the last event. */
    final long seq;
    /** Whether this is a pack, not a row of {@code events}. */
    final boolean packed;
    private final Long[] seqs;
    private final String[] ids;
    private final String[] sources;
    private final String[] types;
    private final String[] subjects;
    private final Long[] micros;
    private final String[] dataContentTypes;
    private final String[] dataSchemas;
    private final String[] keys;
    private final String[] headers;
    private final byte[][] data;

    /** Reads the columns of {@link EventWindows#packedWindow} from {@code first} on. */
    Packed(ResultSet rs, int first) throws SQLException {
      int i = first;
      txid = Long.parseLong(rs.getString(i++));
      seq = rs.getLong(i++);
      packed = rs.getBoolean(i++);
      seqs = (Long[]) rs.getArray(i++).getArray();
      ids = strings(rs, i++);
      sources = strings(rs, i++);
      types = strings(rs, i++);
      subjects = strings(rs, i++);
      micros = (Long[]) rs.getArray(i++).getArray();
      dataContentTypes = strings(rs, i++);
      dataSchemas = strings(rs, i++);
      keys = strings(rs, i++);
      headers = strings(rs, i++);
      data = (byte[][]) rs.getArray(i).getArray();
      int n = seqs.length;
      if (ids.length != n || sources.length != n || types.length != n || subjects.length != n
          || micros.length != n || dataContentTypes.length != n || dataSchemas.length != n
          || keys.length != n || headers.length != n || data.length != n) {
        throw new SQLException("Pack " + seq + " holds arrays of different lengths");
      }
    }

    private static String[] strings(ResultSet rs, int i) throws SQLException {
      return (String[]) rs.getArray(i).getArray();
    }

    int size() {
      return seqs.length;
    }

    long seq(int j) {
      return seqs[j];
    }

    /**
     * The event at {@code j}.
     *
     * @throws InvalidEventException when it breaks the envelope rules
     */
    @Override
    public Event event(int j) {
      try {
        Long m = micros[j];
        if (m == null) {
          throw new InvalidEventException("Row time is not finite");
        }
        Instant time = Instant.ofEpochSecond(
            EventWindows.PG_EPOCH_SECONDS + Math.floorDiv(m, 1_000_000L),
            Math.floorMod(m, 1_000_000L) * 1_000L);
        return EventRows.event(ids[j], sources[j], types[j], subjects[j], time,
            dataContentTypes[j], dataSchemas[j], keys[j], headers[j], data[j]);
      } catch (InvalidEventException e) {
        throw e;
      } catch (RuntimeException e) {
        throw new InvalidEventException("Row breaks the envelope rules: " + e.getMessage());
      }
    }

    @Override
    public Event salvage(int j) {
      return EventRows.salvage(ids[j], sources[j], types[j], data[j]);
    }
  }
}
