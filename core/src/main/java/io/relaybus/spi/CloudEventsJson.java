package io.relaybus.spi;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.relaybus.Event;
import io.relaybus.spi.MalformedCloudEventException.Problem;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;

/**
 * Reads the CloudEvents JSON event format, the document of structured content mode
 * ({@value #MEDIA_TYPE}), into an {@link Event}. Relaybus never writes this format; transports
 * read it because other producers and senders do.
 *
 * <p>{@code data} (a JSON value) becomes the event's data: the text of a JSON string when the
 * {@code datacontenttype} is not JSON, the JSON text of the value otherwise (no
 * {@code datacontenttype} means JSON); {@code data_base64} is decoded. {@code partitionkey}
 * is the key unless the carrier gives one. Every other member is an extension header;
 * numbers and booleans are written as their JSON text. A {@code null} member is absent.
 */
public final class CloudEventsJson {

  /** The media type of structured content mode with the JSON event format. */
  public static final String MEDIA_TYPE = "application/cloudevents+json";

  /** The only CloudEvents version read. */
  public static final String SPEC_VERSION = "1.0";

  /** Documents are bounded by the transport's size limit, not by Jackson's string default. */
  private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder()
          .maxStringLength(Integer.MAX_VALUE).build())
      .build());

  private CloudEventsJson() {}

  /**
   * Whether a content type names structured mode with the JSON format: {@value #MEDIA_TYPE},
   * in any case, with or without parameters.
   *
   * @param contentType a {@code Content-Type} value, or {@code null}
   * @return {@code true} for the structured JSON media type
   */
  public static boolean isStructured(String contentType) {
    if (contentType == null) {
      return false;
    }
    int semicolon = contentType.indexOf(';');
    String media = semicolon < 0 ? contentType : contentType.substring(0, semicolon);
    return media.strip().toLowerCase(Locale.ROOT).equals(MEDIA_TYPE);
  }

  /**
   * The event of a CloudEvents JSON document.
   *
   * @param json the document, UTF-8; {@code null} is no document
   * @param key the key the carrier gives (a Kafka record key), which wins over the
   *     {@code partitionkey} member; {@code null} when it gives none
   * @return the event
   * @throws MalformedCloudEventException when the document is not a JSON object of a
   *     CloudEvent 1.0, naming the missing or bad member
   * @throws io.relaybus.InvalidEventException when an attribute breaks the {@link Event} rules
   */
  public static Event read(byte[] json, String key) {
    JsonNode root;
    try {
      root = json == null ? null : JSON.readTree(json);
    } catch (IOException e) {
      throw new MalformedCloudEventException("structured-mode CloudEvent is not valid JSON: "
          + e.getMessage(), Problem.NOT_JSON, null, null, e);
    }
    if (root == null || !root.isObject()) {
      throw new MalformedCloudEventException("structured-mode CloudEvent is not a JSON object",
          Problem.NOT_AN_OBJECT, null, null, null);
    }
    String specVersion = required(root, "specversion");
    if (!specVersion.equals(SPEC_VERSION)) {
      throw new MalformedCloudEventException("CloudEvents spec version '"
          + abbreviate(specVersion) + "' is not supported; expected " + SPEC_VERSION,
          Problem.UNSUPPORTED_SPEC_VERSION, "specversion", specVersion, null);
    }
    Event.Builder b = Event.builder()
        .id(required(root, "id"))
        .source(required(root, "source"))
        .type(required(root, "type"));
    String contentType = null;
    JsonNode data = null;
    JsonNode dataBase64 = null;
    String partitionKey = null;
    for (Map.Entry<String, JsonNode> member : root.properties()) {
      String name = member.getKey();
      JsonNode value = member.getValue();
      if (value.isNull()) {
        continue;
      }
      switch (name) {
        case "specversion", "id", "source", "type" -> { }
        case "data" -> data = value;
        case "data_base64" -> dataBase64 = value;
        case "time" -> b.time(time(text(name, value)));
        case "subject" -> b.subject(text(name, value));
        case "dataschema" -> b.dataSchema(text(name, value));
        case "partitionkey" -> partitionKey = text(name, value);
        case "datacontenttype" -> {
          contentType = text(name, value);
          b.dataContentType(contentType);
        }
        default -> b.header(name, text(name, value));
      }
    }
    if (data != null && dataBase64 != null) {
      throw new MalformedCloudEventException(
          "structured-mode CloudEvent has both 'data' and 'data_base64'",
          Problem.DATA_AND_DATA_BASE64, "data_base64", null, null);
    }
    if (dataBase64 != null) {
      b.data(base64(text("data_base64", dataBase64)));
    } else if (data != null) {
      b.data(data.isTextual() && !isJson(contentType)
          ? data.textValue().getBytes(StandardCharsets.UTF_8)
          : json(data));
    }
    if (key != null) {
      b.key(key);
    } else if (partitionKey != null) {
      b.key(partitionKey);
    }
    return b.build();
  }

  private static String required(JsonNode root, String name) {
    JsonNode v = root.get(name);
    if (v == null || v.isNull()) {
      throw new MalformedCloudEventException("structured-mode CloudEvent has no '" + name + "'",
          Problem.MISSING_ATTRIBUTE, name, null, null);
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
    throw new MalformedCloudEventException("structured-mode CloudEvent attribute '" + name
        + "' is not a string, number or boolean: " + v.getNodeType(), Problem.NOT_A_SCALAR,
        name, v.getNodeType().name(), null);
  }

  private static Instant time(String text) {
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException e) {
      throw new MalformedCloudEventException("structured-mode CloudEvent attribute 'time' '"
          + abbreviate(text) + "' is not an RFC 3339 timestamp", Problem.BAD_TIME, "time", text,
          e);
    }
  }

  private static byte[] base64(String text) {
    try {
      return Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw new MalformedCloudEventException("structured-mode CloudEvent member 'data_base64' "
          + "is not base64: " + e.getMessage(), Problem.NOT_BASE64, "data_base64", null, e);
    }
  }

  /** JSON by the CloudEvents JSON format's rule: no type, {@code *}/json or {@code *}+json. */
  private static boolean isJson(String contentType) {
    if (contentType == null) {
      return true;
    }
    int semicolon = contentType.indexOf(';');
    String media = (semicolon < 0 ? contentType : contentType.substring(0, semicolon))
        .strip().toLowerCase(Locale.ROOT);
    return media.endsWith("/json") || media.endsWith("+json");
  }

  private static byte[] json(JsonNode data) {
    try {
      return JSON.writeValueAsBytes(data);
    } catch (JsonProcessingException e) {
      throw new MalformedCloudEventException("structured-mode CloudEvent data cannot be "
          + "written as JSON: " + e.getOriginalMessage(), Problem.DATA_NOT_WRITABLE, "data",
          null, e);
    }
  }

  private static String abbreviate(String s) {
    return s.length() <= 64 ? s : s.substring(0, 64) + "...";
  }
}
