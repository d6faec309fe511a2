package io.relaybus.webhook.internal.outbox;

import io.relaybus.DeadLetter;
import java.time.Instant;

/**
 * A position in the dead letters, which are ordered oldest first: by the time they were
 * dead-lettered, then by id (concurrent transactions may store a later id with an earlier time).
 * Its {@link #token()} is the page token of the operations API.
 *
 * @param at the dead letter's time
 * @param id its id
 */
public record DeadLetterCursor(Instant at, long id) {

  /**
   * The position of a dead letter stored by an outbox.
   *
   * @param d the dead letter
   * @return its position
   */
  public static DeadLetterCursor of(DeadLetter d) {
    return new DeadLetterCursor(d.deadLetteredAt(), Long.parseLong(d.id()));
  }

  /**
   * Reads a page token.
   *
   * @param token {@code <epoch seconds>.<nanos>.<id>}
   * @return the position
   * @throws IllegalArgumentException when it is not such a token
   */
  public static DeadLetterCursor parse(String token) {
    String[] parts = token.split("\\.");
    try {
      if (parts.length == 3) {
        return new DeadLetterCursor(Instant.ofEpochSecond(Long.parseLong(parts[0]),
            Long.parseLong(parts[1])), Long.parseLong(parts[2]));
      }
    } catch (RuntimeException e) {
      // reported below
    }
    throw new IllegalArgumentException("Invalid dead-letter page token '" + token
        + "': expected the next() of a previous page");
  }

  /**
   * The page token.
   *
   * @return {@code <epoch seconds>.<nanos>.<id>}
   */
  public String token() {
    return at.getEpochSecond() + "." + at.getNano() + "." + id;
  }

  /**
   * Whether a dead letter comes after this position.
   *
   * @param d the dead letter
   * @return {@code true} when it is later
   */
  public boolean isBefore(DeadLetter d) {
    int byTime = d.deadLetteredAt().compareTo(at);
    return byTime > 0 || (byTime == 0 && Long.parseLong(d.id()) > id);
  }
}
