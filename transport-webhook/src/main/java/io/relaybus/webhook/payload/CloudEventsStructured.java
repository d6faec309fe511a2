package io.relaybus.webhook.payload;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.relaybus.Event;
import io.relaybus.spi.Names;
import io.relaybus.webhook.signature.WebhookHeaders;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A CloudEvents HTTP structured-mode request from another sender: {@code Content-Type:
 * application/cloudevents+json} and the whole event as a JSON object in the body (CloudEvents
 * JSON event format). Relaybus never sends this mode; the receiver reads it because other
 * senders do.
 *
 * <p>{@code data} (a JSON value) becomes the event's data: the text of a JSON string when the
 * {@code datacontenttype} is not JSON, the JSON text of the value otherwise (no
 * {@code datacontenttype} means JSON); {@code data_base64} is decoded. {@code partitionkey}
 * is the key; every other member is an extension header (numbers and booleans as their JSON
 * text). The topic is the {@code webhook-topic} header, when present.
 */
final class CloudEventsStructured {

  static final String MEDIA_TYPE = "application/cloudevents+json";

  /** Bodies are bounded by the receiver's size limit, not by Jackson's string default. */
  private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder()
          .maxStringLength(Integer.MAX_VALUE).build())
      .build());

  private CloudEventsStructured() {}

  /** Whether a {@code Content-Type} names the structured JSON format (parameters allowed). */
  static boolean isStructured(String contentType) {
    if (contentType == null) {
      return false;
    }
    int semicolon = contentType.indexOf(';');
    String media = semicolon < 0 ? contentType : contentType.substring(0, semicolon);
    return media.strip().toLowerCase(Locale.ROOT).equals(MEDIA_TYPE);
  }

  static DecodedWebhook decode(Map<String, String> h, byte[] body) {
    JsonNode root = object(body);
    if (root == null) {
      throw new PayloadException("Webhook body is not a JSON object, as CloudEvents "
          + "structured mode (" + MEDIA_TYPE + ") requires");
    }
    String version = required(root, "specversion");
    if (!WebhookPayloads.SPEC_VERSION.equals(version)) {
      throw new PayloadException("Webhook field specversion is '"
          + WebhookPayloads.abbreviate(version) + "'; this receiver reads CloudEvents '"
          + WebhookPayloads.SPEC_VERSION + "'");
    }
    Event.Builder event = Event.builder()
        .id(required(root, "id"))
        .source(required(root, "source"))
        .type(required(root, "type"));
    String contentType = null;
    JsonNode data = null;
    JsonNode dataBase64 = null;
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> member = it.next();
      String name = member.getKey();
      JsonNode value = member.getValue();
      if (value.isNull()) {
        continue; // an absent attribute
      }
      switch (name) {
        case "specversion", "id", "source", "type" -> { }
        case "data" -> data = value;
        case "data_base64" -> dataBase64 = value;
        case "time" -> event.time(WebhookPayloads.parseTime("field time", text(name, value)));
        case "subject" -> event.subject(text(name, value));
        case "dataschema" -> event.dataSchema(text(name, value));
        case "partitionkey" -> event.key(text(name, value));
        case "datacontenttype" -> {
          contentType = text(name, value);
          event.dataContentType(contentType);
        }
        default -> event.header(name, text(name, value));
      }
    }
    if (data != null && dataBase64 != null) {
      throw new PayloadException("Webhook body has both 'data' and 'data_base64'");
    }
    if (dataBase64 != null) {
      try {
        event.data(Base64.getDecoder().decode(text("data_base64", dataBase64)));
      } catch (IllegalArgumentException e) {
        throw new PayloadException("Webhook field data_base64 is not base64: "
            + e.getMessage());
      }
    } else if (data != null) {
      event.data(data.isTextual() && !isJson(contentType)
          ? data.textValue().getBytes(StandardCharsets.UTF_8)
          : json(data));
    }
    String topic = h.get(WebhookHeaders.TOPIC);
    if (topic != null) {
      Names.requireTopic(topic);
    }
    return new DecodedWebhook(topic, event.build());
  }

  /**
   * What a body that does not decode says of its event, for {@link WebhookPayloads#salvage}:
   * its string {@code id}, {@code source}, {@code type} and {@code time} members; unchecked.
   */
  static Map<String, String> attributes(byte[] body) {
    Map<String, String> found = new LinkedHashMap<>();
    JsonNode root = object(body);
    if (root != null) {
      for (String attribute : new String[] {"id", "source", "type", "time"}) {
        JsonNode v = root.get(attribute);
        if (v != null && v.isTextual()) {
          found.put(attribute, v.textValue());
        }
      }
    }
    return found;
  }

  /** The body as a JSON object, or {@code null} when it is none. */
  private static JsonNode object(byte[] body) {
    try {
      JsonNode root = JSON.readTree(body);
      return root != null && root.isObject() ? root : null;
    } catch (IOException e) {
      return null;
    }
  }

  private static String required(JsonNode root, String name) {
    JsonNode v = root.get(name);
    if (v == null || v.isNull()) {
      throw new PayloadException("Webhook field " + name + " is missing (required in "
          + "CloudEvents structured mode)");
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
    throw new PayloadException("Webhook field " + name + " is " + v.getNodeType()
        + "; CloudEvents attributes are strings, numbers or booleans");
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
      throw new PayloadException("Webhook field data cannot be written as JSON: "
          + e.getOriginalMessage(), e);
    }
  }
}
