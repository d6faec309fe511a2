package io.relaybus.spi;

import io.relaybus.DeadLetterReason;
import io.relaybus.Event;
import java.time.Duration;
import java.util.Map;

/**
 * One event handed by a transport to a group member, with the transport's callbacks for its
 * outcome. The bus calls exactly one of {@link #ack()}, {@link #deadLetter} and
 * {@link #release()}, once.
 */
public interface InboundMessage {

  /**
   * The event. A transport may decode it lazily, on the handler thread that asks first; a
   * message that turns out not to be a readable event throws a
   * {@link io.relaybus.DecodingException}, which the bus dead-letters as
   * {@link DeadLetterReason#UNDECODABLE} without calling the handler.
   *
   * @return the event
   * @throws io.relaybus.DecodingException when a lazily decoded message is not an event
   */
  Event event();

  /**
   * The event's ordering key ({@link Event#key()}), or {@code null}. The bus reads it when
   * the message is submitted, to keep per-key order; a transport that decodes events lazily
   * returns it without decoding the event.
   *
   * @return the key, or {@code null} for none
   */
  default String key() {
    return event().key().orElse(null);
  }

  /**
   * The attempt number of the next handler invocation: 1 plus the attempts already made in
   * this group, as far as the transport stored them.
   *
   * @return at least 1
   */
  int attempt();

  /**
   * Transport details shown to the handler through {@link io.relaybus.Delivery#metadata()}.
   * Asked only when the handler reads them, on its thread, possibly more than once: return equal
   * maps each time (a transport may build them when asked instead of for every message).
   *
   * @return an immutable map
   */
  Map<String, String> metadata();

  /** The handler succeeded (or the event was dropped): the group is done with it. */
  void ack();

  /**
   * An attempt failed and the bus will try again after {@code delay}, in this member. A
   * durable transport may record the attempt count and extend its lease here.
   *
   * @param failedAttempt the attempt that failed
   * @param error its failure
   * @param delay the wait before the next attempt
   */
  default void retrying(int failedAttempt, Throwable error, Duration delay) {}

  /**
   * The group gives up on the event: store it as a dead letter and finish it, atomically where
   * the transport can.
   *
   * @param reason why
   * @param attempts how many handler invocations were made
   * @param lastError the last failure
   */
  void deadLetter(DeadLetterReason reason, int attempts, Throwable lastError);

  /**
   * The member gives the event back without finishing it (it is closing): the group must
   * deliver it again, to this or another member, keeping its attempt count and its place
   * before later events of the same key.
   */
  void release();
}
