package io.relaybus.webhook.payload;

import io.relaybus.Event;
import io.relaybus.InvalidEventException;
import io.relaybus.InvalidNameException;
import io.relaybus.spi.Names;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Encodes events into webhook requests and decodes them back, so that the receiver rebuilds an
 * event {@linkplain Event#equals equal} to the one published. The formats are written and read
 * by {@code StandardWebhooksJson} and {@code CloudEventsBinary}.
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
          CloudEventsBinary.headers(topic, event), event.data());
    }
    return new WebhookPayload(id, StandardWebhooksJson.CONTENT_TYPE, Map.of(),
        StandardWebhooksJson.encode(topic, event));
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
      if (h.containsKey(CloudEventsBinary.SPEC_VERSION_HEADER)) {
        return CloudEventsBinary.decode(h, body);
      }
      return StandardWebhooksJson.decode(h, body);
    } catch (InvalidEventException | InvalidNameException e) {
      throw new PayloadException("Webhook payload holds an invalid event: " + e.getMessage(), e);
    }
  }

  /** An ISO-8601 UTC timestamp, or a {@link PayloadException} naming the field. */
  static Instant parseTime(String field, String text) {
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException e) {
      throw new PayloadException("Webhook " + field + " '" + abbreviate(text)
          + "' is not an ISO-8601 UTC timestamp such as 2026-01-31T12:00:00.123456Z");
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

  static String abbreviate(String s) {
    if (s == null) {
      return "null";
    }
    return s.length() <= 64 ? s : s.substring(0, 64) + "...";
  }
}
