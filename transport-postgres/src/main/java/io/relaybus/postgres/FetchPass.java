package io.relaybus.postgres;

import io.relaybus.Event;
import io.relaybus.InvalidEventException;
import io.relaybus.spi.MessageSink;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * What one fetch hands over: each new event becomes a message tracked in flight by its
 * partition, and goes to the sink up to the room it had, the rest to the read-ahead. A row
 * that is not a valid event is handed over as well, for the delivery engine to dead-letter.
 */
final class FetchPass {
  /** Messages handed to the sink at once: one handler-thread wake-up per batch, not per row. */
  static final int SUBMIT_BATCH = 32;

  private final GroupMember member;
  private final MessageSink sink;
  private final ReadAhead readAhead;
  private final int capacity;
  private int submitted;
  /** Events read, new or not. */
  int rows;
  /** The largest event read, with {@link FetchPlan#EVENT_OVERHEAD_BYTES}; 0 if none. */
  int largest;
  private final List<PostgresInboundMessage> batch = new ArrayList<>(SUBMIT_BATCH);

  FetchPass(GroupMember member, MessageSink sink, ReadAhead readAhead, int capacity) {
    this.member = member;
    this.sink = sink;
    this.readAhead = readAhead;
    this.capacity = capacity;
  }

  /** One event read at {@code (txid, seq)}, attempted {@code attempts} times before. */
  void offer(PartitionState state, long txid, long seq, EventRows.Source source, int j,
      int attempts) throws SQLException {
    rows++;
    if (!state.admit(txid, seq)) {
      return;
    }
    Event event;
    InvalidEventException invalid = null;
    try {
      event = source.event(j);
      largest = Math.max(largest, event.dataLength() + FetchPlan.EVENT_OVERHEAD_BYTES);
    } catch (InvalidEventException e) {
      invalid = e;
      event = source.salvage(j);
    }
    PostgresInboundMessage message = new PostgresInboundMessage(member, state, txid, seq, event,
        invalid, attempts + 1);
    message.entry = state.track(message);
    if (submitted == capacity) {
      readAhead.add(message);
      return;
    }
    batch.add(message);
    submitted++;
    if (batch.size() == SUBMIT_BATCH) {
      sink.submitAll(batch);
      batch.clear();
    }
  }

  /** Hands over the last batch. */
  void flush() {
    if (!batch.isEmpty()) {
      sink.submitAll(batch);
      batch.clear();
    }
  }
}
