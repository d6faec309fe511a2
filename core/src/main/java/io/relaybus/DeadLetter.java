package io.relaybus;

import java.time.Instant;
import java.util.Objects;

/**
 * An event that a consumer group gave up on, with why and how often it was tried.
 *
 * @param id the dead letter's id within its topic and group, used to replay it
 * @param topic the topic the event was published to
 * @param group the consumer group that gave up
 * @param event the event, unchanged
 * @param reason why the event was dead-lettered
 * @param attempts how many times the handler was invoked for it
 * @param lastError the last failure: exception class and message
 * @param deadLetteredAt when it was dead-lettered
 */
public record DeadLetter(
    String id,
    String topic,
    String group,
    Event event,
    DeadLetterReason reason,
    int attempts,
    String lastError,
    Instant deadLetteredAt) {

  /**
   * Validates the components.
   *
   * @param id the id
   * @param topic the topic
   * @param group the group
   * @param event the event
   * @param reason the reason
   * @param attempts the attempts
   * @param lastError the last error
   * @param deadLetteredAt the time
   */
  public DeadLetter {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(group, "group");
    Objects.requireNonNull(event, "event");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(lastError, "lastError");
    Objects.requireNonNull(deadLetteredAt, "deadLetteredAt");
  }
}
