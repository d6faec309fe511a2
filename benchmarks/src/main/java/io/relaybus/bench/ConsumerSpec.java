package io.relaybus.bench;

/**
 * The consumer group of a measurement.
 *
 * @param members how many members (Relaybus subscriptions) share the group's messages
 * @param concurrency how many messages each member handles at once (threads)
 * @param maxInFlight how many messages each member may hold unfinished; at least concurrency
 */
public record ConsumerSpec(int members, int concurrency, int maxInFlight) {

  /**
   * Validates the components.
   *
   * @param members at least 1
   * @param concurrency at least 1
   * @param maxInFlight at least {@code concurrency}
   */
  public ConsumerSpec {
    if (members < 1 || concurrency < 1) {
      throw new IllegalArgumentException("members and concurrency must be >= 1, got "
          + members + " and " + concurrency);
    }
    if (maxInFlight < concurrency) {
      throw new IllegalArgumentException("maxInFlight (" + maxInFlight
          + ") must be >= concurrency (" + concurrency + ")");
    }
  }

  /**
   * The number of handler threads of the whole group.
   *
   * @return members times concurrency
   */
  public int threads() {
    return members * concurrency;
  }
}
