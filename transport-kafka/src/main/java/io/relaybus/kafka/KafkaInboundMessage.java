package io.relaybus.kafka;

import io.relaybus.DeadLetterReason;
import io.relaybus.DecodingException;
import io.relaybus.Event;
import io.relaybus.spi.Errors;
import io.relaybus.spi.InboundMessage;
import io.relaybus.spi.PositionTracker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * One record handed to the bus. The poll thread unframes the value before submitting it; the
 * CloudEvents envelope is decoded on the handler thread that first asks for the event, so the
 * poll thread's work per record stays small. A record that is not a readable event reaches the
 * bus all the same: its {@link #event()} throws the {@link DecodingException}, and the bus
 * dead-letters it ({@code UNDECODABLE}) without calling the handler.
 *
 * <p>Handler threads record the outcome here; the poll thread reads it when it commits.
 */
final class KafkaInboundMessage implements InboundMessage {
  /** Texts of repeated header values, one cache per handler thread (they decode events). */
  private static final ThreadLocal<EventRecords.HeaderTexts> HEADER_TEXTS =
      ThreadLocal.withInitial(EventRecords.HeaderTexts::new);

  final AssignedPartition partition;
  final ConsumerRecord<byte[], byte[]> record;
  private final PollWakeups wakeups;
  private final DeadLetterWriter deadLetters;
  /** Attempts made by earlier owners of the partition. */
  final int prior;
  /** Set by the poll thread before submitting. */
  PositionTracker.Entry<KafkaInboundMessage> entry;
  /** The unframed value (poll thread, before submit). */
  byte[] data;
  /** Decoded on first use (a handler thread). */
  private volatile Event event;
  /** Why the record is not an event, once known; then {@link #event()} throws it. */
  private volatile DecodingException unreadable;
  /** The last attempt that failed in this member (absolute, counting prior attempts). */
  volatile int failedAttempts;
  /** The bus gave up on it but its dead letter could not be stored yet; null otherwise. */
  private volatile DeadLetterWriter.Pending pendingDeadLetter;
  /** Unfinished, but the bus is done with it: released, or its dead letter waits to be stored. */
  private volatile boolean parked;

  KafkaInboundMessage(AssignedPartition partition, ConsumerRecord<byte[], byte[]> record,
      PollWakeups wakeups, DeadLetterWriter deadLetters) {
    this.partition = partition;
    this.record = record;
    this.wakeups = wakeups;
    this.deadLetters = deadLetters;
    this.prior = record.offset() == partition.priorOffset ? partition.priorAttempts : 0;
  }

  long offset() {
    return record.offset();
  }

  /**
   * Marks the record unreadable (poll thread, before submitting): its value is no valid frame
   * or payload.
   */
  void unreadable(RuntimeException why) {
    unreadable = why instanceof DecodingException d ? d : notAnEvent(why);
  }

  private DecodingException notAnEvent(RuntimeException why) {
    return new DecodingException("Kafka record " + record.topic() + "-" + record.partition()
        + "@" + record.offset() + " is not a readable event: " + Errors.describe(why), why);
  }

  @Override
  public Event event() {
    Event e = event;
    if (e == null) {
      DecodingException known = unreadable;
      if (known != null) {
        throw known;
      }
      try {
        e = EventRecords.toEvent(record, data, HEADER_TEXTS.get());
      } catch (RuntimeException notAnEvent) {
        DecodingException why = notAnEvent(notAnEvent);
        unreadable = why;
        throw why;
      }
      event = e; // a racing second decode builds an equal event
    }
    return e;
  }

  @Override
  public String key() {
    byte[] key = record.key();
    if (key != null) {
      return new String(key, StandardCharsets.UTF_8);
    }
    // Another producer's event may have a key the record does not (the CloudEvents
    // partitionkey without PartitionKeyExtensionInterceptor); it orders the event all the same.
    return EventRecords.keyWithoutRecordKey(record, this::structuredKey);
  }

  private String structuredKey() {
    try {
      return event().key().orElse(null);
    } catch (DecodingException notAnEvent) {
      return null; // dead-lettered as soon as the bus asks for the event
    }
  }

  @Override
  public int attempt() {
    return 1 + prior;
  }

  @Override
  public void retrying(int failedAttempt, Throwable error, Duration delay) {
    failedAttempts = failedAttempt;
    wakeups.signal();
  }

  @Override
  public Map<String, String> metadata() {
    return new DeliveryMetadata(record);
  }

  @Override
  public void ack() {
    partition.submitted.finish(entry);
    wakeups.outcomeRecorded();
  }

  @Override
  public void deadLetter(DeadLetterReason reason, int attempts, Throwable lastError) {
    try {
      if (deadLetters.write(this, reason, attempts, lastError)) {
        partition.submitted.finish(entry);
      }
    } finally {
      wakeups.signal();
    }
  }

  @Override
  public void release() {
    parked = true;
    wakeups.signal();
  }

  /** Keeps a dead letter that could not be stored for {@link DeadLetterWriter#retry}. */
  void deadLetterPending(DeadLetterWriter.Pending pending) {
    pendingDeadLetter = pending;
    parked = true;
  }

  /** Whether the bus is done with this unfinished message ({@link AssignedPartition#handling}). */
  boolean parked() {
    return parked;
  }

  /** The dead letter waiting to be stored, or {@code null}. */
  DeadLetterWriter.Pending pendingDeadLetter() {
    return pendingDeadLetter;
  }

  /** Its pending dead letter is stored now (poll thread): the message is finished. */
  void deadLetterStored() {
    pendingDeadLetter = null;
    parked = false; // before finishing: a revoke may wait a moment longer, never too little
    partition.submitted.finish(entry);
  }
}
