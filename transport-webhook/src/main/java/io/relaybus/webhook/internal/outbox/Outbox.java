package io.relaybus.webhook.internal.outbox;

import io.relaybus.DeadLetter;
import io.relaybus.DeadLetterReason;
import io.relaybus.Event;
import io.relaybus.webhook.EndpointState;
import io.relaybus.ops.DeadLetterQuery;
import io.relaybus.webhook.WebhookEndpoint;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.Map;

/**
 * The store of routes, deliveries, attempts and dead letters. Thread-safe. Implementations:
 * {@link MemoryOutbox}, {@link JdbcOutbox}.
 */
public interface Outbox extends AutoCloseable {

  /**
   * Stores one delivery per enabled-or-not route matching the topic (disabled routes keep their
   * deliveries), atomically for all events.
   *
   * @param topic the topic
   * @param events the events
   * @return how many deliveries were written
   */
  int publish(String topic, List<Event> events);

  /**
   * Stores the deliveries of a publish like {@link #publish}, possibly together with other
   * publishes (one commit for many); the future completes once they are stored (durably, for a
   * durable outbox).
   *
   * @param topic the topic
   * @param events the events
   * @return how many deliveries were written
   */
  default CompletableFuture<Integer> publishAsync(String topic, List<Event> events) {
    try {
      return CompletableFuture.completedFuture(publish(topic, events));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Adds or replaces a configured endpoint, keeping its state.
   *
   * @param endpoint the endpoint
   */
  void putEndpoint(WebhookEndpoint endpoint);

  /**
   * Adds a group route if absent; its signing secret is generated once and shared by every
   * member.
   *
   * @param group the group
   * @param topic the topic
   * @param secret the secret to use when the route is new
   * @return the route's secret
   */
  String putGroup(String group, String topic, String secret);

  /**
   * Removes a route and its pending deliveries.
   *
   * @param name the route
   * @return {@code true} when it existed
   */
  boolean removeRoute(String name);

  /**
   * Sets a route's state.
   *
   * @param name the route
   * @param state the state
   * @param reason why
   * @return {@code true} when it exists
   */
  boolean setState(String name, EndpointState state, String reason);

  /**
   * Registers or refreshes a group member.
   *
   * @param route the group route
   * @param url the member URL
   * @param capacity its capacity
   * @param ttl how long it counts as live without another refresh
   */
  void putMember(String route, String url, int capacity, Duration ttl);

  /**
   * Removes a group member.
   *
   * @param route the group route
   * @param url the member URL
   */
  void removeMember(String route, String url);

  /**
   * Every route, with live members.
   *
   * @return the routes
   */
  List<Route> routes();

  /**
   * Pending deliveries of a route, claimed or not.
   *
   * @param route the route
   * @return the count
   */
  long pending(String route);

  /**
   * Claims due, unleased deliveries of one route, oldest first, leasing them.
   *
   * @param route the route
   * @param max the most to claim
   * @param ordered when {@code true}, claim only the route's oldest delivery, and only when it is
   *     due and not leased
   * @param byKey when {@code true}, claim a delivery with an event key only when no older
   *     delivery of the same key is pending for the route (claimed or not): per-key order. Such
   *     (group) deliveries claimed after a lapsed lease count a handler attempt: the sender died
   *     with the request in flight, and the member may have run the handler
   * @param lease how long the claim holds
   * @return the claimed deliveries
   */
  List<OutboxDelivery> claim(String route, int max, boolean ordered, boolean byKey,
      Duration lease);

  /**
   * Records successful deliveries ({@link #succeeded(List)}) and then claims like {@link
   * #claim}, in one call: a durable outbox makes it one statement, so a sender pays one round
   * trip for a round's outcomes and its next claim. The successes are recorded whether or not
   * the claim finds anything; when the call throws, neither happened. The claim treats the
   * recorded deliveries as gone (an ordered route's next delivery, a key's next event, is
   * claimable in the same call).
   *
   * @param succeeded the successful attempts to record first, one per delivery
   * @param route the route
   * @param max the most to claim
   * @param ordered as for {@link #claim}
   * @param byKey as for {@link #claim}
   * @param lease how long the claim holds
   * @return the claimed deliveries
   */
  default List<OutboxDelivery> succeededAndClaim(List<AttemptRecord> succeeded, String route,
      int max, boolean ordered, boolean byKey, Duration lease) {
    succeeded(succeeded);
    return claim(route, max, ordered, byKey, lease);
  }

  /**
   * Extends the leases of deliveries this outbox's sender still has in flight, so a request may
   * run longer than one lease while a sender that dies loses its claims after at most one lease.
   * Deliveries finished meanwhile, or claimed by another sender after the lease ran out, are
   * left alone.
   *
   * @param ids the deliveries in flight
   * @param lease the new lease, from now
   */
  void renew(Collection<Long> ids, Duration lease);

  /**
   * The delivery succeeded: delete it and record the attempt.
   *
   * @param attempt the attempt
   */
  void succeeded(AttemptRecord attempt);

  /**
   * Several deliveries succeeded: {@link #succeeded(AttemptRecord)} for each, in one
   * transaction where the store has them (all recorded, or none and the call throws).
   *
   * @param attempts the attempts, one per delivery
   */
  default void succeeded(List<AttemptRecord> attempts) {
    for (AttemptRecord a : attempts) {
      succeeded(a);
    }
  }

  /**
   * Records an attempt of a delivery that is not in the outbox (a test event) among a route's
   * attempts, where {@link #attempts} lists it and {@code attempt-retention} prunes it.
   *
   * @param route the route
   * @param attempt the attempt
   */
  void recordAttempt(String route, AttemptRecord attempt);

  /**
   * The attempt failed: record it, count it, release the lease and make it due at {@code due}.
   *
   * @param attempt the attempt
   * @param due when to try again
   * @param handlerAttempt the next handler attempt for a group delivery
   * @param counted whether the attempt counts toward exhaustion
   */
  void failed(AttemptRecord attempt, Instant due, int handlerAttempt, boolean counted);

  /**
   * The delivery is given up: record the attempt, delete the delivery and store a dead letter
   * under (topic, group-or-endpoint), in one transaction where possible.
   *
   * @param attempt the last attempt
   * @param delivery the delivery
   * @param group the dead letter's group (a group's name or the endpoint's name)
   * @param reason why
   * @param attempts how many attempts were made
   * @param lastError the last failure
   */
  void deadLetterDelivery(AttemptRecord attempt, OutboxDelivery delivery, String group,
      DeadLetterReason reason, int attempts, String lastError);

  /**
   * Stores a dead letter decided by a receiving group member.
   *
   * @param topic the topic
   * @param group the group
   * @param event the event
   * @param reason why
   * @param attempts handler invocations
   * @param lastError the last failure
   */
  void deadLetter(String topic, String group, Event event, DeadLetterReason reason, int attempts,
      String lastError);

  /**
   * Dead letters matching a filter (its page is ignored), oldest first: by dead-lettering time,
   * then id.
   *
   * @param filter topic, group or endpoint, event id, type, reason, time range
   * @param after only dead letters after this position, or {@code null} for all
   * @param limit the most returned
   * @return oldest first
   */
  List<DeadLetter> deadLetters(DeadLetterQuery filter, DeadLetterCursor after, int limit);

  /**
   * Counts a group's or endpoint's dead letters per reason.
   *
   * @param topic the topic
   * @param group the group or endpoint
   * @return count per reason, reasons without dead letters absent
   */
  Map<DeadLetterReason, Long> deadLetterCounts(String topic, String group);

  /**
   * Removes dead letters and writes a fresh delivery of each event to the route, in id order,
   * atomically. Ids that do not exist (or belong to another topic or group) are skipped.
   *
   * @param topic the topic
   * @param group the group or endpoint
   * @param ids the dead letter ids
   * @param route the route to deliver to
   * @return how many were replayed
   */
  int replay(String topic, String group, List<String> ids, String route);

  /**
   * Deletes the dead letters matching a filter (its page is ignored).
   *
   * @param filter which dead letters
   * @return how many
   */
  int purge(DeadLetterQuery filter);

  /**
   * The pending deliveries of one route for one topic, claimed or not.
   *
   * @param route the route
   * @param topic the topic
   * @return how many, and when the oldest was written
   */
  Backlog backlog(String route, String topic);

  /**
   * Every topic the outbox knows: named by a route (not {@code *}), or with pending deliveries
   * or dead letters.
   *
   * @return the topics, sorted
   */
  List<String> topics();

  /**
   * What the outbox still knows of one event: its pending deliveries, its dead letters and the
   * routes with a successful attempt recorded (kept for the attempt retention).
   *
   * @param topic the topic
   * @param eventId the event id
   * @param routes the routes whose attempt log to search
   * @return the trace
   */
  EventTrace trace(String topic, String eventId, Collection<String> routes);

  /**
   * Keeps the store's query planning honest about how many deliveries it holds (called
   * periodically by each sender; nothing to do for most stores).
   *
   * @return whether it corrected anything
   */
  default boolean correctRowEstimate() {
    return false;
  }

  /**
   * Writes out as rows the packed events of routes that no longer take packs (an endpoint that
   * became ordered while another process published); called every second.
   *
   * @return how many events it wrote out
   */
  default long writeOutStrayPacks() {
    return 0;
  }

  /**
   * Fails when the store cannot be reached (a health check; nothing is changed).
   *
   * @throws RuntimeException when it cannot be reached
   */
  void check();

  /**
   * The recorded attempts of deliveries to a route (for diagnostics and tests).
   *
   * @param route the route
   * @param limit the most returned
   * @param newestFirst {@code true} for the latest attempts, newest first; {@code false} for
   *     the earliest, oldest first
   * @return the attempts
   */
  List<AttemptRecord> attempts(String route, int limit, boolean newestFirst);

  /**
   * Deletes recorded attempts older than {@code attemptRetention} and members expired for
   * longer than a minute.
   *
   * @param attemptRetention how long attempts are kept
   * @return how many rows were deleted
   */
  int prune(Duration attemptRetention);

  /**
   * Whether deliveries survive a crash of this process.
   *
   * @return {@code true} for the JDBC store
   */
  boolean durable();

  /** Releases connections. Idempotent. */
  @Override
  void close();
}
