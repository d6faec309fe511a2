package io.relaybus;

import java.util.List;

/**
 * The dead letters of each topic and consumer group: list them, replay them to the group, or
 * purge them. Obtained from {@link EventBus#deadLetters()}; thread-safe.
 *
 * <p>A replayed event is delivered again to the same group only (not to other groups), with
 * attempt counting restarted at 1.
 *
 * <p>Once the bus is closed, every method throws {@link BusClosedException} naming the topic
 * and group; a {@code null} argument is refused with a {@link NullPointerException} naming it.
 */
public interface DeadLetters {

  /**
   * Lists a group's dead letters, oldest first.
   *
   * @param topic the topic
   * @param group the consumer group
   * @param limit the maximum number returned, at least 1
   * @return the dead letters, possibly empty
   * @throws InvalidNameException when the topic or group name is invalid
   */
  List<DeadLetter> list(String topic, String group, int limit);

  /**
   * Counts a group's dead letters.
   *
   * @param topic the topic
   * @param group the consumer group
   * @return the number of dead letters
   */
  long count(String topic, String group);

  /**
   * Replays one dead letter: removes it and delivers its event to the group again.
   *
   * @param topic the topic
   * @param group the consumer group
   * @param deadLetterId the {@link DeadLetter#id()}
   * @return {@code true} when it existed and was replayed, {@code false} when no such dead
   *     letter exists (for example it was replayed already)
   */
  boolean replay(String topic, String group, String deadLetterId);

  /**
   * Replays every dead letter of the group, oldest first.
   *
   * @param topic the topic
   * @param group the consumer group
   * @return how many were replayed
   */
  int replayAll(String topic, String group);

  /**
   * Deletes every dead letter of the group without delivering them.
   *
   * @param topic the topic
   * @param group the consumer group
   * @return how many were deleted
   */
  int purge(String topic, String group);
}
