package io.relaybus.kafka;

import java.util.ArrayDeque;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The records fetched from one partition and not yet handed to the bus, in offset order. The
 * partition is paused only while this holds {@value #PAUSE_RECORDS} records or
 * {@value #PAUSE_BYTES} bytes, not whenever something is left over: every poll returns more
 * than a handler window, and a paused partition stops the consumer's prefetching, so each refill
 * would wait for a fetch round trip. Poll thread only.
 */
final class PartitionBuffer {
  static final int PAUSE_RECORDS = 1_000;
  static final long PAUSE_BYTES = 1L << 20;

  private final ArrayDeque<ConsumerRecord<byte[], byte[]>> records = new ArrayDeque<>();
  private long bytes;

  void addAll(List<ConsumerRecord<byte[], byte[]>> fetched) {
    for (ConsumerRecord<byte[], byte[]> r : fetched) {
      records.addLast(r);
      bytes += size(r);
    }
  }

  int size() {
    return records.size();
  }

  /** The next record, or {@code null} when none is buffered. */
  ConsumerRecord<byte[], byte[]> take() {
    ConsumerRecord<byte[], byte[]> r = records.pollFirst();
    if (r != null) {
      bytes -= size(r);
    }
    return r;
  }

  /** Gives back the record just taken: it is the next one again. */
  void putBack(ConsumerRecord<byte[], byte[]> r) {
    records.addFirst(r);
    bytes += size(r);
  }

  void clear() {
    records.clear();
    bytes = 0;
  }

  /** Whether the partition should be paused until this drains. */
  boolean full() {
    return records.size() >= PAUSE_RECORDS || bytes >= PAUSE_BYTES;
  }

  private static long size(ConsumerRecord<byte[], byte[]> r) {
    return Math.max(0, r.serializedKeySize()) + Math.max(0, r.serializedValueSize());
  }
}
