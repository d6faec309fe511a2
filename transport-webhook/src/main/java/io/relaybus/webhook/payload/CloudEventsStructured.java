package io.relaybus.webhook.payload;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.relaybus.Event;
import io.relaybus.spi.CloudEventsJson;
import io.relaybus.spi.MalformedCloudEventException;
import io.relaybus.spi.Names;
import io.relaybus.webhook.signature.WebhookHeaders;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A CloudEvents HTTP structured-mode request from another sender: {@code Content-Type:
 * application/cloudevents+json} and the whole event as a JSON object in the body, read by
 * {@link CloudEventsJson} (where the mapping of members is described). Relaybus never sends
 * this mode; the receiver reads it because other senders do. Here a failure is worded as a
 * {@link PayloadException} naming the webhook field, and the topic is the {@code
 * webhook-topic} header, when present.
 */
final class CloudEventsStructured {

  /** Bodies are bounded by the receiver's size limit, not by Jackson's string default. */
  private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder()
          .maxStringLength(Integer.MAX_VALUE).build())
      .build());

  private CloudEventsStructured() {}

  static DecodedWebhook decode(Map<String, String> h, byte[] body) {
    Event event;
    try {
      event = CloudEventsJson.read(body, null);
    } catch (MalformedCloudEventException e) {
      throw payloadException(e);
    }
    String topic = h.get(WebhookHeaders.TOPIC);
    if (topic != null) {
      Names.requireTopic(topic);
    }
    return new DecodedWebhook(topic, event);
  }

  private static PayloadException payloadException(MalformedCloudEventException e) {
    return switch (e.problem()) {
      case NOT_JSON, NOT_AN_OBJECT -> new PayloadException("Webhook body is not a JSON object, "
          + "as CloudEvents structured mode (" + CloudEventsJson.MEDIA_TYPE + ") requires");
      case MISSING_ATTRIBUTE -> new PayloadException("Webhook field " + e.member()
          + " is missing (required in CloudEvents structured mode)");
      case UNSUPPORTED_SPEC_VERSION -> new PayloadException("Webhook field specversion is '"
          + WebhookPayloads.abbreviate(e.value()) + "'; this receiver reads CloudEvents '"
          + WebhookPayloads.SPEC_VERSION + "'");
      case NOT_A_SCALAR -> new PayloadException("Webhook field " + e.member() + " is "
          + e.value() + "; CloudEvents attributes are strings, numbers or booleans");
      case BAD_TIME -> WebhookPayloads.badTime("field time", e.value());
      case DATA_AND_DATA_BASE64 ->
          new PayloadException("Webhook body has both 'data' and 'data_base64'");
      case NOT_BASE64 -> new PayloadException("Webhook field data_base64 is not base64: "
          + e.getCause().getMessage());
      case DATA_NOT_WRITABLE -> new PayloadException("Webhook field data cannot be written "
          + "as JSON: " + ((JsonProcessingException) e.getCause()).getOriginalMessage(),
          e.getCause());
    };
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
}
