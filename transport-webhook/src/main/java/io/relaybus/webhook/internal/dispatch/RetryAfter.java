package io.relaybus.webhook.internal.dispatch;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/** Reads a {@code Retry-After} header: delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
final class RetryAfter {
  private RetryAfter() {}

  /**
   * Parses the header.
   *
   * @param value the header value, or {@code null}
   * @param now the current time, for HTTP dates
   * @param cap the longest wait honoured
   * @return the wait, capped and not negative; empty when absent or unreadable
   */
  static Optional<Duration> parse(String value, Instant now, Duration cap) {
    if (value == null || value.isBlank()) {
      return Optional.empty();
    }
    String v = value.trim();
    Duration d;
    if (v.chars().allMatch(Character::isDigit)) {
      try {
        d = Duration.ofSeconds(Long.parseLong(v));
      } catch (NumberFormatException | ArithmeticException e) {
        d = cap; // absurdly large number of seconds
      }
    } else {
      try {
        Instant at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        d = Duration.between(now, at);
      } catch (DateTimeParseException e) {
        return Optional.empty();
      }
    }
    if (d.isNegative()) {
      d = Duration.ZERO;
    }
    return Optional.of(d.compareTo(cap) > 0 ? cap : d);
  }
}
