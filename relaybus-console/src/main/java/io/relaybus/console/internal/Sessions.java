package io.relaybus.console.internal;

import io.relaybus.console.Role;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Signed-in sessions, kept in memory: a random id (the cookie) with its user, role and the
 * session's CSRF token (synchronizer token), expiring after an idle timeout.
 */
final class Sessions {
  private static final SecureRandom RANDOM = new SecureRandom();

  /** A session: who, their role, the CSRF token every POST must carry. */
  static final class Session {
    final String id;
    final String user;
    final Role role;
    final String csrf;
    volatile Instant lastSeen;

    Session(String id, String user, Role role, String csrf, Instant lastSeen) {
      this.id = id;
      this.user = user;
      this.role = role;
      this.csrf = csrf;
      this.lastSeen = lastSeen;
    }
  }

  private final Map<String, Session> byId = new ConcurrentHashMap<>();
  private final Duration idleTimeout;
  private final Clock clock;

  Sessions(Duration idleTimeout, Clock clock) {
    this.idleTimeout = idleTimeout;
    this.clock = clock;
  }

  static String randomToken() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  Session open(String user, Role role) {
    Instant now = clock.instant();
    byId.values().removeIf(s -> s.lastSeen.plus(idleTimeout).isBefore(now));
    Session s = new Session(randomToken(), user, role, randomToken(), now);
    byId.put(s.id, s);
    return s;
  }

  Session find(String id) {
    if (id == null) {
      return null;
    }
    Session s = byId.get(id);
    if (s == null) {
      return null;
    }
    Instant now = clock.instant();
    if (s.lastSeen.plus(idleTimeout).isBefore(now)) {
      byId.remove(id);
      return null;
    }
    s.lastSeen = now;
    return s;
  }

  static boolean sameSecret(String expected, String candidate) {
    return candidate != null && java.security.MessageDigest.isEqual(
        expected.getBytes(java.nio.charset.StandardCharsets.UTF_8),
        candidate.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  void close(String id) {
    if (id != null) {
      byId.remove(id);
    }
  }
}
