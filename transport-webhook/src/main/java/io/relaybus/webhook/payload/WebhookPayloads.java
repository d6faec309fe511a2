package io.relaybus.webhook.payload;

import io.relaybus.Event;
import io.relaybus.InvalidEventException;
import io.relaybus.InvalidNameException;
import io.relaybus.spi.CloudEventsJson;
import io.relaybus.spi.Names;
import io.relaybus.spi.TraceContextHeaders;
import io.relaybus.webhook.signature.WebhookHeaders;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.BiConsumer;

/**
 * Encodes events into webhook requests and decodes them back, so that the receiver rebuilds an
 * event {@linkplain Event#equals equal} to the one published. The formats are written and read
 * by {@code StandardWebhooksJson} and {@code CloudEventsBinary}; CloudEvents structured mode
 * from other senders is read by {@code CloudEventsStructured}.
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
 * <h2>CloudEvents structured mode (other senders)</h2>
 * A request with {@code Content-Type: application/cloudevents+json} (parameters allowed) and no
 * {@code ce-specversion} header holds the whole event as a JSON object (CloudEvents JSON
 * format): {@code specversion} {@code 1.0}, {@code id}, {@code source}, {@code type} required;
 * {@code time}, {@code subject}, {@code dataschema}, {@code datacontenttype} and {@code
 * partitionkey} (the key) optional; {@code data} (a JSON string's text when the content type is
 * not JSON, else the JSON text) or {@code data_base64}; every other member an extension header.
 * The topic is the {@code webhook-topic} header, when present. Relaybus never sends this mode.
 *
 * <h2>Trace context</h2>
 * An event's W3C {@code traceparent} and {@code tracestate} headers are also sent as the HTTP
 * headers of those names in both formats, so HTTP tools and tracing agents of the receiving side
 * see them (besides the body's {@code extensions} or the {@code ce-traceparent} header, which are
 * the event's own and win when decoding). A request whose event carries no {@code traceparent}
 * but whose HTTP headers do (a sender that is not Relaybus, or an HTTP client instrumentation)
 * decodes to an event with them.
 *
 * <h2>Requests that do not decode</h2>
 * {@link #salvage(Map, byte[])} keeps one as an event all the same (a group member dead-letters
 * it): what it carries of the event's identity, and the whole body as data.
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

  /** One digest per thread: {@code getInstance} searches the providers on every call. */
  private static final ThreadLocal<MessageDigest> SHA_256 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available in this JDK", e);
    }
  });
  /** The {@code relaybus.specversion} and {@code ce-specversion} this code writes and reads. */
  static final String SPEC_VERSION = "1.0";

  /** W3C trace context: event headers that are also sent as HTTP headers. */
  private static final String TRACEPARENT = TraceContextHeaders.TRACEPARENT;
  private static final String TRACESTATE = TraceContextHeaders.TRACESTATE;

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
          withTraceContext(CloudEventsBinary.headers(topic, event), event), event.data());
    }
    return new WebhookPayload(id, StandardWebhooksJson.CONTENT_TYPE,
        withTraceContext(Map.of(), event), StandardWebhooksJson.encode(topic, event));
  }

  /** The request headers plus the event's trace context, when it has one. */
  private static Map<String, String> withTraceContext(Map<String, String> headers, Event event) {
    String traceparent = event.headers().get(TRACEPARENT);
    if (traceparent == null) {
      return headers;
    }
    Map<String, String> all = new TreeMap<>(headers);
    all.put(TRACEPARENT, traceparent);
    String tracestate = event.headers().get(TRACESTATE);
    if (tracestate != null) {
      all.put(TRACESTATE, tracestate);
    }
    return all;
  }

  /**
   * Decodes a webhook request back into an event: CloudEvents binary mode when a
   * {@code ce-specversion} header is present, else CloudEvents structured mode when the
   * {@code Content-Type} is {@code application/cloudevents+json}, else the Standard Webhooks
   * JSON body.
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
      DecodedWebhook decoded;
      if (h.containsKey(CloudEventsBinary.SPEC_VERSION_HEADER)) {
        decoded = CloudEventsBinary.decode(h, body);
      } else if (CloudEventsJson.isStructured(h.get("content-type"))) {
        decoded = CloudEventsStructured.decode(h, body);
      } else {
        decoded = StandardWebhooksJson.decode(h, body);
      }
      return withHttpTraceContext(decoded, h);
    } catch (InvalidEventException | InvalidNameException e) {
      throw new PayloadException("Webhook payload holds an invalid event: " + e.getMessage(), e);
    }
  }

  /** The HTTP {@code traceparent} (and {@code tracestate}) for an event that has none. */
  private static DecodedWebhook withHttpTraceContext(DecodedWebhook decoded,
      Map<String, String> headers) {
    String traceparent = headers.get(TRACEPARENT);
    if (!TraceContextHeaders.isTraceparent(traceparent)
        || decoded.event().headers().containsKey(TRACEPARENT)) {
      return decoded;
    }
    Event.Builder event = decoded.event().toBuilder().header(TRACEPARENT, traceparent);
    String tracestate = headers.get(TRACESTATE);
    if (TraceContextHeaders.isTracestate(tracestate)) {
      event.header(TRACESTATE, tracestate);
    }
    return new DecodedWebhook(decoded.topic().orElse(null), event.build());
  }

  /**
   * A best-effort event for a request that {@link #decode} refuses, to keep it as a dead letter:
   * the id, source, type and time the request carries, where they are valid (the JSON body's
   * {@code relaybus.id}, {@code relaybus.source}, {@code type} and {@code timestamp}, in
   * CloudEvents binary mode the {@code ce-id}, {@code ce-source}, {@code ce-type} and {@code
   * ce-time} headers, in structured mode the body's {@code id}, {@code source}, {@code type}
   * and {@code time}); else the {@code webhook-id}, source {@code
   * urn:relaybus:undecodable-webhook}, type {@code relaybus.undecodable-webhook} and the {@code
   * webhook-timestamp}. The data is the whole body with the request's {@code Content-Type}, so
   * whoever can read the request still can. The event has no key.
   *
   * @param headers the request headers; names are matched case-insensitively
   * @param body the body
   * @return the event; never throws for bad request content
   */
  public static Event salvage(Map<String, ? extends List<String>> headers, byte[] body) {
    Objects.requireNonNull(headers, "headers");
    Objects.requireNonNull(body, "body");
    Map<String, String> h = firstValues(headers);
    Map<String, String> carried = h.containsKey(CloudEventsBinary.SPEC_VERSION_HEADER)
        ? CloudEventsBinary.attributes(h)
        : CloudEventsJson.isStructured(h.get("content-type"))
            ? CloudEventsStructured.attributes(body) : StandardWebhooksJson.attributes(body);
    Event.Builder event = Event.builder().data(body)
        .id(valid(Event.Builder::id, carried.get("id"), h.get(WebhookHeaders.ID)))
        .source(valid(Event.Builder::source, carried.get("source"),
            "urn:relaybus:undecodable-webhook"))
        .type(valid(Event.Builder::type, carried.get("type"), "relaybus.undecodable-webhook"))
        .dataContentType(valid(Event.Builder::dataContentType, h.get("content-type")));
    Instant time = isoTime(carried.get("time"));
    event.time(time != null ? time : headerTime(h));
    return event.build();
  }

  /** The first candidate an event accepts for one attribute, or {@code null}. */
  private static String valid(BiConsumer<Event.Builder, String> attribute,
      String... candidates) {
    for (String candidate : candidates) {
      if (candidate != null) {
        try {
          Event.Builder probe = Event.builder().source("urn:x").type("x");
          attribute.accept(probe, candidate);
          probe.build();
          return candidate;
        } catch (InvalidEventException e) {
          // not this one
        }
      }
    }
    return null;
  }

  private static Instant isoTime(String text) {
    try {
      return text == null ? null : Instant.parse(text);
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  /** The {@code webhook-timestamp} (lower-cased header names), or {@code null}. */
  static Instant headerTime(Map<String, String> headers) {
    String seconds = headers.get(WebhookHeaders.TIMESTAMP);
    if (seconds != null && seconds.strip().matches("[0-9]{1,18}")) {
      try {
        return Instant.ofEpochSecond(Long.parseLong(seconds.strip()));
      } catch (DateTimeException e) {
        return null; // beyond Instant.MAX; a verified request's timestamp never is
      }
    }
    return null;
  }

  /** An ISO-8601 UTC timestamp, or a {@link PayloadException} naming the field. */
  static Instant parseTime(String field, String text) {
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException e) {
      throw badTime(field, text);
    }
  }

  /** The failure of a {@code field} whose {@code text} is no timestamp. */
  static PayloadException badTime(String field, String text) {
    return new PayloadException("Webhook " + field + " '" + abbreviate(text)
        + "' is not an ISO-8601 UTC timestamp such as 2026-01-31T12:00:00.123456Z");
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

  static String abbreviate(String s) {
    if (s == null) {
      return "null";
    }
    return s.length() <= 64 ? s : s.substring(0, 64) + "...";
  }
}
