package io.relaybus;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;

/**
 * How a consumer group retries a failing handler. Retrying lives in exactly this one layer:
 * transports never retry on their own, so attempt counts are exact.
 *
 * <ul>
 *   <li>{@link #maxAttempts()} counts the first attempt: {@code 1} means no retry.
 *   <li>The delay before attempt {@code n+1} is {@code initialDelay * multiplier^(n-1)}, capped
 *       at {@code maxDelay}, then randomised by {@code ±jitter} (a fraction from 0 to 1).
 *   <li>An exception matching {@link Builder#abortOn(Class)} or {@link Builder#abortIf} is not
 *       retried: the event is dead-lettered at once. {@link DecodingException} is never
 *       retried.
 * </ul>
 *
 * <p>Immutable and thread-safe; build with {@link #builder()}.
 */
public final class RetryPolicy {

  private static final RetryPolicy DEFAULTS = builder().build();

  private final int maxAttempts;
  private final Duration initialDelay;
  private final Duration maxDelay;
  private final double multiplier;
  private final double jitter;
  private final List<Class<? extends Throwable>> abortOn;
  private final Predicate<Throwable> abortIf;

  private RetryPolicy(Builder b) {
    this.maxAttempts = b.maxAttempts;
    this.initialDelay = b.initialDelay;
    this.maxDelay = b.maxDelay;
    this.multiplier = b.multiplier;
    this.jitter = b.jitter;
    this.abortOn = List.copyOf(b.abortOn);
    this.abortIf = b.abortIf;
  }

  /**
   * Starts a policy from the defaults: 5 attempts, 500 ms initial delay doubling up to 1 minute,
   * 20% jitter, every exception retryable.
   *
   * @return a builder; not thread-safe
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The default policy (see {@link #builder()}).
   *
   * @return the default policy
   */
  public static RetryPolicy ofDefaults() {
    return DEFAULTS;
  }

  /**
   * A policy that tries once and never retries.
   *
   * @return the policy
   */
  public static RetryPolicy noRetries() {
    return builder().maxAttempts(1).build();
  }

