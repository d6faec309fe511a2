package io.relaybus.webhook.signature;

import io.relaybus.webhook.signature.WebhookVerificationException.Reason;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;

/**
 * Verifies Standard Webhooks requests: the timestamp is within a tolerance of the clock
 * (default ±5 minutes) and at least one {@code v1} signature in the {@code webhook-signature}
 * header matches the HMAC of {@code id.timestamp.body} under at least one configured secret.
 *
 * <p>Key rotation works from both sides: the sender may send several signatures and the
 * verifier may hold several secrets. Signatures are compared with {@link
 * MessageDigest#isEqual} (constant time). Signatures with other version prefixes (for example
 * {@code v1a}, asymmetric) are ignored. Immutable and thread-safe.
 *
 * <pre>{@code
 * WebhookVerifier verifier = WebhookVerifier.builder()
 *     .secret(WebhookSecret.parse(current))
 *     .secret(WebhookSecret.parse(previous))   // during rotation
 *     .build();
 * verifier.verify(id, timestamp, signatures, body); // throws WebhookVerificationException
 * }</pre>
 */
public final class WebhookVerifier {

  /** The default timestamp tolerance, the Standard Webhooks recommendation. */
  public static final Duration DEFAULT_TOLERANCE = Duration.ofMinutes(5);

  /** Bounds the work one request can cause. */
  private static final int MAX_SIGNATURES = 32;

  private final List<WebhookSecret> secrets;
  private final Duration tolerance;
  private final Clock clock;

  private WebhookVerifier(Builder b) {
    this.secrets = List.copyOf(b.secrets);
    this.tolerance = b.tolerance;
    this.clock = b.clock;
  }

  /**
   * Starts a verifier.
   *
   * @return a builder; not thread-safe
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The accepted distance between the request's timestamp and the clock.
   *
   * @return the tolerance
   */
  public Duration tolerance() {
    return tolerance;
  }

  /**
   * The clock timestamps are compared with.
   *
   * @return the clock
   */
  public Clock clock() {
    return clock;
  }

  /**
   * Verifies one request.
   *
   * @param webhookId the {@code webhook-id} header value, or {@code null} when absent
   * @param timestamp the {@code webhook-timestamp} header value, or {@code null} when absent
   * @param signatures the {@code webhook-signature} header value, or {@code null} when absent
   * @param body the exact body bytes received
   * @return the verified timestamp
   * @throws WebhookVerificationException when a header is missing or malformed, the timestamp
   *     is outside the tolerance, or no signature matches
   */
  public Instant verify(String webhookId, String timestamp, String signatures, byte[] body) {
    Objects.requireNonNull(body, "body");
    String id = require(WebhookHeaders.ID, webhookId);
    String idProblem = Hmac.idProblem(id);
    if (idProblem != null) {
      throw new WebhookVerificationException(Reason.MALFORMED_HEADER,
          "Header " + WebhookHeaders.ID + " " + idProblem);
    }
    long seconds = parseTimestamp(require(WebhookHeaders.TIMESTAMP, timestamp));
    checkTolerance(seconds);
    List<byte[]> candidates = parseSignatures(require(WebhookHeaders.SIGNATURE, signatures));
    // Every secret is compared with every candidate, without stopping at the first match, so
    // the time taken does not tell which secret or position matched.
    boolean matched = false;
    for (WebhookSecret secret : secrets) {
      byte[] expected = Hmac.compute(secret, id, seconds, body);
      for (byte[] candidate : candidates) {
        matched |= MessageDigest.isEqual(expected, candidate);
      }
    }
    if (!matched) {
      throw new WebhookVerificationException(Reason.NO_MATCHING_SIGNATURE,
          "No v1 signature in header " + WebhookHeaders.SIGNATURE + " matches a configured "
              + "secret (" + candidates.size() + " v1 signature(s) checked against "
              + secrets.size() + " secret(s))");
    }
    return Instant.ofEpochSecond(seconds);
  }

  private static String require(String header, String value) {
    if (value == null || value.isBlank()) {
      throw new WebhookVerificationException(Reason.MISSING_HEADER,
          "Header " + header + " is missing");
    }
    return value.strip();
  }

