package io.relaybus.ops;

import io.relaybus.BusClosedException;
import io.relaybus.DeadLetterReason;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Questions an operator asks of a running bus, the same on every transport. Obtained from
 * {@link io.relaybus.EventBus#operations()}. Every method reads or changes stored state only:
 * none of them starts, stops or joins a consumer group.
 *
 * <p>Operations a transport cannot answer are declared by a missing {@link
 * io.relaybus.Capability} ({@link io.relaybus.Capability#LAG LAG}, {@link
 * io.relaybus.Capability#EVENT_LOOKUP EVENT_LOOKUP}, {@link
 * io.relaybus.Capability#WEBHOOK_ENDPOINTS WEBHOOK_ENDPOINTS}, {@link
 * io.relaybus.Capability#DEAD_LETTERS DEAD_LETTERS}) and throw {@link
 * UnsupportedOperationException} naming the transport and the capability. Thread-safe; after the
 * bus is closed every method throws {@link BusClosedException}.
 */
public interface Operations {

  /**
   * The topics the transport knows: published to or subscribed to, and still stored.
   *
   * @return topic names, sorted
   */
  List<String> topics();

  /**
   * The consumer groups of a topic: every group with a stored position, also while none of its
   * members runs.
   *
   * @param topic the topic
   * @return group names, sorted; empty for an unknown topic
   */
  List<String> groups(String topic);

  /**
   * The running members of a consumer group: who they are, where they run, the partitions each
   * holds and when each was last seen alive. A member counts while the transport considers it
   * alive: it leaves the list when it closes, or when its liveness expires after a crash (the
   * transport's lease, session or registration timeout). Read from the transport's membership
   * record; cost is one query (or one broker round trip) per call.
   *
   * @param topic the topic
   * @param group the group
   * @return the members, sorted by id; empty for an unknown topic or group, or a group with no
   *     running member
   */
  List<GroupMember> members(String topic, String group);

  /**
   * How far behind a group is, per partition and in total: the events it has not finished,
   * and how long ago the oldest of them was published. Read from stored positions; cost is one
   * query (or one broker round trip) per call, never a scan of the events.
   *
   * @param topic the topic
   * @param group the group
   * @return the lag, measured now
   * @throws UnsupportedOperationException without {@link io.relaybus.Capability#LAG}
   */
  GroupLag lag(String topic, String group);

  /**
   * Dead letters matching a filter, one page at a time, oldest first.
   *
   * @param query the filter and the page
   * @return the page
   * @throws UnsupportedOperationException without {@link io.relaybus.Capability#DEAD_LETTERS}
   */
  DeadLetterPage deadLetters(DeadLetterQuery query);

  /**
   * How many dead letters a group has, per reason.
   *
   * @param topic the topic
   * @param group the group
   * @return count per reason; reasons without dead letters are absent
   * @throws UnsupportedOperationException without {@link io.relaybus.Capability#DEAD_LETTERS}
   */
  Map<DeadLetterReason, Long> deadLetterCounts(String topic, String group);

  /**
   * Publishes every dead letter matching the filter again to its group (attempts start at 1)
   * and removes it from the dead letters. The query's page ({@code limit}, {@code after}) is
   * ignored: every match is replayed.
   *
   * @param filter which dead letters
   * @return how many were replayed
   * @throws UnsupportedOperationException without {@link io.relaybus.Capability#DEAD_LETTERS}
   */
  long replayDeadLetters(DeadLetterQuery filter);

  /**
   * Deletes every dead letter matching the filter. The query's page is ignored.
   *
   * @param filter which dead letters
   * @return how many were deleted
   * @throws UnsupportedOperationException without {@link io.relaybus.Capability#DEAD_LETTERS}
   */
  long purgeDeadLetters(DeadLetterQuery filter);

  /**
   * Where an event is and, per group of its topic, whether that group consumed it, still has
   * it pending, or dead-lettered it.
   *
   * @param topic the topic
   * @param eventId the event's id
   * @return the status, empty when the event is not (or no longer) stored
   * @throws UnsupportedOperationException without {@link io.relaybus.Capability#EVENT_LOOKUP}
   */
  Optional<EventStatus> event(String topic, String eventId);

  /**
   * The webhook endpoints: state, circuit breaker and their most recent delivery attempts.
   *
   * @return the endpoints, sorted by name
   * @throws UnsupportedOperationException without
   *     {@link io.relaybus.Capability#WEBHOOK_ENDPOINTS}
   */
  List<EndpointStatus> endpoints();

  /**
   * The bus's health, per component, each with the reason when it is not up.
   *
   * @return the health, checked now or at the transport's last check
   */
  Health health();
}
