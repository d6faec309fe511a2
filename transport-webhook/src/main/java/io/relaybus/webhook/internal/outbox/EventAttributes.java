package io.relaybus.webhook.internal.outbox;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import io.relaybus.Event;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Map;

/**
 * An event's envelope attributes (everything but the data) as one JSON text: how the JDBC outbox
 * stores events beside their data bytes. Lossless: time keeps its nanoseconds, headers their
 * order.
 */
final class EventAttributes {
  private static final JsonFactory JSON = new JsonFactory();

  private EventAttributes() {}

  /**
   * Encodes an event's attributes (written field by field: every published event passes here,
   * and a tree of nodes first costs more than the JSON itself).
   *
   * @param e the event
   * @return JSON text
   */
  static String encode(Event e) {
    StringWriter out = new StringWriter(256);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("id", e.id());
      g.writeStringField("source", e.source());
      g.writeStringField("type", e.type());
      if (e.subject().isPresent()) {
        g.writeStringField("subject", e.subject().get());
      }
      g.writeStringField("time", e.time().toString());
      if (e.dataContentType().isPresent()) {
        g.writeStringField("datacontenttype", e.dataContentType().get());
      }
      if (e.dataSchema().isPresent()) {
        g.writeStringField("dataschema", e.dataSchema().get());
      }
      if (e.key().isPresent()) {
        g.writeStringField("key", e.key().get());
      }
      if (!e.headers().isEmpty()) {
        g.writeObjectFieldStart("headers");
        for (Map.Entry<String, String> h : e.headers().entrySet()) {
          g.writeStringField(h.getKey(), h.getValue());
        }
        g.writeEndObject();
      }
      g.writeEndObject();
    } catch (IOException x) {
      throw new UncheckedIOException(x); // a StringWriter does not fail
    }
    return out.toString();
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
    Event.Builder b = Event.builder().data(data);
    try (JsonParser p = JSON.createParser(attributes)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new IllegalArgumentException("Invalid event attributes: not a JSON object");
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        if (field.equals("headers") && value == JsonToken.START_OBJECT) {
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            p.nextToken();
            b.header(name, p.getValueAsString());
          }
          continue;
        }
        if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) {
          p.skipChildren(); // written by a later version: not ours to read
          continue;
        }
        if (value == JsonToken.VALUE_NULL) {
          continue;
        }
        String text = p.getValueAsString();
        switch (field) {
          case "id" -> b.id(text);
          case "source" -> b.source(text);
          case "type" -> b.type(text);
          case "subject" -> b.subject(text);
          case "time" -> b.time(Instant.parse(text));
          case "datacontenttype" -> b.dataContentType(text);
          case "dataschema" -> b.dataSchema(text);
          case "key" -> b.key(text);
          default -> { } // written by a later version: not ours to read
        }
      }
    } catch (JsonProcessingException x) {
      throw new IllegalArgumentException("Invalid event attributes: " + x.getOriginalMessage(), x);
    } catch (IOException x) {
      throw new UncheckedIOException(x); // a String does not fail
    }
    return b.build();
  }
}
