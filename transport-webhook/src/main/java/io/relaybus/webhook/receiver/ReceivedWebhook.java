package io.relaybus.webhook.receiver;

import io.relaybus.Event;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A verified webhook as handed to a {@link WebhookHandler}: the decoded event and the delivery
 * metadata. Immutable.
 */
public final class ReceivedWebhook {

  private final Event event;
  private final String topic;
  private final String webhookId;
  private final Instant timestamp;
  private final Integer attempt;
  private final Map<String, List<String>> headers;

  ReceivedWebhook(Event event, String topic, String webhookId, Instant timestamp,
      Integer attempt, Map<String, List<String>> headers) {
    this.event = event;
    this.topic = topic;
    this.webhookId = webhookId;
    this.timestamp = timestamp;
    this.attempt = attempt;
    this.headers = headers;
  }

  /**
   * The event, equal to the one published.
   *
   * @return the event
   */
  public Event event() {
    return event;
  }

  /**
   * The topic the event was published to; absent for senders that are not Relaybus.
   *
   * @return the topic
   */
  public Optional<String> topic() {
    return Optional.ofNullable(topic);
  }

  /**
   * The {@code webhook-id}: the same on every retry of this delivery.
   *
   * @return the id
   */
  public String webhookId() {
    return webhookId;
  }

  /**
   * The verified {@code webhook-timestamp}: when this attempt was sent.
   *
   * @return the attempt time, in whole seconds
   */
  public Instant timestamp() {
    return timestamp;
  }

  /**
   * The delivery attempt number from the {@code webhook-attempt} header (a Relaybus
   * extension, 1 for the first attempt), if the sender sent it. Not covered by the signature.
   *
   * @return the attempt number
   */
  public OptionalInt attempt() {
    return attempt == null ? OptionalInt.empty() : OptionalInt.of(attempt);
  }

  /**
   * All request headers as received.
   *
   * @return an unmodifiable map; names in the case the server delivered them
   */
  public Map<String, List<String>> headers() {
    return headers;
  }

  /**
   * The first value of a request header, matched case-insensitively.
   *
   * @param name the header name
   * @return the value
   */
  public Optional<String> header(String name) {
    String wanted = name.toLowerCase(Locale.ROOT);
    for (Map.Entry<String, List<String>> e : headers.entrySet()) {
      if (e.getKey() != null && e.getKey().toLowerCase(Locale.ROOT).equals(wanted)
          && !e.getValue().isEmpty()) {
        return Optional.of(e.getValue().get(0));
      }
    }
    return Optional.empty();
  }

  static Map<String, List<String>> copy(Map<String, ? extends List<String>> headers) {
    Map<String, List<String>> copy = new java.util.LinkedHashMap<>();
    headers.forEach((k, v) -> copy.put(k, v == null ? List.of() : List.copyOf(v)));
    return Collections.unmodifiableMap(copy);
  }

  @Override
  public String toString() {
    return "ReceivedWebhook{id=" + webhookId + ", topic=" + topic + ", attempt=" + attempt
        + ", " + event + "}";
  }
}
