package io.relaybus.webhook.payload;

import io.relaybus.Event;
import java.util.Objects;
import java.util.Optional;

/**
 * An event read back from a webhook request, with the topic it was published to.
 */
public final class DecodedWebhook {

  private final String topic;
  private final Event event;

  DecodedWebhook(String topic, Event event) {
    this.topic = topic;
    this.event = Objects.requireNonNull(event, "event");
  }

  /**
   * The Relaybus topic, absent when the sender is not Relaybus (a plain Standard Webhooks
   * payload carries none).
   *
   * @return the topic
   */
  public Optional<String> topic() {
    return Optional.ofNullable(topic);
  }

  /**
   * The event.
   *
   * @return the event, never {@code null}
   */
  public Event event() {
    return event;
  }

  @Override
  public String toString() {
    return "DecodedWebhook{topic=" + topic + ", " + event + "}";
  }
}
