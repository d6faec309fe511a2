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
import io.relaybus.InvalidEventException;
import io.relaybus.InvalidNameException;
import io.relaybus.spi.Names;
import io.relaybus.webhook.signature.WebhookHeaders;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Encodes events into webhook requests and decodes them back, so that the receiver rebuilds an
 * event {@linkplain Event#equals equal} to the one published.
 *
 * <h2>{@link PayloadFormat#STANDARD_WEBHOOKS} (default)</h2>
 * Body ({@code Content-Type: application/json}):
 * <pre>{@code
 * {"type": "order.created",                      // Event.type()
 *  "timestamp": "2026-11-26T05:43:17.123456Z",   // Event.time(), ISO-8601
 *  "relaybus": {"specversion": "1.0", "topic": "orders", "id": "...", "source": "/orders",
 *               "subject": "...", "partitionkey": "...", "datacontenttype": "...",
 *               "dataschema": "...", "dataencoding": "json", "extensions": {"traceparent": "..."}},
 *  "data": {...}}
 * }</pre>
 * Absent optional attributes are omitted. {@code dataencoding} says how {@code data} holds the
 * bytes:
 * <ul>
 *   <li>{@code json}: the data bytes themselves, embedded unchanged, when the content type is
 *       JSON ({@code application/json}, {@code *}{@code /*+json}) or absent and the bytes are
 *       exactly one JSON value in UTF-8 with no surrounding whitespace;</li>
 *   <li>{@code text}: a JSON string holding the data decoded as UTF-8, when the bytes are valid
 *       UTF-8 (including empty data);</li>
 *   <li>{@code base64}: a JSON string with the standard base64 of the bytes, otherwise.</li>
 * </ul>
 * All attributes are in the body, so the Standard Webhooks signature covers them.
 *
 * <h2>Other senders</h2>
 * A body without a {@code relaybus} member comes from a sender that is not Relaybus. If it has
 * the Standard Webhooks shape ({@code type}, ISO-8601 {@code timestamp}, {@code data}) it
 * decodes to an event with id = {@code webhook-id}, source {@value #FOREIGN_SOURCE}, that type
 * and time, and the {@code data} JSON as {@code application/json} data. Any other body decodes
 * to an event with type {@value #FOREIGN_TYPE}, time = {@code webhook-timestamp}, the request's
 * {@code Content-Type} and the whole body as data. Neither has a topic.
 *
 * <h2>{@link PayloadFormat#CLOUDEVENTS_BINARY}</h2>
 * Body = the data bytes; {@code Content-Type} = the data content type (no header when absent);
 * headers {@code ce-specversion: 1.0}, {@code ce-id}, {@code ce-source}, {@code ce-type},
 * {@code ce-time}, and when set {@code ce-subject}, {@code ce-dataschema}, {@code
 * ce-partitionkey}, one {@code ce-<name>} per extension header, plus {@code webhook-topic}.
 * Values are percent-encoded as the CloudEvents HTTP binding requires (UTF-8; space, {@code "},
 * {@code %} and anything outside printable ASCII). These headers are not signed.
 *
 * <h2>{@code webhook-id}</h2>
 * {@link #webhookId(String, Event)}: {@code msg_} + base64url of the first 20 bytes of
 * SHA-256({@code topic \n source \n id}); stable across retries, distinct per topic and per
 * event identity {@code (source, id)}.
 */
public final class WebhookPayloads {

  /** The source given to events from senders that are not Relaybus. */
  public static final String FOREIGN_SOURCE = "/webhook";

  /** The type given to events whose body is not in the Standard Webhooks shape. */
  public static final String FOREIGN_TYPE = "webhook";

  /** One digest per thread: looking the algorithm up per id was a measurable cost. */
  private static final ThreadLocal<MessageDigest> SHA_256 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available in this JDK", e);
    }
  });
  private static final String SPEC_VERSION = "1.0";
  private static final String JSON = "application/json";
  private static final String CE = "ce-";

  private static final Set<String> CE_ATTRIBUTES = Set.of("specversion", "id", "source", "type",
      "time", "subject", "dataschema", "partitionkey", "datacontenttype", "data");

  /** Bodies are bounded by the receiver's size limit, not by Jackson's string default. */
  private static final JsonFactory JSON_FACTORY = JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder()
          .maxStringLength(Integer.MAX_VALUE).build())
      .build();

  private WebhookPayloads() {}

  /**
   * Derives the {@code webhook-id} of a delivery.
   *
   * @param topic the topic the event was published to
   * @param event the event
   * @return {@code msg_} followed by 27 base64url characters
   */
  public static String webhookId(String topic, Event event) {
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(event, "event");
    MessageDigest sha = SHA_256.get(); // digest() resets it for the next use
    byte[] digest = sha.digest((topic + '\n' + event.source() + '\n' + event.id())
        .getBytes(StandardCharsets.UTF_8));
    return "msg_" + Base64.getUrlEncoder().withoutPadding()
        .encodeToString(Arrays.copyOf(digest, 20));
  }

  /**
   * Encodes an event for a webhook request.
   *
   * @param format the format
   * @param topic the topic, {@code [A-Za-z0-9._-]{1,200}}
   * @param event the event
   * @return the payload
   * @throws InvalidNameException when the topic breaks the naming rule
   */
  public static WebhookPayload encode(PayloadFormat format, String topic, Event event) {
    Objects.requireNonNull(format, "format");
    Names.requireTopic(topic);
    Objects.requireNonNull(event, "event");
    String id = webhookId(topic, event);
    if (format == PayloadFormat.CLOUDEVENTS_BINARY) {
      return new WebhookPayload(id, event.dataContentType().orElse(null),
          cloudEventHeaders(topic, event), event.data());
    }
    return new WebhookPayload(id, JSON, Map.of(), standardWebhooksBody(topic, event));
  }

  /**
   * Decodes a webhook request back into an event: CloudEvents binary mode when a
   * {@code ce-specversion} header is present, else the Standard Webhooks JSON body.
   *
   * @param headers the request headers; names are matched case-insensitively
   * @param body the body
   * @return the topic and event
   * @throws PayloadException naming the field or header that is missing or malformed
   */
  public static DecodedWebhook decode(Map<String, ? extends List<String>> headers, byte[] body) {
    Objects.requireNonNull(headers, "headers");
    Objects.requireNonNull(body, "body");
    Map<String, String> h = firstValues(headers);
    try {
      if (h.containsKey(CE + "specversion")) {
        return decodeCloudEvent(h, body);
      }
      return decodeStandardWebhooks(h, body);
    } catch (InvalidEventException | InvalidNameException e) {
      throw new PayloadException("Webhook payload holds an invalid event: " + e.getMessage(), e);
    }
  }

  // ---------------------------------------------------------------- Standard Webhooks JSON

  private static byte[] standardWebhooksBody(String topic, Event event) {
    byte[] data = event.data();
    String encoding = dataEncoding(event.dataContentType().orElse(null), data);
    ByteArrayOutputStream out = new ByteArrayOutputStream(data.length + 512);
    try (JsonGenerator g = JSON_FACTORY.createGenerator(out, JsonEncoding.UTF8)) {
      g.writeStartObject();
      g.writeStringField("type", event.type());
      g.writeStringField("timestamp", event.time().toString());
      g.writeObjectFieldStart("relaybus");
      g.writeStringField("specversion", SPEC_VERSION);
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

  private static DecodedWebhook decodeStandardWebhooks(Map<String, String> headers, byte[] body) {
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
          .source(FOREIGN_SOURCE).type(type).time(Instant.parse(timestamp))
          .dataContentType(JSON).data(slice(body, dataStart, dataEnd)).build());
    }
    requireField("type", type);
    requireField("timestamp", timestamp);
    if (dataStart < 0) {
      throw new PayloadException("Webhook body has no \"data\" field");
    }
    Event.Builder event = Event.builder().type(type).time(parseTime("timestamp", timestamp));
    String version = (String) envelope.get("specversion");
    if (!SPEC_VERSION.equals(version)) {
      throw new PayloadException("Webhook body field relaybus.specversion is '" + version
          + "'; this receiver reads '" + SPEC_VERSION + "'");
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
            + abbreviate(encoding) + "'; allowed: json, text, base64");
    }
    return new DecodedWebhook(topic, event.build());
  }

  /** Any other body from a verified sender: handed over unchanged. */
  private static DecodedWebhook raw(Map<String, String> headers, byte[] body) {
    Event.Builder event = Event.builder().id(foreignId(headers)).source(FOREIGN_SOURCE)
        .type(FOREIGN_TYPE).dataContentType(headers.get("content-type")).data(body);
    String seconds = headers.get(WebhookHeaders.TIMESTAMP);
    if (seconds != null && seconds.strip().matches("[0-9]{1,18}")) {
      event.time(Instant.ofEpochSecond(Long.parseLong(seconds.strip())));
    }
    return new DecodedWebhook(null, event.build());
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

  private static Instant parseTime(String field, String text) {
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException e) {
      throw new PayloadException("Webhook " + field + " '" + abbreviate(text)
          + "' is not an ISO-8601 UTC timestamp such as 2026-01-31T12:00:00.123456Z");
    }
  }

  // ---------------------------------------------------------------- CloudEvents binary

  private static Map<String, String> cloudEventHeaders(String topic, Event event) {
    Map<String, String> h = new LinkedHashMap<>();
    h.put(CE + "specversion", SPEC_VERSION);
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

  private static DecodedWebhook decodeCloudEvent(Map<String, String> h, byte[] body) {
    String version = h.get(CE + "specversion");
    if (!SPEC_VERSION.equals(version)) {
      throw new PayloadException("Header ce-specversion is '" + abbreviate(version)
          + "'; this receiver reads CloudEvents '" + SPEC_VERSION + "'");
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
      event.time(parseTime("header ce-time", time));
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

  /** Lower-cased header names to their first value. */
  private static Map<String, String> firstValues(Map<String, ? extends List<String>> headers) {
    Map<String, String> h = new TreeMap<>();
    headers.forEach((name, values) -> {
      if (name != null && values != null && !values.isEmpty()) {
        h.putIfAbsent(name.toLowerCase(Locale.ROOT), values.get(0));
      }
    });
    return h;
  }

  private static String abbreviate(String s) {
    if (s == null) {
      return "null";
    }
    return s.length() <= 64 ? s : s.substring(0, 64) + "...";
  }
}
