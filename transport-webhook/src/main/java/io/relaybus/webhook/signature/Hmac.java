package io.relaybus.webhook.signature;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import javax.crypto.Mac;

/** The one place that computes Standard Webhooks {@code v1} MACs, for signer and verifier. */
final class Hmac {

  /** A {@code Mac} per thread: creating one per message costs more than the MAC itself. */
  private static final ThreadLocal<Mac> MAC = ThreadLocal.withInitial(() -> {
    try {
      return Mac.getInstance("HmacSHA256");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available in this JDK", e);
    }
  });

  private static final byte[] DOT = {'.'};

  private Hmac() {}

  /** HMAC-SHA256 of {@code id.timestamp.body} with the secret's key. */
  static byte[] compute(WebhookSecret secret, String id, long timestampSeconds, byte[] body) {
    Mac mac = MAC.get();
    try {
      mac.init(secret.hmacKey());
    } catch (InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 refused a " + secret, e);
    }
    mac.update(id.getBytes(StandardCharsets.UTF_8));
    mac.update(DOT);
    mac.update(Long.toString(timestampSeconds).getBytes(StandardCharsets.US_ASCII));
    mac.update(DOT);
    mac.update(body);
    return mac.doFinal();
  }

  /**
   * Checks a message id: 1 to 256 visible ASCII characters without {@code .}, which the spec
   * forbids because it would make {@code id.timestamp.body} ambiguous.
   *
   * @return null when valid, else what is wrong
   */
  static String idProblem(String id) {
    if (id.isEmpty() || id.length() > 256) {
      return "must have 1 to 256 characters, has " + id.length();
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (c == '.') {
        return "must not contain '.' (it would make the signed 'id.timestamp.body' ambiguous)";
      }
      if (c < 0x21 || c > 0x7e) {
        return "must contain only visible ASCII characters; found U+"
            + String.format("%04X", (int) c) + " at index " + i;
      }
    }
    return null;
  }
}
