package io.relaybus.internal;

import io.relaybus.Codec;
import io.relaybus.Codecs;
import io.relaybus.Delivery;
import io.relaybus.Event;
import java.util.Map;

/** The {@link Delivery} handed to a handler for one attempt. */
final class DefaultDelivery implements Delivery {
  private final Event event;
  private final String topic;
  private final String group;
  private final int attempt;
  private final Map<String, String> metadata;

  DefaultDelivery(Event event, String topic, String group, int attempt,
      Map<String, String> metadata) {
    this.event = event;
    this.topic = topic;
    this.group = group;
    this.attempt = attempt;
    this.metadata = metadata;
  }

  @Override
  public Event event() {
    return event;
  }

  @Override
  public String topic() {
    return topic;
  }

  @Override
  public String group() {
    return group;
  }

  @Override
  public int attempt() {
    return attempt;
  }

  @Override
  public Map<String, String> metadata() {
    return metadata;
  }

  @Override
  public <T> T data(Class<T> type) {
    return event.data(Codecs.forType(type, event.dataContentType().orElse(null)));
  }

  @Override
  public <T> T data(Codec<T> codec) {
    return event.data(codec);
  }

  @Override
  public String toString() {
    return "Delivery{topic=" + topic + ", group=" + group + ", attempt=" + attempt + ", "
        + event + "}";
  }
}
