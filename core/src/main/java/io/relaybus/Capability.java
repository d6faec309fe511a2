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
  /**
   * Failed events are kept as dead letters that can be listed, replayed and purged, one by one
   * and by filter ({@link io.relaybus.ops.Operations#deadLetters}).
   */
  DEAD_LETTERS,
  /**
   * A group's lag can be measured: depth and age of the oldest unfinished event, per partition
   * ({@link io.relaybus.ops.Operations#lag}).
   */
  LAG,
  /**
   * A stored event can be found by id, with what each group did with it ({@link
   * io.relaybus.ops.Operations#event}).
   */
  EVENT_LOOKUP,
  /**
   * Webhook endpoints with their state, breaker and recent attempts ({@link
   * io.relaybus.ops.Operations#endpoints}).
   */
  WEBHOOK_ENDPOINTS
}
