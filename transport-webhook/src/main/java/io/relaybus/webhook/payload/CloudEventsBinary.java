package io.relaybus.webhook.payload;

import io.relaybus.Event;
import io.relaybus.spi.Names;
import io.relaybus.webhook.signature.WebhookHeaders;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The {@link PayloadFormat#CLOUDEVENTS_BINARY} request: the data as the body, the attributes as
 * percent-encoded {@code ce-} headers (CloudEvents HTTP binding), the topic in {@code
 * webhook-topic}.
 */
final class CloudEventsBinary {

  private static final String CE = "ce-";
  /** Its presence marks a CloudEvents binary-mode request. */
  static final String SPEC_VERSION_HEADER = CE + "specversion";

  private static final Set<String> CE_ATTRIBUTES = Set.of("specversion", "id", "source", "type",
      "time", "subject", "dataschema", "partitionkey", "datacontenttype", "data");

  private CloudEventsBinary() {}

  static Map<String, String> headers(String topic, Event event) {
    Map<String, String> h = new LinkedHashMap<>();
    h.put(CE + "specversion", WebhookPayloads.SPEC_VERSION);
    h.put(CE + "id", percentEncode(event.id()));
    h.put(CE + "source", percentEncode(event.source()));
    h.put(CE + "type", percentEncode(event.type()));
    h.put(CE + "time", event.time().toString());
    event.subject().ifPresent(v -> h.put(CE + "subject", percentEncode(v)));
    event.dataSchema().ifPresent(v -> h.put(CE + "dataschema", percentEncode(v)));
    event.key().ifPresent(v -> h.put(CE + "partitionkey", percentEncode(v)));
    event.headers().forEach((name, value) -> h.put(CE + name, percentEncode(value)));
    h.put(WebhookHeaders.TOPIC, topic);
    return h;
  }

  static DecodedWebhook decode(Map<String, String> h, byte[] body) {
    String version = h.get(CE + "specversion");
    if (!WebhookPayloads.SPEC_VERSION.equals(version)) {
      throw new PayloadException("Header ce-specversion is '" + WebhookPayloads.abbreviate(version)
          + "'; this receiver reads CloudEvents '" + WebhookPayloads.SPEC_VERSION + "'");
    }
    Event.Builder event = Event.builder()
        .id(ceRequired(h, "id"))
        .source(ceRequired(h, "source"))
        .type(ceRequired(h, "type"))
        .subject(ceOptional(h, "subject"))
        .dataSchema(ceOptional(h, "dataschema"))
        .key(ceOptional(h, "partitionkey"))
        .dataContentType(h.get("content-type"))
        .data(body);
    String time = ceOptional(h, "time");
    if (time != null) {
      event.time(WebhookPayloads.parseTime("header ce-time", time));
    }
    for (Map.Entry<String, String> e : h.entrySet()) {
      String name = e.getKey();
      if (name.startsWith(CE) && !CE_ATTRIBUTES.contains(name.substring(CE.length()))) {
        event.header(name.substring(CE.length()), percentDecode(name, e.getValue()));
      }
    }
    String topic = h.get(WebhookHeaders.TOPIC);
    if (topic != null) {
      Names.requireTopic(topic);
    }
    return new DecodedWebhook(topic, event.build());
  }

  /**
   * What a request that does not decode says of its event, for {@link WebhookPayloads#salvage}:
   * the {@code ce-id}, {@code ce-source}, {@code ce-type} and {@code ce-time} headers that
   * percent-decode; unchecked.
   */
  static Map<String, String> attributes(Map<String, String> h) {
    Map<String, String> found = new LinkedHashMap<>();
    for (String attribute : new String[] {"id", "source", "type", "time"}) {
      try {
        String value = ceOptional(h, attribute);
        if (value != null) {
          found.put(attribute, value);
        }
      } catch (PayloadException e) {
        // not percent-encoded UTF-8: not this attribute
      }
    }
    return found;
  }

  private static String ceRequired(Map<String, String> h, String attribute) {
    String value = ceOptional(h, attribute);
    if (value == null) {
      throw new PayloadException("Header ce-" + attribute + " is missing (required in "
          + "CloudEvents binary mode)");
    }
    return value;
  }

  private static String ceOptional(Map<String, String> h, String attribute) {
    String value = h.get(CE + attribute);
    return value == null ? null : percentDecode(CE + attribute, value);
  }

  /** CloudEvents HTTP binding 3.1.3.2: percent-encode space, '"', '%' and non-printable-ASCII. */
  static String percentEncode(String value) {
    byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
    StringBuilder sb = null;
    for (int i = 0; i < utf8.length; i++) {
      int b = utf8[i] & 0xff;
      boolean plain = b >= 0x21 && b <= 0x7e && b != '"' && b != '%';
      if (!plain && sb == null) {
        sb = new StringBuilder(utf8.length + 16).append(value, 0, i);
      }
      if (sb != null) {
        if (plain) {
          sb.append((char) b);
        } else {
          sb.append('%').append(Character.toUpperCase(Character.forDigit(b >> 4, 16)))
              .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
        }
      }
    }
    return sb == null ? value : sb.toString();
  }

  static String percentDecode(String header, String value) {
    if (value.indexOf('%') < 0) {
      return value;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(value.length());
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '%') {
        int hi = i + 2 < value.length() ? Character.digit(value.charAt(i + 1), 16) : -1;
        int lo = hi >= 0 ? Character.digit(value.charAt(i + 2), 16) : -1;
        if (lo < 0) {
          throw new PayloadException("Header " + header + " has a malformed percent-escape at "
              + "index " + i);
        }
        out.write(hi << 4 | lo);
        i += 2;
      } else if (c > 0x7e) {
        throw new PayloadException("Header " + header + " holds a non-ASCII character; "
            + "CloudEvents header values are percent-encoded UTF-8");
      } else {
        out.write(c);
      }
    }
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(out.toByteArray())).toString();
    } catch (CharacterCodingException e) {
      throw new PayloadException("Header " + header + " is not percent-encoded UTF-8");
    }
  }
}
