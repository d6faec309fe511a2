package io.relaybus;

import io.relaybus.spi.Names;
import java.time.Duration;
import java.util.Objects;

/**
 * How a subscription consumes: its consumer group, where a new group starts, how much runs at
 * once, how failures are retried and whether exhausted events become dead letters.
 *
 * <p>Settings not given here fall back to the bus configuration ({@code relaybus.subscriber.*}
 * and {@code relaybus.retry.*}), then to the library defaults: group {@code default}, start
 * {@link StartPosition#EARLIEST}, concurrency 1, maxInFlight 64 (at least the concurrency),
 * {@link RetryPolicy#ofDefaults()}, dead letters on, close timeout 30 seconds.
 *
 * <p>Immutable; build with {@link #builder()}.
 */
public final class SubscribeOptions {

  /** The group used when none is given. */
  public static final String DEFAULT_GROUP = "default";

  private static final SubscribeOptions LIBRARY_DEFAULTS = new Builder()
      .group(DEFAULT_GROUP)
      .startPosition(StartPosition.EARLIEST)
      .concurrency(1)
      .maxInFlight(64)
      .retryPolicy(RetryPolicy.ofDefaults())
      .deadLetters(true)
      .closeTimeout(Duration.ofSeconds(30))
      .build();

  private final String group;
  private final StartPosition startPosition;
  private final Integer concurrency;
  private final Integer maxInFlight;
  private final RetryPolicy retryPolicy;
  private final Boolean deadLetters;
  private final Duration closeTimeout;

  private SubscribeOptions(Builder b) {
    this.group = b.group;
    this.startPosition = b.startPosition;
    this.concurrency = b.concurrency;
    this.maxInFlight = b.maxInFlight;
    this.retryPolicy = b.retryPolicy;
    this.deadLetters = b.deadLetters;
    this.closeTimeout = b.closeTimeout;
  }

  /**
   * Starts options where nothing is set (everything falls back to the bus configuration).
   *
   * @return a builder; not thread-safe
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Options that only name the group.
   *
   * @param group the consumer group
   * @return the options
   * @throws InvalidNameException when the group name is invalid
   */
  public static SubscribeOptions group(String group) {
    return builder().group(group).build();
  }

  /**
   * The library defaults listed in the class documentation, every setting filled.
   *
   * @return the defaults
   */
  public static SubscribeOptions libraryDefaults() {
    return LIBRARY_DEFAULTS;
  }

  /**
   * Returns options where every setting not set on this object is taken from
   * {@code defaults}, and checks that the result is consistent.
   *
   * @param defaults the fallback settings
   * @return merged options
   * @throws IllegalArgumentException when maxInFlight ends below concurrency
   */
  public SubscribeOptions withDefaultsFrom(SubscribeOptions defaults) {
    Objects.requireNonNull(defaults, "defaults");
    Builder b = new Builder();
    b.group = group != null ? group : defaults.group;
    b.startPosition = startPosition != null ? startPosition : defaults.startPosition;
    b.concurrency = concurrency != null ? concurrency : defaults.concurrency;
    b.maxInFlight = maxInFlight != null ? maxInFlight : defaults.maxInFlight;
    if (b.concurrency != null && b.maxInFlight != null && b.maxInFlight < b.concurrency) {
      if (maxInFlight != null) {
        throw new IllegalArgumentException("maxInFlight (" + b.maxInFlight
            + ") must be >= concurrency (" + b.concurrency + ")");
      }
      b.maxInFlight = b.concurrency;
    }
    b.retryPolicy = retryPolicy != null ? retryPolicy : defaults.retryPolicy;
    b.deadLetters = deadLetters != null ? deadLetters : defaults.deadLetters;
    b.closeTimeout = closeTimeout != null ? closeTimeout : defaults.closeTimeout;
    return b.build();
  }

  /**
   * The consumer group.
   *
   * @return the group name, or {@code null} when not set
   */
  public String group() {
    return group;
  }

  /**
   * Where a new group starts.
   *
   * @return the start position, or {@code null} when not set
   */
  public StartPosition startPosition() {
    return startPosition;
  }

  /**
   * How many handler invocations of this subscription may run at once.
   *
   * @return the concurrency, or {@code null} when not set
   */
  public Integer concurrency() {
    return concurrency;
  }

  /**
   * How many events this subscription may hold fetched but unfinished (running, queued or
   * waiting for a retry). The transport does not fetch beyond it.
   *
   * @return the limit, or {@code null} when not set
   */
  public Integer maxInFlight() {
    return maxInFlight;
  }

