package io.relaybus;

/**
 * A guarantee a transport may declare. The compatibility kit runs the tests each declared
 * capability promises.
 */
public enum Capability {
  /** Published events survive a restart of the application process and of the server. */
  PERSISTENT,
  /**
   * Consumer groups: every group receives every event; inside a group each event goes to one
   * member.
   */
  CONSUMER_GROUPS,
  /**
   * A later event with the same key is not handed to a group's handler before the earlier one
   * is acknowledged or dead-lettered.
   */
  ORDERED_BY_KEY,
  /** A new group can start from {@link StartPosition#EARLIEST} and read retained history. */
  REPLAY,
  /** A group receives, when a member starts, the events published while none of its members ran. */
  BACKLOG,
  /** Publishing can join the caller's own database transaction. */
  TRANSACTIONAL_PUBLISH,
  /** Failed events are kept as dead letters that can be listed, replayed and purged. */
  DEAD_LETTERS
}