  private static long parseTimestamp(String text) {
    if (text.length() > 18 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new WebhookVerificationException(Reason.MALFORMED_HEADER, "Header "
          + WebhookHeaders.TIMESTAMP + " must be whole seconds since the Unix epoch (digits "
          + "only), got '" + abbreviate(text) + "'");
    }
    return Long.parseLong(text);
  }

  private void checkTolerance(long seconds) {
    long now = clock.instant().getEpochSecond();
    long limit = tolerance.getSeconds();
    if (seconds < now - limit) {
      throw new WebhookVerificationException(Reason.TIMESTAMP_TOO_OLD, "Header "
          + WebhookHeaders.TIMESTAMP + " " + seconds + " is " + (now - seconds)
          + " s in the past; at most " + limit + " s are tolerated");
    }
    if (seconds > now + limit) {
      throw new WebhookVerificationException(Reason.TIMESTAMP_TOO_NEW, "Header "
          + WebhookHeaders.TIMESTAMP + " " + seconds + " is " + (seconds - now)
          + " s in the future; at most " + limit + " s are tolerated");
    }
  }

  private static List<byte[]> parseSignatures(String header) {
    String[] tokens = header.split(" +");
    if (tokens.length > MAX_SIGNATURES) {
      throw new WebhookVerificationException(Reason.MALFORMED_HEADER, "Header "
          + WebhookHeaders.SIGNATURE + " holds " + tokens.length + " signatures; at most "
          + MAX_SIGNATURES + " are accepted");
    }
    List<byte[]> v1 = new ArrayList<>(tokens.length);
    for (String token : tokens) {
      int comma = token.indexOf(',');
      if (comma <= 0) {
        throw new WebhookVerificationException(Reason.MALFORMED_HEADER, "Header "
            + WebhookHeaders.SIGNATURE + " must hold space-separated '<version>,<base64>' "
            + "signatures such as 'v1,K5oZ...'");
      }
      if (!token.startsWith("v1,")) {
        continue; // another scheme (v1a, a future v2): not ours to judge
      }
      try {
        v1.add(Base64.getDecoder().decode(token.substring(3)));
      } catch (IllegalArgumentException e) {
        // A malformed candidate simply cannot match; another one in the header still may.
      }
    }
    return v1;
  }

  private static String abbreviate(String s) {
    return s.length() <= 24 ? s : s.substring(0, 24) + "...";
  }

  /** Builds a {@link WebhookVerifier}. Not thread-safe; the built verifier is. */
  public static final class Builder {
    private final List<WebhookSecret> secrets = new ArrayList<>();
    private Duration tolerance = DEFAULT_TOLERANCE;
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    /**
     * Adds a secret; a request verifies when it carries a valid signature under any of them.
     *
     * @param secret the secret
     * @return this builder
     */
    public Builder secret(WebhookSecret secret) {
      secrets.add(Objects.requireNonNull(secret, "secret"));
      return this;
    }

    /**
     * Adds several secrets (key rotation).
     *
     * @param secrets the secrets
     * @return this builder
     */
    public Builder secrets(List<WebhookSecret> secrets) {
      secrets.forEach(this::secret);
      return this;
    }

    /**
     * Sets how far the {@code webhook-timestamp} may be from the clock, in either direction.
     * Default {@link #DEFAULT_TOLERANCE}. Dedupe stores must remember ids at least twice this
     * long.
     *
     * @param tolerance at least one second
     * @return this builder
     * @throws IllegalArgumentException when shorter than one second
     */
    public Builder tolerance(Duration tolerance) {
      Objects.requireNonNull(tolerance, "tolerance");
      if (tolerance.compareTo(Duration.ofSeconds(1)) < 0) {
        throw new IllegalArgumentException("Webhook timestamp tolerance must be at least 1 s, "
            + "got " + tolerance);
      }
      this.tolerance = tolerance;
      return this;
    }

    /**
     * Sets the clock timestamps are compared with (tests inject a fixed clock).
     *
     * @param clock the clock; default the system UTC clock
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Builds the verifier.
     *
     * @return the verifier
     * @throws IllegalStateException when no secret was added
     */
    public WebhookVerifier build() {
      if (secrets.isEmpty()) {
        throw new IllegalStateException("A webhook verifier needs at least one secret");
      }
      return new WebhookVerifier(this);
    }
  }
}