  /**
   * The retry policy.
   *
   * @return the policy, or {@code null} when not set
   */
  public RetryPolicy retryPolicy() {
    return retryPolicy;
  }

  /**
   * Whether failed events become dead letters ({@code true}) or are dropped with a logged
   * warning ({@code false}).
   *
   * @return the flag, or {@code null} when not set
   */
  public Boolean deadLetters() {
    return deadLetters;
  }

  /**
   * How long {@link Subscription#close()} waits for running handlers.
   *
   * @return the timeout, or {@code null} when not set
   */
  public Duration closeTimeout() {
    return closeTimeout;
  }

  @Override
  public String toString() {
    return "SubscribeOptions{group=" + group + ", startPosition=" + startPosition
        + ", concurrency=" + concurrency + ", maxInFlight=" + maxInFlight
        + ", retryPolicy=" + retryPolicy + ", deadLetters=" + deadLetters
        + ", closeTimeout=" + closeTimeout + "}";
  }

  /** Builds {@link SubscribeOptions}. Not thread-safe; the built options are. */
  public static final class Builder {
    private String group;
    private StartPosition startPosition;
    private Integer concurrency;
    private Integer maxInFlight;
    private RetryPolicy retryPolicy;
    private Boolean deadLetters;
    private Duration closeTimeout;

    private Builder() {}

    /**
     * Sets the consumer group. Members with the same group share its events.
     *
     * @param group a name matching {@code [A-Za-z0-9._-]{1,200}}
     * @return this builder
     * @throws InvalidNameException when the name is invalid
     */
    public Builder group(String group) {
      this.group = Names.requireGroup(group);
      return this;
    }

    /**
     * Sets where a group that has never consumed the topic starts.
     *
     * @param startPosition the position
     * @return this builder
     */
    public Builder startPosition(StartPosition startPosition) {
      this.startPosition = Objects.requireNonNull(startPosition, "startPosition");
      return this;
    }

    /**
     * Sets how many handler invocations run at once.
     *
     * @param concurrency from 1 to 1024
     * @return this builder
     * @throws IllegalArgumentException when out of range
     */
    public Builder concurrency(int concurrency) {
      if (concurrency < 1 || concurrency > 1024) {
        throw new IllegalArgumentException("concurrency must be between 1 and 1024, got "
            + concurrency);
      }
      this.concurrency = concurrency;
      return this;
    }

    /**
     * Sets how many events may be fetched but unfinished at once.
     *
     * @param maxInFlight from 1 to 1,000,000, and at least the concurrency
     * @return this builder
     * @throws IllegalArgumentException when out of range
     */
    public Builder maxInFlight(int maxInFlight) {
      if (maxInFlight < 1 || maxInFlight > 1_000_000) {
        throw new IllegalArgumentException("maxInFlight must be between 1 and 1000000, got "
            + maxInFlight);
      }
      this.maxInFlight = maxInFlight;
      return this;
    }

    /**
     * Sets the retry policy.
     *
     * @param retryPolicy the policy
     * @return this builder
     */
    public Builder retryPolicy(RetryPolicy retryPolicy) {
      this.retryPolicy = Objects.requireNonNull(retryPolicy, "retryPolicy");
      return this;
    }

    /**
     * Turns dead letters on (the default) or off. When off, an event that fails for good is
     * logged at WARN and dropped.
     *
     * @param enabled whether to keep dead letters
     * @return this builder
     */
    public Builder deadLetters(boolean enabled) {
      this.deadLetters = enabled;
      return this;
    }

    /**
     * Sets how long closing waits for running handlers before interrupting them; their events
     * are then redelivered.
     *
     * @param closeTimeout zero or positive
     * @return this builder
     */
    public Builder closeTimeout(Duration closeTimeout) {
      Objects.requireNonNull(closeTimeout, "closeTimeout");
      if (closeTimeout.isNegative()) {
        throw new IllegalArgumentException("closeTimeout must not be negative, got "
            + closeTimeout);
      }
      this.closeTimeout = closeTimeout;
      return this;
    }

    /**
     * Builds the options.
     *
     * @return the options
     * @throws IllegalArgumentException when both limits are set and maxInFlight is below
     *     concurrency
     */
    public SubscribeOptions build() {
      if (concurrency != null && maxInFlight != null && maxInFlight < concurrency) {
        throw new IllegalArgumentException("maxInFlight (" + maxInFlight
            + ") must be >= concurrency (" + concurrency + ")");
      }
      return new SubscribeOptions(this);
    }
  }
}
