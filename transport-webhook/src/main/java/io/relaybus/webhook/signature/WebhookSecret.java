package io.relaybus.webhook.signature;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Objects;
import javax.crypto.spec.SecretKeySpec;

/**
 * A symmetric Standard Webhooks signing secret: 24 to 64 random bytes, written as
 * {@code whsec_} followed by their standard base64 encoding.
 *
 * <p>{@link #toString()} never shows the key, and parse errors never echo the input. Instances
 * are immutable and thread-safe.
 *
 * <pre>{@code
 * WebhookSecret secret = WebhookSecret.parse(System.getenv("WEBHOOK_SECRET"));
 * WebhookSecret fresh = WebhookSecret.generate(); // fresh.format() -> "whsec_..."
 * }</pre>
 */
public final class WebhookSecret {

  /** The prefix that identifies a symmetric Standard Webhooks secret. */
  public static final String PREFIX = "whsec_";

  /** The fewest key bytes accepted (192 bits, the Standard Webhooks minimum). */
  public static final int MIN_BYTES = 24;

  /** The most key bytes accepted (512 bits, the Standard Webhooks maximum). */
  public static final int MAX_BYTES = 64;

  /** Key length of {@link #generate()}: 256 bits. */
  private static final int GENERATED_BYTES = 32;

  private static final SecureRandom RANDOM = new SecureRandom();

  private final byte[] key;

  private WebhookSecret(byte[] key) {
    this.key = key;
  }

  /**
   * Parses a secret written as {@code whsec_<base64>}. The prefix may be omitted (some
   * providers hand out the bare base64 text); surrounding whitespace is ignored.
   *
   * @param text the secret text
   * @return the secret
   * @throws IllegalArgumentException when the text is not base64 or decodes to fewer than
   *     {@value #MIN_BYTES} or more than {@value #MAX_BYTES} bytes; the message does not contain
   *     the text
   */
  public static WebhookSecret parse(String text) {
    Objects.requireNonNull(text, "text");
    String encoded = text.strip();
    if (encoded.startsWith(PREFIX)) {
      encoded = encoded.substring(PREFIX.length());
    }
    byte[] key;
    try {
      key = Base64.getDecoder().decode(encoded);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Malformed webhook secret (" + text.length()
          + " characters): expected 'whsec_' followed by standard base64 of " + MIN_BYTES
          + " to " + MAX_BYTES + " random bytes");
    }
    return of(key);
  }

  /**
   * Wraps raw key bytes (copied).
   *
   * @param key {@value #MIN_BYTES} to {@value #MAX_BYTES} bytes
   * @return the secret
   * @throws IllegalArgumentException when the length is out of range
   */
  public static WebhookSecret of(byte[] key) {
    Objects.requireNonNull(key, "key");
    if (key.length < MIN_BYTES || key.length > MAX_BYTES) {
      throw new IllegalArgumentException("Webhook secret has " + key.length + " bytes; the "
          + "Standard Webhooks spec requires " + MIN_BYTES + " to " + MAX_BYTES
          + " random bytes (generate one with WebhookSecret.generate())");
    }
    return new WebhookSecret(key.clone());
  }

  /**
   * Generates a new random 32-byte secret with {@link SecureRandom}.
   *
   * @return a fresh secret
   */
  public static WebhookSecret generate() {
    byte[] key = new byte[GENERATED_BYTES];
    RANDOM.nextBytes(key);
    return new WebhookSecret(key);
  }

  /**
   * Writes the secret as {@code whsec_<base64>}, the form to store in configuration and hand
   * to the receiving side. Treat the result as a secret.
   *
   * @return the serialised secret
   */
  public String format() {
    return PREFIX + Base64.getEncoder().encodeToString(key);
  }

  /**
   * The key for {@code javax.crypto.Mac}; package-private so the raw bytes never leave the
   * signature package.
   */
  SecretKeySpec hmacKey() {
    return new SecretKeySpec(key, "HmacSHA256");
  }

  /**
   * Compares keys in constant time.
   *
   * @param o another object
   * @return whether {@code o} is a secret with the same key bytes
   */
  @Override
  public boolean equals(Object o) {
    return o instanceof WebhookSecret && MessageDigest.isEqual(key, ((WebhookSecret) o).key);
  }

  /**
   * A hash that does not depend on the key bytes (so it reveals nothing about them).
   *
   * @return the key length
   */
  @Override
  public int hashCode() {
    return key.length;
  }

  /**
   * Describes the secret without revealing it.
   *
   * @return {@code WebhookSecret[redacted, N bytes]}
   */
  @Override
  public String toString() {
    return "WebhookSecret[redacted, " + key.length + " bytes]";
  }
}
