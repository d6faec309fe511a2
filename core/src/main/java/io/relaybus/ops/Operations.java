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

  /** The type of the event {@link #testEndpoint} sends. */
  String TEST_EVENT_TYPE = "relaybus.test";

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
   * Sends one test event to a webhook endpoint now and waits for its answer, whatever the
   * endpoint's state and circuit breaker: an event of type {@value #TEST_EVENT_TYPE} with a
   * fresh id and small JSON data saying it is a test, built, signed and sent exactly as the
   * endpoint's deliveries are (its payload mode, secret, headers, timeout and address
   * checks). The attempt is recorded among the endpoint's {@link EndpointStatus#recentAttempts()
   * recent attempts}; nothing retries it, and it changes neither the endpoint's state nor its
   * circuit breaker. The default implementation throws {@link UnsupportedOperationException}:
   * transports without webhook endpoints need not implement it.
   *
   * @param name the endpoint's name
   * @return the attempt: the test event's id, HTTP status (0 when no response came), latency
   *     and error
   * @throws IllegalArgumentException naming the endpoint when there is none of that name
   * @throws UnsupportedOperationException without
   *     {@link io.relaybus.Capability#WEBHOOK_ENDPOINTS}
   */
  default EndpointStatus.Attempt testEndpoint(String name) {
    throw noEndpoints("send a test event to webhook endpoint '" + name + "'");
  }

  /**
   * Enables a webhook endpoint (also one disabled by a {@code 410 Gone}): its kept deliveries
   * are sent. The default implementation throws {@link UnsupportedOperationException}.
   *
   * @param name the endpoint's name
   * @throws IllegalArgumentException naming the endpoint when there is none of that name
   * @throws UnsupportedOperationException without
   *     {@link io.relaybus.Capability#WEBHOOK_ENDPOINTS}
   */
  default void enableEndpoint(String name) {
    throw noEndpoints("enable webhook endpoint '" + name + "'");
  }

  /**
   * Disables a webhook endpoint: nothing is sent to it, its deliveries are kept. The default
   * implementation throws {@link UnsupportedOperationException}.
   *
   * @param name the endpoint's name
   * @throws IllegalArgumentException naming the endpoint when there is none of that name
   * @throws UnsupportedOperationException without
   *     {@link io.relaybus.Capability#WEBHOOK_ENDPOINTS}
   */
  default void disableEndpoint(String name) {
    throw noEndpoints("disable webhook endpoint '" + name + "'");
  }

  /** What the webhook-endpoint operations throw on a transport without webhook endpoints. */
  private static UnsupportedOperationException noEndpoints(String operation) {
    return new UnsupportedOperationException("Cannot " + operation + ": the transport does not "
        + "declare " + io.relaybus.Capability.WEBHOOK_ENDPOINTS);
  }

  /**
   * The bus's health, per component, each with the reason when it is not up.
   *
   * @return the health, checked now or at the transport's last check
   */
  Health health();
}
