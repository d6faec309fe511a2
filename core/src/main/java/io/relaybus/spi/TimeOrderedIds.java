package io.relaybus.spi;

import java.util.concurrent.ThreadLocalRandom;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Version 7 UUIDs (RFC 9562): 48-bit Unix milliseconds, then random bits. Ids generated in one
 * JVM are strictly increasing: within one millisecond a counter in the random field moves on.
 */
public final class TimeOrderedIds {
  /** Last value of (millis << 12 | sequence); monotonic across threads. */
  private static final AtomicLong LAST = new AtomicLong();

  private TimeOrderedIds() {}

  /**
   * Returns a new time-ordered UUID as a string.
   *
   * @return the id
   */
  public static String next() {
    return nextUuid().toString();
  }

  /**
   * Returns a new time-ordered UUID.
   *
   * @return the id
   */
  public static UUID nextUuid() {
    long now = System.currentTimeMillis() << 12;
    long stamp = LAST.updateAndGet(prev -> Math.max(prev + 1, now));
    long millis = stamp >>> 12;
    long seq = stamp & 0xFFF;
    long msb = (millis << 16) | 0x7000L | seq;
    long lsb = (ThreadLocalRandom.current().nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new UUID(msb, lsb);
  }
}
