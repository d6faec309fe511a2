package io.relaybus.internal;

import io.relaybus.Codec;
import io.relaybus.Codecs;
import io.relaybus.Delivery;
import io.relaybus.Event;
import io.relaybus.spi.InboundMessage;
import java.util.Map;

/** The {@link Delivery} handed to a handler for one attempt. */
final class DefaultDelivery implements Delivery {
  private final Event event;
  private final String topic;
  private final String group;
  private final int attempt;
  /** Asked for its metadata only when the handler reads it (a transport may build it then). */
  private final InboundMessage message;

  DefaultDelivery(InboundMessage message, String topic, String group, int attempt) {
    this.event = message.event();
    this.topic = topic;
    this.group = group;
    this.attempt = attempt;
    this.message = message;
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
    return message.metadata();
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
