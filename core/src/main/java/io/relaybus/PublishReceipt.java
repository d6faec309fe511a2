package io.relaybus;

import java.util.Objects;

/**
 * Confirms that a transport durably accepted an event.
 *
 * @param topic the topic the event was published to
 * @param eventId the event's id
 * @param position where the transport stored it (a sequence number, a partition and offset,
 *     an outbox row); opaque and transport-specific, for logs and diagnostics
 */
public record PublishReceipt(String topic, String eventId, String position) {
  /**
   * Validates the components.
   *
   * @param topic the topic
   * @param eventId the event id
   * @param position the transport position
   */
  public PublishReceipt {
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(eventId, "eventId");
    Objects.requireNonNull(position, "position");
  }
}
