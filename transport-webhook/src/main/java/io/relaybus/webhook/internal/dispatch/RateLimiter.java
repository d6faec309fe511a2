package io.relaybus.webhook.internal.dispatch;

/**
 * A token bucket: {@code perSecond} tokens are added per second, up to a burst of
 * {@code max(1, perSecond)}; each request takes one. Thread-safe.
 */
final class RateLimiter {
  private final double perSecond;
  private final double burst;
  private double tokens;
  private long last = System.nanoTime();

  /**
   * Creates a full bucket.
   *
   * @param perSecond requests per second; 0 means unlimited
   */
  RateLimiter(double perSecond) {
    this.perSecond = perSecond;
    this.burst = Math.max(1, perSecond);
    this.tokens = burst;
  }

  /**
   * Takes up to {@code wanted} tokens.
   *
   * @param wanted how many requests the caller would start
   * @return how many it may start
   */
  synchronized int acquire(int wanted) {
    if (perSecond == 0) {
      return wanted;
    }
    long now = System.nanoTime();
    tokens = Math.min(burst, tokens + (now - last) / 1e9 * perSecond);
    last = now;
    int n = (int) Math.min(wanted, Math.floor(tokens));
    tokens -= n;
    return n;
  }

  /**
   * Returns tokens taken but not used.
   *
   * @param unused how many
   */
  synchronized void giveBack(int unused) {
    if (perSecond != 0 && unused > 0) {
      tokens = Math.min(burst, tokens + unused);
    }
  }

  /**
   * How long until the next token, for the dispatcher's wait.
   *
   * @return nanoseconds, 0 when a token is available or the limiter is off
   */
  synchronized long nanosUntilToken() {
    if (perSecond == 0 || tokens >= 1) {
      return 0;
    }
    return (long) ((1 - tokens) / perSecond * 1e9);
  }
}
