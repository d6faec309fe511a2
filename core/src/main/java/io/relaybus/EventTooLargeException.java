package io.relaybus;

/**
 * Thrown by {@link Publisher#publish publish} and {@link Publisher#publishAll publishAll}, before
 * anything is written, when an event is larger than the transport's maximum event size
 * ({@link Capabilities#maxEventSize()}), or a batch larger than its maximum batch size
 * ({@link Capabilities#maxBatchSize()}). A refused batch is refused whole: none of its events
 * is stored. The message names the topic, the event, its size, the limit and the key that
 * raises it.
 */
public class EventTooLargeException extends RelaybusException {
  private static final long serialVersionUID = 1L;

  private final String topic;
  private final String eventId;
  private final long size;
  private final long limit;

  /**
   * Creates the exception.
   *
   * @param message what was refused and how to raise the limit
   * @param topic the topic published to
   * @param eventId the id of the event too large, or {@code null} when a batch's total is
   * @param size the event's (or the batch's) size in bytes
   * @param limit the limit it exceeds, in bytes
   */
  public EventTooLargeException(String message, String topic, String eventId, long size,
      long limit) {
    super(message);
    this.topic = topic;
    this.eventId = eventId;
    this.size = size;
    this.limit = limit;
  }

  /**
   * The topic published to.
   *
   * @return the topic
   */
  public String topic() {
    return topic;
  }

  /**
   * The id of the event that is too large.
   *
   * @return the id, or {@code null} when the batch as a whole is too large
   */
  public String eventId() {
    return eventId;
  }

  /**
   * The size of the event ({@link Event#size()}), or of the whole batch.
   *
   * @return bytes
   */
  public long size() {
    return size;
  }

  /**
   * The limit exceeded.
   *
   * @return bytes
   */
  public long limit() {
    return limit;
  }
}
