package io.relaybus.webhook.internal.outbox;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.relaybus.Event;
import java.time.Instant;
import java.util.Iterator;
import java.util.Map;

/**
 * An event's envelope attributes (everything but the data) as one JSON text: how the JDBC outbox
 * stores events beside their data bytes. Lossless: time keeps its nanoseconds, headers their
 * order.
 */
final class EventAttributes {
  private static final ObjectMapper JSON = new ObjectMapper();

  private EventAttributes() {}

  /**
   * Encodes an event's attributes.
   *
   * @param e the event
   * @return JSON text
   */
  static String encode(Event e) {
    ObjectNode n = JSON.createObjectNode();
    n.put("id", e.id());
    n.put("source", e.source());
    n.put("type", e.type());
    e.subject().ifPresent(v -> n.put("subject", v));
    n.put("time", e.time().toString());
    e.dataContentType().ifPresent(v -> n.put("datacontenttype", v));
    e.dataSchema().ifPresent(v -> n.put("dataschema", v));
    e.key().ifPresent(v -> n.put("key", v));
    if (!e.headers().isEmpty()) {
      ObjectNode h = n.putObject("headers");
      e.headers().forEach(h::put);
    }
    return n.toString();
  }

  /**
   * Rebuilds an event.
   *
   * @param attributes the JSON from {@link #encode}
   * @param data the data bytes
   * @return the event
   * @throws IllegalArgumentException when the JSON is not valid
   */
  static Event decode(String attributes, byte[] data) {
    JsonNode n;
    try {
      n = JSON.readTree(attributes);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("Invalid event attributes: " + e.getOriginalMessage(), e);
    }
    Event.Builder b = Event.builder().id(n.path("id").asText()).source(n.path("source").asText())
        .type(n.path("type").asText()).time(Instant.parse(n.path("time").asText())).data(data);
    if (n.hasNonNull("subject")) {
      b.subject(n.get("subject").asText());
    }
    if (n.hasNonNull("datacontenttype")) {
      b.dataContentType(n.get("datacontenttype").asText());
    }
    if (n.hasNonNull("dataschema")) {
      b.dataSchema(n.get("dataschema").asText());
    }
    if (n.hasNonNull("key")) {
      b.key(n.get("key").asText());
    }
    JsonNode h = n.get("headers");
    if (h != null) {
      for (Iterator<Map.Entry<String, JsonNode>> it = h.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> f = it.next();
        b.header(f.getKey(), f.getValue().asText());
      }
    }
    return b.build();
  }
}
