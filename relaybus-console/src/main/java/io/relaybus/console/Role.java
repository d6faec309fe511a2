package io.relaybus.console;

import java.util.Locale;

/** What a console user may do. */
public enum Role {
  /** Sees every page; cannot replay, purge, disable or enable anything. */
  READ_ONLY,
  /** Sees every page and may replay and purge dead letters and disable and enable endpoints. */
  OPERATOR;

  /**
   * Parses a role as written in configuration: {@code read-only} or {@code operator}.
   *
   * @param text the text
   * @return the role
   * @throws IllegalArgumentException naming the text when it is neither
   */
  public static Role parse(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT).replace('_', '-');
    switch (t) {
      case "read-only":
      case "readonly":
        return READ_ONLY;
      case "operator":
        return OPERATOR;
      default:
        throw new IllegalArgumentException("Unknown console role '" + text
            + "'; use read-only or operator");
    }
  }

  /**
   * The role as written in configuration.
   *
   * @return {@code read-only} or {@code operator}
   */
  public String label() {
    return this == READ_ONLY ? "read-only" : "operator";
  }
}
