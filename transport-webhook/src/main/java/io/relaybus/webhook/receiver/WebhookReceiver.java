package io.relaybus.webhook.receiver;

import io.relaybus.webhook.payload.DecodedWebhook;
import io.relaybus.webhook.payload.PayloadException;
import io.relaybus.webhook.payload.WebhookPayloads;
import io.relaybus.webhook.signature.WebhookHeaders;
import io.relaybus.webhook.signature.WebhookVerificationException;
import io.relaybus.webhook.signature.WebhookVerifier;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives Relaybus (and other Standard Webhooks) requests, framework-neutral: give it the
 * method, headers and body, send back the {@link WebhookResponse}. It checks, in this order,
 * and the handler is called only when every check passes:
 *
 * <table>
 *   <caption>Responses</caption>
 *   <tr><th>status</th><th>when</th><th>handler called</th></tr>
 *   <tr><td>405 (+ {@code Allow: POST})</td><td>method is not POST</td><td>no</td></tr>
 *   <tr><td>413</td><td>body longer than {@link Builder#maxBodyBytes(int)}</td><td>no</td></tr>
 *   <tr><td>400</td><td>{@code webhook-id}/{@code -timestamp}/{@code -signature} missing or
 *       malformed, malformed {@code webhook-attempt}, undecodable payload (unless the handler
 *       is an {@link UndecodableWebhookHandler}), topic not accepted</td><td>no</td></tr>
 *   <tr><td>401</td><td>no signature matches a configured secret, or the timestamp is outside
 *       the tolerance (stale or future)</td><td>no</td></tr>
 *   <tr><td>204</td><td>{@code webhook-id} already handled successfully (duplicate; header
 *       {@code webhook-duplicate: true})</td><td>no</td></tr>
 *   <tr><td>409 (+ {@code Retry-After})</td><td>the same {@code webhook-id} is being handled
 *       right now</td><td>no</td></tr>
 *   <tr><td>204</td><td>handler returned</td><td>yes</td></tr>
 *   <tr><td>503 (+ {@code Retry-After})</td><td>handler threw {@link RetryLaterException}</td>
 *       <td>yes</td></tr>
 *   <tr><td>500</td><td>handler threw anything else</td><td>yes</td></tr>
 * </table>
 *
 * <p>Thread-safe: one receiver serves concurrent requests.
 *
 * <pre>{@code
 * WebhookReceiver receiver = WebhookReceiver.builder()
 *     .verifier(WebhookVerifier.builder()
 *         .secret(WebhookSecret.parse(System.getenv("RELAYBUS_WEBHOOK_SECRET")))
 *         .build())
 *     .handler(webhook -> orders.apply(webhook.event()))
 *     .build();
 * WebhookResponse response = receiver.handle("POST", headers, body);
 * }</pre>
 */
public final class WebhookReceiver {

  private static final Logger LOG = LoggerFactory.getLogger(WebhookReceiver.class);

  /** The default body limit: 4 MiB. */
  public static final int DEFAULT_MAX_BODY_BYTES = 4 << 20;

  /** How long a sender should wait when the same id is in flight. */
  static final Duration IN_PROGRESS_RETRY_AFTER = Duration.ofSeconds(5);

  /** Response header marking an acknowledged duplicate. */
  public static final String DUPLICATE_HEADER = "webhook-duplicate";

  /** Immutable, so every handled webhook shares it. */
  private static final WebhookResponse HANDLED = WebhookResponse.of(204, "");

  private final WebhookVerifier verifier;
  private final WebhookHandler handler;
  /** The handler when it takes undecodable payloads too, else null. */
  private final UndecodableWebhookHandler undecodable;
  private final DedupeStore dedupe;
  private final int maxBodyBytes;
  private final Set<String> topics;

  private WebhookReceiver(Builder b, DedupeStore dedupe) {
    this.verifier = b.verifier;
    this.handler = b.handler;
    this.undecodable = b.handler instanceof UndecodableWebhookHandler u ? u : null;
    this.dedupe = dedupe;
    this.maxBodyBytes = b.maxBodyBytes;
    this.topics = Set.copyOf(b.topics);
  }

  /**
   * Starts a receiver.
   *
   * @return a builder; not thread-safe
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The largest body accepted.
   *
   * @return the limit in bytes
   */
  public int maxBodyBytes() {
    return maxBodyBytes;
  }

  /**
   * Handles a request whose body the framework has already read. Frameworks that expose the
   * body as a stream should use {@link #handle(String, Map, InputStream)}, which stops reading
   * at the limit.
   *
   * @param method the HTTP method
   * @param headers the request headers; names are matched case-insensitively
   * @param body the raw body bytes, exactly as received (do not parse and re-serialise)
   * @return the response to send
   */
  public WebhookResponse handle(String method, Map<String, ? extends List<String>> headers,
      byte[] body) {
    Objects.requireNonNull(headers, "headers");
    Objects.requireNonNull(body, "body");
    if (!"POST".equalsIgnoreCase(method)) {
      return WebhookResponse.of(405, "webhooks are POST requests", Map.of("Allow", "POST"));
    }
    if (body.length > maxBodyBytes) {
      return tooLarge();
    }
    String id;
    Instant timestamp;
    try {
      id = single(headers, WebhookHeaders.ID);
      timestamp = verifier.verify(id, single(headers, WebhookHeaders.TIMESTAMP),
          joined(headers, WebhookHeaders.SIGNATURE), body);
    } catch (WebhookVerificationException e) {
      return refused(e);
    }
    Integer attempt;
    try {
      attempt = attempt(single(headers, WebhookHeaders.ATTEMPT));
    } catch (PayloadException | WebhookVerificationException e) {
      return badRequest(id, e);
    }
    DecodedWebhook decoded;
    try {
      decoded = WebhookPayloads.decode(headers, body);
    } catch (PayloadException e) {
      return undecodable != null ? handOver(id, attempt, headers, body, e) : badRequest(id, e);
    }
    String topic = decoded.topic().orElse(null);
    if (!topics.isEmpty() && (topic == null || !topics.contains(topic))) {
      LOG.debug("Webhook {} refused (400): topic {} not accepted here", id, topic);
      return WebhookResponse.of(400, "topic '" + topic + "' is not accepted at this endpoint; "
          + "accepted: " + topics);
    }
    return dispatch(new ReceivedWebhook(decoded.event(), topic, id, timestamp, attempt,
        ReceivedWebhook.copy(headers)));
  }

  /**
   * Handles a request, reading the body from a stream: at most {@link #maxBodyBytes()} + 1
   * bytes are read, so an oversize body is refused with {@code 413} without being buffered.
   * The stream is not closed.
   *
   * @param method the HTTP method
   * @param headers the request headers; names are matched case-insensitively
   * @param body the body stream
   * @return the response to send
   * @throws IOException when reading the body fails
   */
  public WebhookResponse handle(String method, Map<String, ? extends List<String>> headers,
      InputStream body) throws IOException {
    Objects.requireNonNull(body, "body");
    if (!"POST".equalsIgnoreCase(method)) {
      return WebhookResponse.of(405, "webhooks are POST requests", Map.of("Allow", "POST"));
    }
    String length = first(headers, "content-length");
    if (length != null && declaresMoreThan(length, maxBodyBytes)) {
      return tooLarge();
    }
    byte[] bytes = readAtMost(body, maxBodyBytes + 1);
    if (bytes.length > maxBodyBytes) {
      return tooLarge();
    }
    return handle(method, headers, bytes);
  }

  private WebhookResponse dispatch(ReceivedWebhook webhook) {
    String id = webhook.webhookId();
    switch (dedupe.claim(id)) {
      case ALREADY_HANDLED:
        LOG.debug("Webhook {} is a duplicate of a handled one; acknowledged", id);
        return WebhookResponse.of(204, "", Map.of(DUPLICATE_HEADER, "true"));
      case IN_PROGRESS:
        LOG.debug("Webhook {} arrived while the same id is being handled; retry later", id);
        return WebhookResponse.of(409, "this webhook-id is being handled; retry later",
            Map.of("Retry-After", Long.toString(IN_PROGRESS_RETRY_AFTER.getSeconds())));
      default:
        break;
    }
    boolean handled = false;
    try {
      handler.handle(webhook);
      handled = true;
      return HANDLED;
    } catch (Exception e) {
      return failed(e, id, webhook.topic().orElse(null), webhook.event().id(),
          webhook.attempt().isPresent() ? webhook.attempt().getAsInt() : null);
    } finally {
      if (handled) {
        dedupe.complete(id);
      } else {
        dedupe.release(id);
      }
    }
  }

  /** A verified request whose payload does not decode, to a handler that takes it. */
  private WebhookResponse handOver(String id, Integer attempt,
      Map<String, ? extends List<String>> headers, byte[] body, PayloadException why) {
    try {
      undecodable.handleUndecodable(id, attempt, headers, body, why);
      return HANDLED;
    } catch (Exception e) {
      return failed(e, id, null, "(undecodable)", attempt);
    }
  }

  private static WebhookResponse failed(Exception e, String id, String topic, String eventId,
      Integer attempt) {
    if (e instanceof RetryLaterException retry) {
      LOG.info("Webhook {} (topic {}, event {}): handler asked to retry after {}: {}", id,
          topic, eventId, retry.retryAfter(), retry.getMessage());
      return WebhookResponse.of(503, "retry later", retry.responseHeaders());
    }
    LOG.warn("Webhook {} (topic {}, event {}, attempt {}): handler failed; answering 500 so "
        + "the sender retries", id, topic, eventId, attempt != null ? attempt : "?", e);
    return WebhookResponse.of(500, "handler failed");
  }

  private static WebhookResponse badRequest(String id, RuntimeException e) {
    LOG.debug("Webhook {} refused (400): {}", id, e.getMessage());
    return WebhookResponse.of(400, e.getMessage());
  }

  private WebhookResponse refused(WebhookVerificationException e) {
    switch (e.reason()) {
      case MISSING_HEADER:
      case MALFORMED_HEADER:
        LOG.debug("Webhook refused (400): {}", e.getMessage());
        return WebhookResponse.of(400, e.getMessage());
      case TIMESTAMP_TOO_OLD:
      case TIMESTAMP_TOO_NEW:
        LOG.debug("Webhook refused (401): {}", e.getMessage());
        return WebhookResponse.of(401, "webhook-timestamp is outside the accepted tolerance of "
            + verifier.tolerance().getSeconds() + " s");
      default:
        LOG.debug("Webhook refused (401): {}", e.getMessage());
        return WebhookResponse.of(401, "no valid webhook signature");
    }
  }

  private WebhookResponse tooLarge() {
    return WebhookResponse.of(413, "body exceeds " + maxBodyBytes + " bytes");
  }

  private static Integer attempt(String header) {
    if (header == null) {
      return null;
    }
    try {
      int attempt = Integer.parseInt(header.strip());
      if (attempt >= 1) {
        return attempt;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new PayloadException("Header " + WebhookHeaders.ATTEMPT + " must be a positive "
        + "integer");
  }

  private static boolean declaresMoreThan(String contentLength, int limit) {
    try {
      return Long.parseLong(contentLength.strip()) > limit;
    } catch (NumberFormatException e) {
      return false; // the HTTP server rejects a malformed length itself
    }
  }

  private static byte[] readAtMost(InputStream in, int limit) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(limit, 8192));
    byte[] buffer = new byte[8192];
    int total = 0;
    while (total < limit) {
      int n = in.read(buffer, 0, Math.min(buffer.length, limit - total));
      if (n < 0) {
        break;
      }
      out.write(buffer, 0, n);
      total += n;
    }
    return out.toByteArray();
  }

  /** The value of a header that must appear once; several values count as malformed. */
  private static String single(Map<String, ? extends List<String>> headers, String name) {
    String found = null;
    boolean seen = false;
    for (Map.Entry<String, ? extends List<String>> e : headers.entrySet()) {
      if (e.getValue() != null && named(e.getKey(), name)) {
        for (String value : e.getValue()) {
          if (seen) {
            throw new WebhookVerificationException(
                WebhookVerificationException.Reason.MALFORMED_HEADER,
                "Header " + name + " must appear once");
          }
          found = value;
          seen = true;
        }
      }
    }
    return found;
  }

  /** The first value of a header, or {@code null}. */
  private static String first(Map<String, ? extends List<String>> headers, String name) {
    for (Map.Entry<String, ? extends List<String>> e : headers.entrySet()) {
      if (e.getValue() != null && !e.getValue().isEmpty() && named(e.getKey(), name)) {
        return e.getValue().get(0);
      }
    }
    return null;
  }

  /** Several {@code webhook-signature} lines are one space-separated list. */
  private static String joined(Map<String, ? extends List<String>> headers, String name) {
    List<String> values = values(headers, name);
    return values.isEmpty() ? null : String.join(" ", values);
  }

  private static List<String> values(Map<String, ? extends List<String>> headers, String name) {
    List<String> values = new ArrayList<>(1);
    headers.forEach((key, list) -> {
      if (list != null && named(key, name)) {
        values.addAll(list);
      }
    });
    return values;
  }

  /**
   * Whether a header name is {@code name} (lower-case) in any case. The allocation-free
   * comparison filters; only a candidate is lower-cased to confirm.
   */
  private static boolean named(String key, String name) {
    return key != null && key.equalsIgnoreCase(name)
        && key.toLowerCase(Locale.ROOT).equals(name);
  }

  @Override
  public String toString() {
    return "WebhookReceiver{tolerance=" + verifier.tolerance() + ", maxBodyBytes="
        + maxBodyBytes + ", dedupe=" + dedupe + (topics.isEmpty() ? "" : ", topics=" + topics)
        + "}";
  }

  /** Builds a {@link WebhookReceiver}. Not thread-safe; the built receiver is. */
  public static final class Builder {
    private WebhookVerifier verifier;
    private WebhookHandler handler;
    private DedupeStore dedupe;
    private int maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
    private final Set<String> topics = new LinkedHashSet<>();

    private Builder() {}

    /**
     * Sets how requests are verified (required): the secrets signatures are checked against
     * (several during key rotation), the timestamp tolerance and the clock, which also times
     * the default dedupe store's memory.
     *
     * @param verifier the verifier, such as {@code
     *     WebhookVerifier.builder().secret(WebhookSecret.parse(secret)).build()}
     * @return this builder
     */
    public Builder verifier(WebhookVerifier verifier) {
      this.verifier = Objects.requireNonNull(verifier, "verifier");
      return this;
    }

    /**
     * Sets the application's handler (required).
     *
     * @param handler the handler
     * @return this builder
     */
    public Builder handler(WebhookHandler handler) {
      this.handler = Objects.requireNonNull(handler, "handler");
      return this;
    }

    /**
     * Sets the dedupe store; default an {@link InMemoryDedupeStore} remembering ids for twice
     * the tolerance, at most {@value InMemoryDedupeStore#DEFAULT_MAX_ENTRIES} of them.
     *
     * @param dedupe the store; its retention must be at least twice the tolerance
     * @return this builder
     */
    public Builder dedupeStore(DedupeStore dedupe) {
      this.dedupe = Objects.requireNonNull(dedupe, "dedupe");
      return this;
    }

    /**
     * Sets the largest body accepted; larger requests get {@code 413}.
     *
     * @param maxBodyBytes 1 byte to 1 GiB; default {@value #DEFAULT_MAX_BODY_BYTES}
     * @return this builder
     * @throws IllegalArgumentException when out of range
     */
    public Builder maxBodyBytes(int maxBodyBytes) {
      if (maxBodyBytes < 1 || maxBodyBytes > (1 << 30)) {
        throw new IllegalArgumentException("maxBodyBytes must be 1 to " + (1 << 30)
            + ", got " + maxBodyBytes);
      }
      this.maxBodyBytes = maxBodyBytes;
      return this;
    }

    /**
     * Restricts the topics accepted; webhooks for other topics (or without one) get
     * {@code 400}. Default: every topic.
     *
     * @param topics the accepted topics
     * @return this builder
     */
    public Builder acceptTopics(String... topics) {
      for (String t : topics) {
        this.topics.add(Objects.requireNonNull(t, "topic"));
      }
      return this;
    }

    /**
     * Builds the receiver.
     *
     * @return the receiver
     * @throws IllegalStateException when no verifier or no handler is set, or the dedupe store
     *     forgets ids sooner than twice the tolerance
     */
    public WebhookReceiver build() {
      if (handler == null) {
        throw new IllegalStateException("A webhook receiver needs a handler");
      }
      if (verifier == null) {
        throw new IllegalStateException("A webhook receiver needs a verifier holding at least "
            + "one secret (whsec_...) to verify signatures");
      }
      Duration minimum = verifier.tolerance().multipliedBy(2);
      DedupeStore store = dedupe != null ? dedupe : new InMemoryDedupeStore(minimum,
          InMemoryDedupeStore.DEFAULT_MAX_ENTRIES, verifier.clock());
      if (store != NoDedupe.INSTANCE && store.retention().compareTo(minimum) < 0) {
        throw new IllegalStateException("Dedupe store " + store + " remembers ids for "
            + store.retention() + "; at least twice the tolerance (" + minimum + ") is needed "
            + "so every replay that passes the timestamp check is recognised");
      }
      return new WebhookReceiver(this, store);
    }
  }
}
