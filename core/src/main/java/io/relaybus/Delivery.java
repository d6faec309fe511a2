package io.relaybus;

import java.util.Map;

/**
 * One attempt to hand an event to a handler. Valid only during the handler call.
 */
public interface Delivery {

  /**
   * The event, exactly as published.
   *
   * @return the event
   */
  Event event();

  /**
   * The topic the event was published to.
   *
   * @return the topic
   */
  String topic();

  /**
   * The consumer group this delivery belongs to.
   *
   * @return the group
   */
  String group();

  /**
   * Which attempt this is for this event in this group: 1 for the first delivery, then 2, 3…
   * up to {@link RetryPolicy#maxAttempts()}. Counts survive redelivery to another member where
   * the transport stores them.
   *
   * @return the attempt number, starting at 1
   */
  int attempt();

  /**
   * Transport details of this delivery (for example {@code sequence}, {@code partition},
   * {@code offset}); for logs and diagnostics only.
   *
   * @return an immutable map
   */
  Map<String, String> metadata();

  /**
   * Decodes the data into a type: {@code byte[]} as raw bytes, {@code String} as UTF-8 text
   * (or JSON string when the content type is JSON), anything else as JSON.
   *
   * @param type the target type
   * @param <T> the target type
   * @return the decoded value
   * @throws DecodingException when the data cannot be decoded; the event then goes to the dead
   *     letters at once, without retries, if the handler lets it propagate
   */
  <T> T data(Class<T> type);

  /**
   * Decodes the data with a codec.
   *
   * @param codec the codec
   * @param <T> the target type
   * @return the decoded value
   * @throws DecodingException when the data cannot be decoded (never retried, see
   *     {@link #data(Class)})
   */
  <T> T data(Codec<T> codec);
}
