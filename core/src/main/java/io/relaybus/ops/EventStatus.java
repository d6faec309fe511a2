package io.relaybus.ops;

import java.util.Map;
import java.util.Objects;

/**
 * Where a stored event is and what each group of its topic did with it.
 *
 * @param topic the topic
 * @param eventId the event's id
 * @param location where the transport keeps it, in the transport's own terms (for example
 *     {@code partition} and {@code offset} on Kafka, {@code partition} and {@code seq} on
 *     PostgreSQL)
 * @param groups per group of the topic, what it did with the event
 */
public record EventStatus(String topic, String eventId, Map<String, String> location,
    Map<String, Consumption> groups) {

  /** What one group did with an event. */
  public enum Consumption {
    /** The group finished it: its handler acknowledged it (or a replay of it). */
    CONSUMED,
    /** The group has not finished it yet: not delivered, in flight, or waiting for a retry. */
    PENDING,
    /** The group gave up on it: it is among the group's dead letters. */
    DEAD_LETTER
  }

  /**
   * Validates the components.
   *
   * @param topic the topic
   * @param eventId the id
   * @param location the location
   * @param groups the groups
   */
  public EventStatus {
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(eventId, "eventId");
    location = Map.copyOf(location);
    groups = Map.copyOf(groups);
  }
}
