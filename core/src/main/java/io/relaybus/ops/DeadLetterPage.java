package io.relaybus.ops;

import io.relaybus.DeadLetter;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One page of dead letters, oldest first.
 *
 * @param items the dead letters on this page
 * @param next the token for the following page ({@link DeadLetterQuery.Builder#after}), empty
 *     when this is the last
 */
public record DeadLetterPage(List<DeadLetter> items, Optional<String> next) {

  /**
   * Validates the components.
   *
   * @param items the items
   * @param next the next token
   */
  public DeadLetterPage {
    items = List.copyOf(items);
    Objects.requireNonNull(next, "next");
  }
}
