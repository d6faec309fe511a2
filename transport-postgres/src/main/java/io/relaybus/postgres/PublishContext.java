package io.relaybus.postgres;

import java.util.BitSet;

/**
 * What the publish pipeline and the dead letters' replay need of their transport: connections,
 * settings, the topics' partition counts, and whom to tell that a publish committed.
 *
 * @param settings the transport's settings
 * @param database where connections come from
 * @param topics the topics' partition counts
 * @param published told after a publish committed, with the partitions written to (or
 *     {@code null} for any): wakes this bus's members and notifies the other buses
 */
record PublishContext(PostgresSettings settings, Database database, Topics topics,
    Published published) {

  /** Told that a publish of this bus committed. */
  @FunctionalInterface
  interface Published {
    /**
     * Events were committed to a topic.
     *
     * @param topic the topic
     * @param partitions the partitions written to, or {@code null} for any
     */
    void committed(String topic, BitSet partitions);
  }
}
