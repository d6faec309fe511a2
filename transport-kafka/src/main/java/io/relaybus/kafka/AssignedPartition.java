package io.relaybus.kafka;

import io.relaybus.spi.PositionTracker;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * One partition assigned to a member: its fetched-not-submitted records ({@link #buffer}), its
 * submitted-not-committed messages ({@link #submitted}: the finished prefix becomes the commit
 * offset) and what was committed. Poll thread only, except that handler threads finish
 * entries of {@link #submitted} and park messages (single volatile writes, which need no lock).
 */
final class AssignedPartition {
  final TopicPartition tp;
  final PartitionBuffer buffer = new PartitionBuffer();
  /** Messages handed to the bus, in offset order; finished = acked or dead letter stored. */
  final PositionTracker<KafkaInboundMessage> submitted = new PositionTracker<>();
  /** Offset after the finished prefix. */
  long next;
  /** Last offset (and its metadata) the broker confirmed as committed. */
  long committed = -1;
  String committedMeta = "";
  /** Last offset (and its metadata) sent in an asynchronous commit. */
  long requested = -1;
  String requestedMeta = "";
  /** Attempts an earlier owner made on the event at priorOffset (from commit metadata). */
  long priorOffset = -1;
  int priorAttempts;
  /**
   * Offsets an earlier owner finished beyond the committed offset ({@code [start, end]} pairs,
   * ascending, from commit metadata): skipped when fetched, and committed as finished again
   * until this member has fetched past them.
   */
  private long[] finishedEarlier = NONE;
  /** The first range of {@link #finishedEarlier} not yet fetched past. */
  private int earlierAt;
  private static final long[] NONE = new long[0];

  AssignedPartition(TopicPartition tp) {
    this.tp = tp;
  }

  void finishedEarlier(long[] ranges) {
    finishedEarlier = ranges;
    earlierAt = 0;
  }

  /**
   * Whether an earlier owner finished the record at {@code offset}. Offsets are asked in
   * ascending order (the order records are handed out).
   */
  boolean finishedEarlier(long offset) {
    long[] r = finishedEarlier;
    while (earlierAt < r.length && r[earlierAt + 1] < offset) {
      earlierAt += 2;
    }
    return earlierAt < r.length && r[earlierAt] <= offset;
  }

  /**
   * Adds to {@code out} the offsets finished beyond the commit point: those this member
   * finished behind its first unfinished message, then those the earlier owner finished that
   * this member has not fetched yet.
   */
  void finishedAhead(CommitMetadata.Writer out) {
    long handedUpTo = next - 1;
    for (KafkaInboundMessage m : submitted.finishedAhead()) {
      out.add(m.offset(), m.offset());
    }
    PositionTracker.Entry<KafkaInboundMessage> last = submitted.last();
    if (last != null) {
      handedUpTo = last.position().offset();
    }
    long[] r = finishedEarlier;
    for (int i = earlierAt; i < r.length; i += 2) {
      if (r[i + 1] > handedUpTo) {
        out.add(Math.max(r[i], handedUpTo + 1), r[i + 1]);
      }
    }
  }

  void committed(OffsetAndMetadata o) {
    if (o.offset() >= committed) {
      committed = o.offset();
      committedMeta = o.metadata() == null ? "" : o.metadata();
    }
  }

  void requested(OffsetAndMetadata o) {
    if (o.offset() >= requested) {
      requested = o.offset();
      requestedMeta = o.metadata() == null ? "" : o.metadata();
    }
  }

  /** A failed asynchronous commit: what was requested is sent again on the next commit. */
  void requestAgain() {
    requested = committed;
    requestedMeta = committedMeta;
  }

  /**
   * Submitted messages the bus still handles: neither finished nor parked (released, or
   * dead-lettered while the dead letter could not be stored yet). A revoke waits only for these.
   */
  int handling() {
    return submitted.unfinished(m -> !m.parked());
  }

  /** Whether the bus is done with every submitted message of the partition. */
  boolean settled() {
    return handling() == 0;
  }
}
