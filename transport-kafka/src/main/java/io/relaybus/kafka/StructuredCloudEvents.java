package io.relaybus.kafka;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.relaybus.Event;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Reads a record in CloudEvents structured content mode: {@code content-type:
 * application/cloudevents+json} and the whole event as a JSON object in the value (CloudEvents
 * JSON event format). Relaybus never writes this mode; it reads it because other producers do.
 *
 * <p>{@code data} (a JSON value) becomes the event's data: the text of a JSON string when the
 * {@code datacontenttype} is not JSON, the JSON text of the value otherwise (no
 * {@code datacontenttype} means JSON); {@code data_base64} is decoded. {@code partitionkey}
 * is the key unless the record has a key. Every other member is an extension header; numbers
 * and booleans are written as their JSON text.
 */
final class StructuredCloudEvents {

  static final String MEDIA_TYPE = "application/cloudevents+json";
  private static final ObjectMapper JSON = new ObjectMapper();

  private StructuredCloudEvents() {}

  /** Whether a {@code content-type} names the structured JSON format (parameters allowed). */
  static boolean isStructured(String contentType) {
    return contentType != null
        && contentType.regionMatches(true, 0, MEDIA_TYPE, 0, MEDIA_TYPE.length())
        && (contentType.length() == MEDIA_TYPE.length()
            || contentType.charAt(MEDIA_TYPE.length()) == ';'
            || contentType.charAt(MEDIA_TYPE.length()) == ' ');
  }

  /**
   * The event of a structured-mode record.
   *
   * @throws IllegalArgumentException when the value is not a JSON object of a CloudEvent 1.0
   *     (naming the missing or bad member)
   * @throws io.relaybus.InvalidEventException when an attribute breaks the {@link Event} rules
   */
  static Event read(ConsumerRecord<byte[], byte[]> record) {
    JsonNode root;
    try {
      root = record.value() == null ? null : JSON.readTree(record.value());
    } catch (IOException e) {
      throw new IllegalArgumentException("structured-mode CloudEvent is not valid JSON: "
          + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("structured-mode CloudEvent is not a JSON object");
    }
    String specVersion = required(root, "specversion");
    if (!specVersion.equals(EventRecords.SPEC_VERSION)) {
      throw new IllegalArgumentException("CloudEvents spec version '" + specVersion
          + "' is not supported; expected " + EventRecords.SPEC_VERSION);
    }
    Event.Builder b = Event.builder()
        .id(required(root, "id"))
        .source(required(root, "source"))
        .type(required(root, "type"));
    String contentType = null;
    JsonNode data = null;
    JsonNode dataBase64 = null;
    String partitionKey = null;
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> member = it.next();
      String name = member.getKey();
      JsonNode value = member.getValue();
      switch (name) {
        case "specversion", "id", "source", "type" -> { }
        case "data" -> data = value;
        case "data_base64" -> dataBase64 = value;
        default -> {
          if (value.isNull()) {
            continue; // an absent attribute
          }
          String text = text(name, value);
          switch (name) {
            case "time" -> b.time(EventRecords.parseTime(text));
            case "subject" -> b.subject(text);
            case "dataschema" -> b.dataSchema(text);
            case "datacontenttype" -> {
              contentType = text;
              b.dataContentType(text);
            }
            case "partitionkey" -> partitionKey = text;
            default -> b.header(name, text);
          }
        }
      }
    }
    if (data != null && dataBase64 != null && !data.isNull() && !dataBase64.isNull()) {
      throw new IllegalArgumentException(
          "structured-mode CloudEvent has both 'data' and 'data_base64'");
    }
    if (dataBase64 != null && !dataBase64.isNull()) {
      b.data(Base64.getDecoder().decode(text("data_base64", dataBase64)));
    } else if (data != null && !data.isNull()) {
      b.data(data.isTextual() && !isJson(contentType)
          ? data.textValue().getBytes(StandardCharsets.UTF_8)
          : json(data));
    }
    if (record.key() != null) {
      b.key(new String(record.key(), StandardCharsets.UTF_8));
    } else if (partitionKey != null) {
      b.key(partitionKey);
    }
    return b.build();
  }

  private static String required(JsonNode root, String name) {
    JsonNode v = root.get(name);
    if (v == null || v.isNull()) {
      throw new IllegalArgumentException("structured-mode CloudEvent has no '" + name + "'");
    }
    return text(name, v);
  }

  private static String text(String name, JsonNode v) {
    if (v.isTextual()) {
      return v.textValue();
    }
    if (v.isNumber() || v.isBoolean()) {
      return v.asText();
    }
    throw new IllegalArgumentException("structured-mode CloudEvent attribute '" + name
        + "' is not a string, number or boolean: " + v.getNodeType());
  }

  /** JSON by the CloudEvents JSON format's rule: no type, {@code *}/json or {@code *}+json. */
  private static boolean isJson(String contentType) {
    if (contentType == null) {
      return true;
    }
    int semicolon = contentType.indexOf(';');
    String media = (semicolon < 0 ? contentType : contentType.substring(0, semicolon))
        .trim().toLowerCase(Locale.ROOT);
    return media.endsWith("/json") || media.endsWith("+json");
  }

  private static byte[] json(JsonNode data) {
    try {
      return JSON.writeValueAsBytes(data);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("structured-mode CloudEvent data cannot be written "
          + "as JSON: " + e.getOriginalMessage(), e);
    }
  }
}
