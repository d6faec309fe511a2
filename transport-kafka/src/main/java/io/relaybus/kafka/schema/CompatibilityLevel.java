package io.relaybus.kafka.schema;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Which earlier versions a new schema under a subject must be compatible with, and in which
 * direction. "Reads" means: every payload valid under the writer schema is accepted by the reader
 * schema (the rules are listed in {@code docs/kafka-schemas.md}). Whatever the level except {@link #NONE}, Relaybus
 * also keeps required properties required.
 */
public enum CompatibilityLevel {
  /** The new schema reads data written with the latest version (upgrade consumers first). */
  BACKWARD,
  /** The new schema reads data written with every earlier version. */
  BACKWARD_TRANSITIVE,
  /** The latest version reads data written with the new schema (upgrade producers first). */
  FORWARD,
  /** Every earlier version reads data written with the new schema. */
  FORWARD_TRANSITIVE,
  /** Both {@link #BACKWARD} and {@link #FORWARD} against the latest version. */
  FULL,
  /** Both directions against every earlier version. */
  FULL_TRANSITIVE,
  /** No check: anything may be registered. */
  NONE;

  /**
   * Whether the new schema must read data written with the earlier versions.
   *
   * @return true for the BACKWARD and FULL levels
   */
  public boolean backward() {
    return this == BACKWARD || this == BACKWARD_TRANSITIVE || this == FULL
        || this == FULL_TRANSITIVE;
  }

  /**
   * Whether the earlier versions must read data written with the new schema.
   *
   * @return true for the FORWARD and FULL levels
   */
  public boolean forward() {
    return this == FORWARD || this == FORWARD_TRANSITIVE || this == FULL
        || this == FULL_TRANSITIVE;
  }

  /**
   * Whether every earlier version is checked, not only the latest.
   *
   * @return true for the *_TRANSITIVE levels
   */
  public boolean transitive() {
    return this == BACKWARD_TRANSITIVE || this == FORWARD_TRANSITIVE || this == FULL_TRANSITIVE;
  }

  /**
   * Parses a level name as the registry API and configuration spell it, ignoring case.
   *
   * @param value the name, e.g. {@code backward_transitive}
   * @return the level
   * @throws IllegalArgumentException naming the value and the allowed names
   */
  public static CompatibilityLevel parse(String value) {
    if (value != null) {
      try {
        return valueOf(value.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        // fall through to the message listing what is allowed
      }
    }
    throw new IllegalArgumentException("Unknown compatibility level '" + value + "'; expected one"
        + " of " + Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", ")));
  }
}
