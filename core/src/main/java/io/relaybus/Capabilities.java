package io.relaybus;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The set of {@link Capability capabilities} a transport declares, and the sizes it accepts.
 * Immutable.
 */
public final class Capabilities {
  private final Set<Capability> set;
  /** Largest {@link Event#size()} accepted; {@link Long#MAX_VALUE} when none is declared. */
  private final long maxEventSize;
  /** Largest sum of sizes in one publish; {@link Long#MAX_VALUE} when none is declared. */
  private final long maxBatchSize;

  private Capabilities(Set<Capability> set, long maxEventSize, long maxBatchSize) {
    this.set = Collections.unmodifiableSet(set);
    this.maxEventSize = maxEventSize;
    this.maxBatchSize = maxBatchSize;
  }

  /**
   * Creates a capability set, with no size limit declared.
   *
   * @param capabilities the declared capabilities
   * @return the set
   */
  public static Capabilities of(Capability... capabilities) {
    EnumSet<Capability> set = EnumSet.noneOf(Capability.class);
    for (Capability c : capabilities) {
      set.add(Objects.requireNonNull(c, "capability"));
    }
    return new Capabilities(set, Long.MAX_VALUE, Long.MAX_VALUE);
  }

  /**
   * Returns these capabilities with a maximum event size: the bus refuses, before the transport
   * sees them, events whose {@link Event#size()} is larger. A transport that declares one reads
   * it from {@code relaybus.<transport>.max-event-size}, the key the bus's error names.
   *
   * @param bytes the largest event size accepted, at least 1
   * @return the new capabilities
   * @throws IllegalArgumentException when {@code bytes} is less than 1
   */
  public Capabilities withMaxEventSize(long bytes) {
    if (bytes < 1) {
      throw new IllegalArgumentException("maxEventSize must be at least 1 byte, got " + bytes);
    }
    return new Capabilities(set, bytes, maxBatchSize);
  }

  /**
   * Returns these capabilities with a maximum batch size, for a transport that writes a whole
   * {@link Publisher#publishAll publishAll} at once: the bus refuses a batch whose events'
   * sizes add up to more.
   *
   * @param bytes the largest sum of event sizes in one publish, at least 1
   * @return the new capabilities
   * @throws IllegalArgumentException when {@code bytes} is less than 1
   */
  public Capabilities withMaxBatchSize(long bytes) {
    if (bytes < 1) {
      throw new IllegalArgumentException("maxBatchSize must be at least 1 byte, got " + bytes);
    }
    return new Capabilities(set, maxEventSize, bytes);
  }

  /**
   * Tells whether a capability is declared.
   *
   * @param capability the capability
   * @return {@code true} when declared
   */
  public boolean has(Capability capability) {
    return set.contains(capability);
  }

  /**
   * Returns every declared capability.
   *
   * @return an immutable set
   */
  public Set<Capability> all() {
    return set;
  }

  /**
   * The largest {@link Event#size()} the transport accepts; larger events are refused at
   * publish with {@link EventTooLargeException}.
   *
   * @return the limit in bytes, empty when the transport declares none
   */
  public OptionalLong maxEventSize() {
    return maxEventSize == Long.MAX_VALUE ? OptionalLong.empty() : OptionalLong.of(maxEventSize);
  }

  /**
   * The largest sum of {@link Event#size()} one {@link Publisher#publishAll publishAll} may
   * hold; a larger batch is refused whole with {@link EventTooLargeException}.
   *
   * @return the limit in bytes, empty when the transport declares none
   */
  public OptionalLong maxBatchSize() {
    return maxBatchSize == Long.MAX_VALUE ? OptionalLong.empty() : OptionalLong.of(maxBatchSize);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Capabilities && ((Capabilities) o).set.equals(set)
        && ((Capabilities) o).maxEventSize == maxEventSize
        && ((Capabilities) o).maxBatchSize == maxBatchSize;
  }

  @Override
  public int hashCode() {
    return Objects.hash(set, maxEventSize, maxBatchSize);
  }

  @Override
  public String toString() {
    return "Capabilities" + set
        + (maxEventSize == Long.MAX_VALUE ? "" : ", maxEventSize=" + maxEventSize)
        + (maxBatchSize == Long.MAX_VALUE ? "" : ", maxBatchSize=" + maxBatchSize);
  }
}
