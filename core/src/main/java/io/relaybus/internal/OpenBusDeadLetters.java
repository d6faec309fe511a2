package io.relaybus.internal;

import io.relaybus.DeadLetter;
import io.relaybus.DeadLetters;
import java.util.List;
import java.util.Objects;

/**
 * A transport's dead letters as the bus hands them out: every call first checks that the bus is
 * open, so that a closed bus answers {@link io.relaybus.BusClosedException} on every transport
 * instead of whatever the closed store does (an empty answer in memory, a pool error on
 * PostgreSQL). It also rejects null arguments by name before any transport sees them.
 */
final class OpenBusDeadLetters implements DeadLetters {
  /** Throws when the bus is closed, naming the operation. */
  interface OpenCheck {
    void ensureOpen(String operation);
  }

  private final DeadLetters store;
  private final OpenCheck bus;

  OpenBusDeadLetters(DeadLetters store, OpenCheck bus) {
    this.store = store;
    this.bus = bus;
  }

  @Override
  public List<DeadLetter> list(String topic, String group, int limit) {
    bus.ensureOpen(operation("list", topic, group));
    return store.list(topic, group, limit);
  }

  @Override
  public long count(String topic, String group) {
    bus.ensureOpen(operation("count", topic, group));
    return store.count(topic, group);
  }

  @Override
  public boolean replay(String topic, String group, String deadLetterId) {
    String operation = operation("replay", topic, group);
    Objects.requireNonNull(deadLetterId, "deadLetterId");
    bus.ensureOpen(operation);
    return store.replay(topic, group, deadLetterId);
  }

  @Override
  public int replayAll(String topic, String group) {
    bus.ensureOpen(operation("replay", topic, group));
    return store.replayAll(topic, group);
  }

  @Override
  public int purge(String topic, String group) {
    bus.ensureOpen(operation("purge", topic, group));
    return store.purge(topic, group);
  }

  private static String operation(String verb, String topic, String group) {
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(group, "group");
    return verb + " the dead letters of topic '" + topic + "' group '" + group + "'";
  }

  @Override
  public String toString() {
    return store.toString();
  }
}
