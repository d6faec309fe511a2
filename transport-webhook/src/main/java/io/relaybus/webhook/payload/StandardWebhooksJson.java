package io.relaybus.webhook.payload;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import io.relaybus.Event;
import io.relaybus.spi.Names;
import io.relaybus.webhook.signature.WebhookHeaders;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The {@link PayloadFormat#STANDARD_WEBHOOKS} body: written with the event's attributes in the
 * {@code relaybus} member and the data embedded as JSON, text or base64; read back exactly, or,
 * from a sender that is not Relaybus, read as a foreign event (see {@link WebhookPayloads}).
 * The JSON is streamed, so the data is sliced from the body instead of parsed into a tree.
 */
final class StandardWebhooksJson {

  static final String CONTENT_TYPE = "application/json";
  private static final String JSON = CONTENT_TYPE;

  /** Bodies are bounded by the receiver's size limit, not by Jackson's string default. */
  private static final JsonFactory JSON_FACTORY = JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder()
          .maxStringLength(Integer.MAX_VALUE).build())
      .build();

  private StandardWebhooksJson() {}

  static byte[] encode(String topic, Event event) {
    byte[] data = event.data();
    String encoding = dataEncoding(event.dataContentType().orElse(null), data);
    ByteArrayOutputStream out = new ByteArrayOutputStream(data.length + 512);
    try (JsonGenerator g = JSON_FACTORY.createGenerator(out, JsonEncoding.UTF8)) {
      g.writeStartObject();
      g.writeStringField("type", event.type());
      g.writeStringField("timestamp", event.time().toString());
      g.writeObjectFieldStart("relaybus");
      g.writeStringField("specversion", WebhookPayloads.SPEC_VERSION);
      g.writeStringField("topic", topic);
      g.writeStringField("id", event.id());
      g.writeStringField("source", event.source());
      writeOptional(g, "subject", event.subject().orElse(null));
      writeOptional(g, "partitionkey", event.key().orElse(null));
      writeOptional(g, "datacontenttype", event.dataContentType().orElse(null));
      writeOptional(g, "dataschema", event.dataSchema().orElse(null));
      g.writeStringField("dataencoding", encoding);
      if (!event.headers().isEmpty()) {
        g.writeObjectFieldStart("extensions");
        for (Map.Entry<String, String> e : event.headers().entrySet()) {
          g.writeStringField(e.getKey(), e.getValue());
        }
        g.writeEndObject();
      }
      g.writeEndObject();
      g.writeFieldName("data");
      switch (encoding) {
        case "json":
          g.writeRawValue(new String(data, StandardCharsets.UTF_8));
          break;
        case "text":
          g.writeString(new String(data, StandardCharsets.UTF_8));
          break;
        default:
          g.writeString(Base64.getEncoder().encodeToString(data));
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new IllegalStateException("Writing JSON to memory failed", e);
    }
    return out.toByteArray();
  }

  private static void writeOptional(JsonGenerator g, String name, String value)
      throws IOException {
    if (value != null) {
      g.writeStringField(name, value);
    }
  }

  private static String dataEncoding(String contentType, byte[] data) {
    boolean utf8 = isUtf8(data);
    if (utf8 && isJsonContentType(contentType) && isOneJsonValue(data)) {
      return "json";
    }
    return utf8 ? "text" : "base64";
  }

  private static boolean isJsonContentType(String contentType) {
    if (contentType == null) {
      return true;
    }
    int semicolon = contentType.indexOf(';');
    String media = (semicolon < 0 ? contentType : contentType.substring(0, semicolon))
        .strip().toLowerCase(Locale.ROOT);
    return media.equals(JSON) || media.endsWith("+json");
  }

  private static boolean isUtf8(byte[] data) {
    for (byte b : data) {
      if (b < 0) { // not ASCII: let the decoder judge the multi-byte sequences
        try {
          StandardCharsets.UTF_8.newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(data));
          return true;
        } catch (CharacterCodingException e) {
          return false;
        }
      }
    }
    return true; // ASCII, the usual JSON data, is UTF-8: no decoder needed
  }

  /** Exactly one JSON value, nothing around it: embedding it then slicing it back is exact. */
  private static boolean isOneJsonValue(byte[] data) {
    if (data.length == 0 || isJsonWhitespace(data[0]) || isJsonWhitespace(data[data.length - 1])) {
      return false;
    }
    try (JsonParser p = JSON_FACTORY.createParser(data)) {
      if (p.nextToken() == null) {
        return false;
      }
      p.skipChildren();
      return p.nextToken() == null;
    } catch (IOException e) {
      return false;
    }
  }

  private static boolean isJsonWhitespace(byte b) {
    return b == ' ' || b == '\t' || b == '\n' || b == '\r';
  }

  static DecodedWebhook decode(Map<String, String> headers, byte[] body) {
    String type = null;
    String timestamp = null;
    Map<String, Object> envelope = null;
    boolean envelopeSeen = false;
    int dataStart = -1;
    int dataEnd = -1;
    String dataString = null;
    try (JsonParser p = JSON_FACTORY.createParser(body)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new PayloadException("Webhook body must be a JSON object "
            + "{\"type\", \"timestamp\", \"data\"}");
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        switch (field) {
          case "type":
            type = stringValue(p, value, "type");
            break;
          case "timestamp":
            timestamp = stringValue(p, value, "timestamp");
            break;
          case "relaybus":
            envelopeSeen = true;
            envelope = readEnvelope(p, value);
            break;
          case "data":
            dataStart = (int) p.currentTokenLocation().getByteOffset();
            if (value == JsonToken.VALUE_STRING) {
              dataString = p.getText();
            } else if (value.isStructStart()) {
              p.skipChildren();
            } else {
              p.finishToken();
            }
            dataEnd = (int) p.currentLocation().getByteOffset();
            break;
          default:
            p.skipChildren();
        }
      }
      if (p.nextToken() != null) {
        throw new PayloadException("Webhook body holds more than one JSON value");
      }
    } catch (PayloadException e) {
      if (!envelopeSeen) {
        return raw(headers, body);
      }
      throw e;
    } catch (JsonProcessingException e) {
      if (!envelopeSeen) {
        return raw(headers, body);
      }
      // Jackson's message quotes the offending text, which is body content: report the place.
      JsonLocation at = e.getLocation();
      throw new PayloadException("Webhook body is not valid JSON"
          + (at != null ? " (at byte " + at.getByteOffset() + ")" : ""));
    } catch (IOException e) {
      throw new IllegalStateException("Reading JSON from memory failed", e);
    }
    if (envelope == null) {
      if (type == null || timestamp == null || dataStart < 0 || !isInstant(timestamp)) {
        return raw(headers, body);
      }
      return new DecodedWebhook(null, Event.builder().id(foreignId(headers))
          .source(WebhookPayloads.FOREIGN_SOURCE).type(type).time(Instant.parse(timestamp))
          .dataContentType(JSON).data(slice(body, dataStart, dataEnd)).build());
    }
    requireField("type", type);
    requireField("timestamp", timestamp);
    if (dataStart < 0) {
      throw new PayloadException("Webhook body has no \"data\" field");
    }
    Event.Builder event = Event.builder().type(type).time(WebhookPayloads.parseTime("timestamp", timestamp));
    String version = (String) envelope.get("specversion");
    if (!WebhookPayloads.SPEC_VERSION.equals(version)) {
      throw new PayloadException("Webhook body field relaybus.specversion is '" + version
          + "'; this receiver reads '" + WebhookPayloads.SPEC_VERSION + "'");
    }
    String topic = (String) envelope.get("topic");
    if (topic != null) {
      Names.requireTopic(topic);
    }
    event.id(envelopeField(envelope, "id", true))
        .source(envelopeField(envelope, "source", true))
        .subject(envelopeField(envelope, "subject", false))
        .key(envelopeField(envelope, "partitionkey", false))
        .dataContentType(envelopeField(envelope, "datacontenttype", false))
        .dataSchema(envelopeField(envelope, "dataschema", false));
    @SuppressWarnings("unchecked")
    Map<String, String> extensions = (Map<String, String>) envelope.get("extensions");
    if (extensions != null) {
      event.headers(extensions);
    }
    String encoding = envelopeField(envelope, "dataencoding", true);
    switch (encoding) {
      case "json":
        event.data(slice(body, dataStart, dataEnd));
        break;
      case "text":
        event.data(requireDataString(dataString, encoding).getBytes(StandardCharsets.UTF_8));
        break;
      case "base64":
        try {
          event.data(Base64.getDecoder().decode(requireDataString(dataString, encoding)));
        } catch (IllegalArgumentException e) {
          throw new PayloadException("Webhook body field data is not valid base64 although "
              + "relaybus.dataencoding is 'base64'");
        }
        break;
      default:
        throw new PayloadException("Webhook body field relaybus.dataencoding is '"
            + WebhookPayloads.abbreviate(encoding) + "'; allowed: json, text, base64");
    }
    return new DecodedWebhook(topic, event.build());
  }

  /**
   * What a body that does not decode says of its event, for {@link WebhookPayloads#salvage}:
   * {@code id} and {@code source} from the {@code relaybus} envelope, {@code type}, and {@code
   * time} from {@code timestamp}, as far as the JSON reads; unchecked.
   */
  static Map<String, String> attributes(byte[] body) {
    Map<String, String> found = new LinkedHashMap<>();
    try (JsonParser p = JSON_FACTORY.createParser(body)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return found;
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        if (value == JsonToken.VALUE_STRING && field.equals("type")) {
          found.put("type", p.getText());
        } else if (value == JsonToken.VALUE_STRING && field.equals("timestamp")) {
          found.put("time", p.getText());
        } else if (value == JsonToken.START_OBJECT && field.equals("relaybus")) {
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            if (p.nextToken() == JsonToken.VALUE_STRING
                && (name.equals("id") || name.equals("source"))) {
              found.put(name, p.getText());
            } else {
              p.skipChildren();
            }
          }
        } else {
          p.skipChildren();
        }
      }
    } catch (IOException e) {
      // what was read before the JSON broke off is all there is
    }
    return found;
  }

  /** Any other body from a verified sender: handed over unchanged. */
  private static DecodedWebhook raw(Map<String, String> headers, byte[] body) {
    return new DecodedWebhook(null, Event.builder().id(foreignId(headers))
        .source(WebhookPayloads.FOREIGN_SOURCE).type(WebhookPayloads.FOREIGN_TYPE)
        .time(WebhookPayloads.headerTime(headers)).dataContentType(headers.get("content-type"))
        .data(body).build());
  }

  private static String foreignId(Map<String, String> headers) {
    String id = headers.get(WebhookHeaders.ID);
    if (id == null) {
      throw new PayloadException("Webhook body has no \"relaybus\" envelope and header "
          + WebhookHeaders.ID + " is missing, so the event has no id");
    }
    return id;
  }

  private static boolean isInstant(String text) {
    try {
      Instant.parse(text);
      return true;
    } catch (DateTimeParseException e) {
      return false;
    }
  }

  private static String stringValue(JsonParser p, JsonToken token, String field)
      throws IOException {
    if (token != JsonToken.VALUE_STRING) {
      throw new PayloadException("Webhook body field " + field + " must be a string");
    }
    return p.getText();
  }

  /** Reads the flat {@code relaybus} object: string members and the {@code extensions} map. */
  private static Map<String, Object> readEnvelope(JsonParser p, JsonToken token)
      throws IOException {
    if (token != JsonToken.START_OBJECT) {
      throw new PayloadException("Webhook body field relaybus must be an object");
    }
    Map<String, Object> envelope = new LinkedHashMap<>();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      JsonToken value = p.nextToken();
      if (name.equals("extensions")) {
        if (value != JsonToken.START_OBJECT) {
          throw new PayloadException("Webhook body field relaybus.extensions must be an object");
        }
        Map<String, String> extensions = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String key = p.currentName();
          extensions.put(key, stringValue(p, p.nextToken(), "relaybus.extensions." + key));
        }
        envelope.put(name, extensions);
      } else if (value == JsonToken.VALUE_STRING) {
        envelope.put(name, p.getText());
      } else {
        p.skipChildren(); // a member added by a later version; ignored
      }
    }
    return envelope;
  }

  private static String envelopeField(Map<String, Object> envelope, String name,
      boolean required) {
    Object value = envelope.get(name);
    if (value == null && required) {
      throw new PayloadException("Webhook body field relaybus." + name + " is missing");
    }
    return (String) value;
  }

  private static String requireDataString(String data, String encoding) {
    if (data == null) {
      throw new PayloadException("Webhook body field data must be a string when "
          + "relaybus.dataencoding is '" + encoding + "'");
    }
    return data;
  }

  private static void requireField(String name, String value) {
    if (value == null) {
      throw new PayloadException("Webhook body has no \"" + name + "\" field");
    }
  }

  private static byte[] slice(byte[] body, int start, int end) {
    while (end > start && isJsonWhitespace(body[end - 1])) {
      end--;
    }
    return Arrays.copyOfRange(body, start, end);
  }
}
