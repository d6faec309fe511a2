package io.relaybus.postgres;

import io.relaybus.spi.MessageSink;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Events a member fetched beyond the room the sink had, in fetch order, handed over as
 * deliveries finish. Their positions are in flight (not finished), so no cursor passes them;
 * they are taken back if their partition is given up or lost, or the member stops reading.
 *
 * <p>Member thread only.
 */
final class ReadAhead {
  private final ArrayDeque<PostgresInboundMessage> messages = new ArrayDeque<>();

  void add(PostgresInboundMessage message) {
    messages.add(message);
  }

  boolean isEmpty() {
    return messages.isEmpty();
  }

  /**
   * Hands events to the sink as far as its {@code room}, taking back those of partitions the
   * member no longer reads; returns whether none is left.
   */
  boolean handOver(MessageSink sink, int room, PartitionLeases leases) {
    List<PostgresInboundMessage> batch =
        new ArrayList<>(Math.min(room, FetchPass.SUBMIT_BATCH));
    while (room > 0 && !messages.isEmpty()) {
      PostgresInboundMessage m = messages.poll();
      if (!leases.reads(m.state)) {
        takeBack(m);
        continue;
      }
      batch.add(m);
      room--;
      if (batch.size() == FetchPass.SUBMIT_BATCH) {
        sink.submitAll(batch);
        batch.clear();
      }
    }
    if (!batch.isEmpty()) {
      sink.submitAll(batch);
    }
    return messages.isEmpty();
  }

  /** Takes back every event read ahead (the member stops reading). */
  void dropAll() {
    drop(m -> true);
  }

  /** Takes back the events of partitions the member no longer reads. */
  void dropUnread(PartitionLeases leases) {
    drop(m -> !leases.reads(m.state));
  }

  private void drop(Predicate<PostgresInboundMessage> test) {
    messages.removeIf(m -> {
      if (test.test(m)) {
        takeBack(m);
        return true;
      }
      return false;
    });
  }

  private static void takeBack(PostgresInboundMessage m) {
    m.state.takeBack(m.entry);
  }
}
