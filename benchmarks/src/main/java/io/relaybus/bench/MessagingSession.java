package io.relaybus.bench;

import java.time.Duration;

/**
 * One side of the comparison for one measurement: a producer and, once started, one consumer
 * group on a single topic. The scenarios are written once against this interface, so Relaybus
 * and the raw client run exactly the same workload.
 *
 * <p>Every message carries a {@code stampNanos} ({@link System#nanoTime()} of its intended send
 * time) from publisher to consumer: Relaybus in a header, raw clients in whatever their
 * message format allows.
 */
public interface MessagingSession extends AutoCloseable {

  /**
   * Starts one consumer group with {@code spec.members()} members, each handling up to
   * {@code spec.concurrency()} messages at once. Call before publishing.
   *
   * @param spec members, concurrency and in-flight limit
   * @param listener called on a consumer thread for every message handled
   */
  void startConsumers(ConsumerSpec spec, StampListener listener);

  /**
   * Publishes one message. The transport may accept it later; {@link #awaitPublished} waits.
   *
   * @param stampNanos the stamp the consumer receives
   */
  void publish(long stampNanos);

  /**
   * Publishes {@code count} messages in one operation.
   *
   * @param stampNanos the stamp every message of the batch carries
   * @param count how many messages
   */
  void publishBatch(long stampNanos, int count);

  /**
   * Waits until every message published so far is accepted by the transport.
   *
   * @param timeout how long to wait at most
   * @throws BenchmarkException when a publish failed or the timeout passed
   */
  void awaitPublished(Duration timeout);

  /** Stops the consumers and releases the transport; idempotent. */
  @Override
  void close();
}
