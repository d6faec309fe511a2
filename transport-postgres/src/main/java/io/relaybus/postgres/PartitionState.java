package io.relaybus.postgres;

import io.relaybus.spi.PositionTracker;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What a member knows of one partition it holds: its cursor (the committed position), how far
 * it has read, the events in flight ({@link PositionTracker}), the events the partition's
 * earlier owner finished ahead of the cursor, and which events have an attempts row. Guarded
 * by its own monitor.
 *
 * <p>The positions finished ahead of the cursor are stored in {@code done_ahead} with it, so a
 * new owner does not deliver them again: those this member finished (finished entries of the
 * tracker behind the first unfinished one) and those the earlier owner had finished that this
 * member has not passed yet ({@link #doneAhead}: not fetched yet, or given back with events
 * read ahead).
 */
final class PartitionState {
  final int partition;
  private long committedTxid;
  private long committedSeq;
  private long fetchedTxid;
  private long fetchedSeq;
  private final PositionTracker<RowPosition> inFlight = new PositionTracker<>();
  /** Finished by the partition's earlier owner, and not tracked in {@link #inFlight} now. */
  private final Set<Long> doneAhead = new HashSet<>();
  /** Events with a row in the attempts table. */
  private final Set<Long> retried = new HashSet<>();
  /** Finished events whose attempts row can go. */
  private final List<Long> retriedDone = new ArrayList<>();
  /** Member thread only: events per pack in the last fetch that read packs of this partition. */
  int eventsPerPack = EventRows.MAX_PACK;
  /** Given up: read no more, released once nothing of it is in flight. */
  volatile boolean draining;
  /** Finished events moved or may have moved the cursor since it was last written. */
  volatile boolean dirty;

  /** A partition claimed at its cursor, with what the earlier owner finished ahead of it. */
  PartitionState(int partition, long txid, long seq, Long[] finishedAhead) {
    this.partition = partition;
    this.committedTxid = txid;
    this.committedSeq = seq;
    this.fetchedTxid = txid;
    this.fetchedSeq = seq;
    for (Long s : finishedAhead) {
      doneAhead.add(s);
    }
  }

  // ------------------------------------------------------------------ fetching

  /**
   * A fetched event at {@code (txid, seq)}: whether it is new and must be delivered. False
   * when it was fetched already, or when the earlier owner finished it (it is tracked as
   * finished then, and the cursor may pass it).
   */
  synchronized boolean admit(long txid, long seq) {
    if (txid < fetchedTxid || (txid == fetchedTxid && seq <= fetchedSeq)) {
      return false;
    }
    fetchedTxid = txid;
    fetchedSeq = seq;
    if (doneAhead.remove(seq)) {
      inFlight.addFinished(new RowPosition(txid, seq));
      advance();
      return false;
    }
    return true;
  }

  /** Tracks an admitted event as in flight. */
  synchronized PositionTracker.Entry<RowPosition> track(PostgresInboundMessage message) {
    return inFlight.add(message);
  }

  /**
   * Takes an event read ahead back: it and every later event of the partition leave the
   * in-flight positions (all were read ahead too, or finished before: those stay known as
   * finished ahead), and the partition is read again from before it. So giving a partition up
   * does not wait for events never handed over, and no cursor passes them.
   */
  synchronized void takeBack(PositionTracker.Entry<RowPosition> entry) {
    List<PositionTracker.Entry<RowPosition>> released = inFlight.releaseFrom(entry);
    if (released.isEmpty()) {
      return; // taken back with an earlier one
    }
    for (PositionTracker.Entry<RowPosition> e : released) {
      if (e.finished()) {
        doneAhead.add(e.position().seq);
      }
    }
    PositionTracker.Entry<RowPosition> last = inFlight.last();
    fetchedTxid = last == null ? committedTxid : last.position().txid;
    fetchedSeq = last == null ? committedSeq : last.position().seq;
  }

  /** Binds the read position (partition, txid, seq) from parameter {@code i}; returns the next. */
  synchronized int bindFetched(PreparedStatement ps, int i) throws SQLException {
    ps.setInt(i++, partition);
    ps.setString(i++, Long.toString(fetchedTxid));
    ps.setLong(i++, fetchedSeq);
    return i;
  }

  // ------------------------------------------------------------------ outcomes

  /** An event is finished (acked or dead-lettered): the cursor moves over the finished prefix. */
  synchronized void finish(PositionTracker.Entry<RowPosition> entry) {
    inFlight.finish(entry);
    long seq = entry.position().seq;
    if (retried.remove(seq)) {
      retriedDone.add(seq);
    }
    advance();
  }

  private void advance() {
    dirty = true;
    RowPosition last = inFlight.advance();
    if (last != null) {
      committedTxid = last.txid;
      committedSeq = last.seq;
    }
  }

  /** An event has (or is getting) a row in the attempts table. */
  synchronized void retried(long seq) {
    retried.add(seq);
  }

  /** Whether nothing of the partition is in flight. */
  synchronized boolean idle() {
    return inFlight.isEmpty();
  }

  // ------------------------------------------------------------------ cursor

  /** What a cursor write stores, taken at once; {@link #dirty} is cleared. */
  record Cursor(long txid, long seq, Long[] doneAhead, List<Long> retriedDone) {}

  /** The cursor to write now; on failure, give it back with {@link #notWritten}. */
  synchronized Cursor cursor() {
    Set<Long> done = new HashSet<>(doneAhead);
    for (RowPosition p : inFlight.finishedAhead()) {
      done.add(p.seq);
    }
    List<Long> retriedNow = new ArrayList<>(retriedDone);
    retriedDone.clear();
    dirty = false;
    return new Cursor(committedTxid, committedSeq, done.toArray(new Long[0]), retriedNow);
  }

  /** A cursor write failed: it is written again, with the attempts rows it would have deleted. */
  synchronized void notWritten(Cursor cursor) {
    dirty = true;
    retriedDone.addAll(cursor.retriedDone());
  }

  /**
   * Binds the window of a partition taken over from a crashed member ({@code topic},
   * partition, committed position, finished ahead) from parameter {@code i}; returns the next.
   */
  synchronized int bindTakeOver(Connection c, PreparedStatement ps, int i, String topic)
      throws SQLException {
    ps.setString(i++, topic);
    ps.setInt(i++, partition);
    ps.setString(i++, Long.toString(committedTxid));
    ps.setLong(i++, committedSeq);
    Array done = c.createArrayOf("int8", doneAhead.toArray());
    ps.setArray(i++, done);
    return i;
  }
}
