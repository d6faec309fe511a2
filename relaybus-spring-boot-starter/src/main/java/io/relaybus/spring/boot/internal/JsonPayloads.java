package io.relaybus.spring.boot.internal;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.relaybus.Codecs;
import io.relaybus.DecodingException;
import io.relaybus.Event;
import java.io.IOException;
import java.lang.reflect.Type;

/** Decodes the data of an event into a listener's payload type with the application's mapper. */
final class JsonPayloads {
  private final ObjectMapper mapper;

  JsonPayloads(ObjectMapper mapper) {
    this.mapper = mapper;
  }

  JavaType type(Type type) {
    return mapper.getTypeFactory().constructType(type);
  }

  Object decode(Event event, JavaType type) {
    String contentType = event.dataContentType().orElse(null);
    Class<?> raw = type.getRawClass();
    boolean json = contentType == null || Codecs.isJson(contentType);
    if (raw == byte[].class || raw == String.class && (contentType == null || !json)
        || !json) {
      // Bytes, text, and the core's refusal of non-JSON data for an object type.
      return event.data(Codecs.forType(raw, contentType));
    }
    try {
      return mapper.readValue(event.data(), type);
    } catch (IOException e) {
      throw new DecodingException("Cannot decode JSON into " + type.toCanonical() + ": "
          + e.getMessage(), e);
    }
  }
}