  /**
   * Starts a builder holding this policy's settings.
   *
   * @return a builder
   */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.maxAttempts = maxAttempts;
    b.initialDelay = initialDelay;
    b.maxDelay = maxDelay;
    b.multiplier = multiplier;
    b.jitter = jitter;
    b.abortOn.addAll(abortOn);
    b.abortIf = abortIf;
    return b;
  }

  /**
   * Maximum number of handler invocations for one event, the first included.
   *
   * @return at least 1
   */
  public int maxAttempts() {
    return maxAttempts;
  }

  /**
   * Delay before the second attempt.
   *
   * @return the initial delay
   */
  public Duration initialDelay() {
    return initialDelay;
  }

  /**
   * Upper bound of the delay before jitter.
   *
   * @return the maximum delay
   */
  public Duration maxDelay() {
    return maxDelay;
  }

  /**
   * Factor applied to the delay after each failed attempt.
   *
   * @return at least 1.0
   */
  public double multiplier() {
    return multiplier;
  }

  /**
   * Random spread applied to each delay, as a fraction of it.
   *
   * @return between 0.0 and 1.0
   */
  public double jitter() {
    return jitter;
  }

  /**
   * Tells whether another attempt may follow the given failed attempt.
   *
   * @param failedAttempt the attempt number that just failed, starting at 1
   * @return {@code true} when {@code failedAttempt < maxAttempts()}
   */
  public boolean hasAttemptsLeft(int failedAttempt) {
    return failedAttempt < maxAttempts;
  }

  /**
   * Tells whether a failure may be retried at all.
   *
   * @param failure the handler's exception
   * @return {@code false} for {@link DecodingException} and for exceptions matched by
   *     {@code abortOn}/{@code abortIf}
   */
  public boolean isRetryable(Throwable failure) {
    Objects.requireNonNull(failure, "failure");
    if (failure instanceof DecodingException) {
      return false;
    }
    for (Class<? extends Throwable> type : abortOn) {
      if (type.isInstance(failure)) {
        return false;
      }
    }
    return abortIf == null || !abortIf.test(failure);
  }

  /**
   * The base delay (before jitter) after a failed attempt.
   *
   * @param failedAttempt the attempt number that just failed, starting at 1
   * @return {@code min(maxDelay, initialDelay * multiplier^(failedAttempt-1))}
   */
  public Duration baseDelayAfter(int failedAttempt) {
    if (failedAttempt < 1) {
      throw new IllegalArgumentException("failedAttempt must be >= 1, got " + failedAttempt);
    }
    double millis = initialDelay.toNanos() / 1e6 * Math.pow(multiplier, failedAttempt - 1);
    double capped = Math.min(millis, maxDelay.toNanos() / 1e6);
    return Duration.ofNanos((long) (capped * 1e6));
  }

  /**
   * The delay to wait after a failed attempt: the base delay randomised by the jitter.
   *
   * @param failedAttempt the attempt number that just failed, starting at 1
   * @return a delay in {@code [base * (1 - jitter), base * (1 + jitter)]}
   */
  public Duration delayAfter(int failedAttempt) {
    Duration base = baseDelayAfter(failedAttempt);
    if (jitter == 0.0 || base.isZero()) {
      return base;
    }
    double factor = 1.0 + jitter * (ThreadLocalRandom.current().nextDouble() * 2.0 - 1.0);
    return Duration.ofNanos((long) (base.toNanos() * factor));
  }

  @Override
  public String toString() {
    return "RetryPolicy{maxAttempts=" + maxAttempts + ", initialDelay=" + initialDelay
        + ", maxDelay=" + maxDelay + ", multiplier=" + multiplier + ", jitter=" + jitter
        + ", abortOn=" + abortOn + (abortIf != null ? ", abortIf=<predicate>" : "") + "}";
  }

  /** Builds a {@link RetryPolicy}. Not thread-safe; the built policy is. */
  public static final class Builder {
    private int maxAttempts = 5;
    private Duration initialDelay = Duration.ofMillis(500);
    private Duration maxDelay = Duration.ofMinutes(1);
    private double multiplier = 2.0;
    private double jitter = 0.2;
    private final List<Class<? extends Throwable>> abortOn = new ArrayList<>();
    private Predicate<Throwable> abortIf;

    private Builder() {}

    /**
     * Sets the maximum number of attempts, the first included.
     *
     * @param maxAttempts at least 1
     * @return this builder
     * @throws IllegalArgumentException when below 1
     */
    public Builder maxAttempts(int maxAttempts) {
      if (maxAttempts < 1) {
        throw new IllegalArgumentException("maxAttempts must be >= 1, got " + maxAttempts);
      }
      this.maxAttempts = maxAttempts;
      return this;
    }

    /**
     * Sets exponential backoff.
     *
     * @param initialDelay delay before the second attempt, zero or positive
     * @param maxDelay cap of the delay, at least {@code initialDelay}
     * @param multiplier growth factor per attempt, at least 1.0
     * @return this builder
     * @throws IllegalArgumentException on a negative delay, a cap below the initial delay or a
     *     multiplier below 1
     */
    public Builder backoff(Duration initialDelay, Duration maxDelay, double multiplier) {
      Objects.requireNonNull(initialDelay, "initialDelay");
      Objects.requireNonNull(maxDelay, "maxDelay");
      if (initialDelay.isNegative()) {
        throw new IllegalArgumentException("initialDelay must not be negative, got "
            + initialDelay);
      }
      if (maxDelay.compareTo(initialDelay) < 0) {
        throw new IllegalArgumentException("maxDelay (" + maxDelay
            + ") must be >= initialDelay (" + initialDelay + ")");
      }
      if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
        throw new IllegalArgumentException("multiplier must be a finite number >= 1.0, got "
            + multiplier);
      }
      this.initialDelay = initialDelay;
      this.maxDelay = maxDelay;
      this.multiplier = multiplier;
      return this;
    }

    /**
     * Sets a constant delay between attempts (no growth, no jitter).
     *
     * @param delay the delay, zero or positive
     * @return this builder
     */
    public Builder fixedDelay(Duration delay) {
      backoff(delay, delay, 1.0);
      return jitter(0.0);
    }

    /**
     * Sets the random spread of each delay.
     *
     * @param jitter a fraction from 0.0 (none) to 1.0 (from zero to twice the delay)
     * @return this builder
     * @throws IllegalArgumentException when outside [0, 1]
     */
    public Builder jitter(double jitter) {
      if (!(jitter >= 0.0 && jitter <= 1.0)) {
        throw new IllegalArgumentException("jitter must be between 0.0 and 1.0, got " + jitter);
      }
      this.jitter = jitter;
      return this;
    }

    /**
     * Marks an exception type (and its subtypes) as not retryable.
     *
     * @param type the exception type
     * @return this builder
     */
    public Builder abortOn(Class<? extends Throwable> type) {
      abortOn.add(Objects.requireNonNull(type, "type"));
      return this;
    }

    /**
     * Marks failures matching a predicate as not retryable. Replaces an earlier predicate.
     *
     * @param predicate returns {@code true} for failures that must not be retried
     * @return this builder
     */
    public Builder abortIf(Predicate<Throwable> predicate) {
      this.abortIf = Objects.requireNonNull(predicate, "predicate");
      return this;
    }

    /**
     * Builds the policy.
     *
     * @return the policy
     */
    public RetryPolicy build() {
      return new RetryPolicy(this);
    }
  }
}
