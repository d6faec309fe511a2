package io.relaybus.kafka;

import io.relaybus.DeadLetterReason;
import io.relaybus.DecodingException;
import io.relaybus.Event;
import io.relaybus.spi.Errors;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stores the dead letters the bus decides for one member's messages in the dead-letter topic
 * ({@link KafkaDeadLetters}). A dead letter that cannot be stored when the bus gives up is kept
 * on its message and stored again from the poll thread, at most every
 * {@value #RETRY_NANOS} ns; until then the partition's commit does not pass it (or a new owner
 * handles the event again), while the group goes on with later events.
 */
final class DeadLetterWriter {
  private static final Logger LOG = LoggerFactory.getLogger(DeadLetterWriter.class);
  static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(2);

  /** A dead letter the bus decided that could not be stored yet. */
  static final class Pending {
    final DeadLetterReason reason;
    final int attempts;
    final Throwable lastError;
    /** Poll thread only: when to try storing it again. */
    long nextTry;

    Pending(DeadLetterReason reason, int attempts, Throwable lastError, long nextTry) {
      this.reason = reason;
      this.attempts = attempts;
      this.lastError = lastError;
      this.nextTry = nextTry;
    }
  }

  private final KafkaDeadLetters store;
  private final String topic;
  private final String group;

  DeadLetterWriter(KafkaDeadLetters store, String topic, String group) {
    this.store = store;
    this.topic = topic;
    this.group = group;
  }

  /**
   * Stores the dead letter of a message (a handler thread, when the bus gives up).
   *
   * @return whether it was stored; if not, the message keeps it for {@link #retry}
   */
  boolean write(KafkaInboundMessage m, DeadLetterReason reason, int attempts,
      Throwable lastError) {
    try {
      store(m, reason, attempts, lastError);
      return true;
    } catch (RuntimeException e) {
      ConsumerRecord<byte[], byte[]> r = m.record;
      LOG.warn("Cannot store the dead letter of {}-{}@{} for group '{}' now; the poll thread "
          + "retries and the partition's commit waits: {}", r.topic(), r.partition(),
          r.offset(), group, Errors.describe(e));
      m.deadLetterPending(new Pending(reason, attempts, lastError,
          System.nanoTime() + RETRY_NANOS));
      return false;
    }
  }

  /**
   * Stores a dead letter that could not be stored when the bus gave up, if its next try is due
   * (poll thread).
   *
   * @return whether it is stored now
   */
  boolean retry(KafkaInboundMessage m) {
    Pending pending = m.pendingDeadLetter();
    if (pending == null || System.nanoTime() < pending.nextTry) {
      return false;
    }
    ConsumerRecord<byte[], byte[]> r = m.record;
    try {
      store(m, pending.reason, pending.attempts, pending.lastError);
      LOG.info("Stored the dead letter of {}-{}@{} for group '{}' on a later try", r.topic(),
          r.partition(), r.offset(), group);
      return true;
    } catch (RuntimeException e) {
      pending.nextTry = System.nanoTime() + RETRY_NANOS;
      LOG.debug("Dead letter of {}-{}@{} still cannot be stored: {}", r.topic(), r.partition(),
          r.offset(), Errors.describe(e));
      return false;
    }
  }

  private void store(KafkaInboundMessage m, DeadLetterReason reason, int attempts,
      Throwable lastError) {
    store.write(topic, group, m.record, eventOrPlaceholder(m), reason, attempts, lastError);
  }

  /**
   * The event, or for a record that is none, the record's own CloudEvent with its original
   * value (a bad schema frame or payload), or else a stand-in keeping the value.
   */
  private Event eventOrPlaceholder(KafkaInboundMessage m) {
    try {
      return m.event();
    } catch (DecodingException notAnEvent) {
      try {
        return EventRecords.toEvent(m.record, SchemaFraming.NONE);
      } catch (RuntimeException stillNot) {
        return store.placeholder(m.record);
      }
    }
  }
}
