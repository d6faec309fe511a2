package io.relaybus.webhook;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.relaybus.DeadLetterReason;
import io.relaybus.Event;
import io.relaybus.ops.DeadLetterPage;
import io.relaybus.ops.DeadLetterQuery;
import io.relaybus.ops.EventStatus;
import io.relaybus.ops.EventStatus.Consumption;
import io.relaybus.ops.GroupLag;
import io.relaybus.ops.GroupMember;
import io.relaybus.ops.Health;
import io.relaybus.ops.Operations;
import io.relaybus.ops.PartitionLag;
import io.relaybus.webhook.internal.dispatch.OutboxDispatcher;
import io.relaybus.webhook.internal.outbox.AttemptRecord;
import io.relaybus.webhook.internal.outbox.Backlog;
import io.relaybus.webhook.internal.outbox.EventTrace;
import io.relaybus.webhook.internal.outbox.Outbox;
import io.relaybus.webhook.internal.outbox.OutboxDelivery;
import io.relaybus.webhook.internal.outbox.Route;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The operations API over the outbox. A topic's "groups" are its consumer groups (group routes
 * {@code <group>@<topic>}) and the endpoints its events go to: each has its own deliveries, lag
 * and dead letters, and a name that every group argument accepts. Where a group and an endpoint
 * share a name on one topic, the group is meant. Lag has one partition, 0: a route's deliveries
 * are one queue. The bus has checked arguments, that it is open and the capability.
 */
final class WebhookOperations implements Operations {
  /** Attempts shown per endpoint by {@link #endpoints()}. */
  static final int RECENT_ATTEMPTS = 10;
  /** The source of the test events {@link #testEndpoint} sends. */
  static final String TEST_SOURCE = "/relaybus/operations";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Outbox outbox;
  private final WebhookDeadLetters deadLetters;
  private final OutboxDispatcher dispatcher;
  private final WebhookHealth health;
  private final WebhookEndpoints switches;

  WebhookOperations(Outbox outbox, WebhookDeadLetters deadLetters, OutboxDispatcher dispatcher,
      WebhookHealth health, WebhookEndpoints switches) {
    this.outbox = outbox;
    this.deadLetters = deadLetters;
    this.dispatcher = dispatcher;
    this.health = health;
    this.switches = switches;
  }

  @Override
  public List<String> topics() {
    return outbox.topics();
  }

  @Override
  public List<String> groups(String topic) {
    TreeSet<String> out = new TreeSet<>();
    for (Route r : outbox.routes()) {
      if (r.matches(topic)) {
        out.add(r.isGroup() ? r.group() : r.name());
      }
    }
    return List.copyOf(out);
  }

  /** The name of the route a group argument means on a topic: its group route, or the endpoint. */
  private static Optional<Route> routeOf(List<Route> routes, String topic, String group) {
    Route endpoint = null;
    for (Route r : routes) {
      if (r.isGroup() && r.topic().equals(topic) && r.group().equals(group)) {
        return Optional.of(r);
      }
      if (!r.isGroup() && r.name().equals(group)) {
        endpoint = r;
      }
    }
    return Optional.ofNullable(endpoint);
  }

  /**
   * {@inheritDoc}
   *
   * <p>The live members of the group's route, each by its receiver URL, running on that URL's
   * host and port. Deliveries of a group are one queue handed to its members in turn, so each
   * holds partition 0. Registrations do not record a last-seen time: {@code lastSeen} is empty.
   * An endpoint's name, accepted as a group elsewhere, has no members.
   */
  @Override
  public List<GroupMember> members(String topic, String group) {
    Optional<Route> route = routeOf(outbox.routes(), topic, group).filter(Route::isGroup);
    if (route.isEmpty()) {
      return List.of();
    }
    List<GroupMember> members = new ArrayList<>();
    for (Route.Member m : route.get().members()) {
      URI url = URI.create(m.url());
      members.add(new GroupMember(m.url(), Optional.of(url.getAuthority()),
          List.of(0), Optional.empty()));
    }
    members.sort(Comparator.comparing(GroupMember::id));
    return List.copyOf(members);
  }

  @Override
  public GroupLag lag(String topic, String group) {
    String route = routeOf(outbox.routes(), topic, group).map(Route::name)
        .orElse(Route.groupRoute(group, topic));
    Backlog b = outbox.backlog(route, topic);
    return GroupLag.of(topic, group, List.of(new PartitionLag(0, b.depth(), b.age())),
        Instant.now());
  }

  @Override
  public DeadLetterPage deadLetters(DeadLetterQuery query) {
    return deadLetters.page(query);
  }

  @Override
  public Map<DeadLetterReason, Long> deadLetterCounts(String topic, String group) {
    return deadLetters.counts(topic, group);
  }

  @Override
  public long replayDeadLetters(DeadLetterQuery filter) {
    return deadLetters.replay(filter);
  }

  @Override
  public long purgeDeadLetters(DeadLetterQuery filter) {
    return deadLetters.purge(filter);
  }

  /**
   * Per group and endpoint of the topic: pending while a delivery of the event waits for it,
   * else a dead letter while one of it is stored, else consumed when a 2xx attempt is in the
   * attempt log (kept for {@code attempt-retention}; the memory outbox keeps the latest 10,000
   * attempts). A route with none of these is left out; no route at all means empty.
   */
  @Override
  public Optional<EventStatus> event(String topic, String eventId) {
    Map<String, String> groupOfRoute = new HashMap<>();
    for (Route r : outbox.routes()) {
      if (r.matches(topic)) {
        groupOfRoute.put(r.name(), r.isGroup() ? r.group() : r.name());
      }
    }
    EventTrace trace = outbox.trace(topic, eventId, groupOfRoute.keySet());
    Map<String, Consumption> groups = new TreeMap<>();
    trace.deliveredRoutes().forEach(route ->
        groups.put(groupOfRoute.getOrDefault(route, route), Consumption.CONSUMED));
    trace.deadLetterGroups().forEach(g -> groups.put(g, Consumption.DEAD_LETTER));
    trace.pending().keySet().forEach(route -> {
      String g = groupOfRoute.get(route);
      if (g != null) {
        groups.put(g, Consumption.PENDING);
      }
    });
    if (groups.isEmpty()) {
      return Optional.empty();
    }
    long pending = trace.pending().values().stream().mapToLong(Long::longValue).sum();
    return Optional.of(new EventStatus(topic, eventId, Map.of(
        "outbox", outbox.durable() ? "jdbc" : "memory",
        "pendingDeliveries", Long.toString(pending),
        "deadLetters", Integer.toString(trace.deadLetterGroups().size())), groups));
  }

  @Override
  public List<io.relaybus.ops.EndpointStatus> endpoints() {
    List<io.relaybus.ops.EndpointStatus> out = new ArrayList<>();
    for (Route r : outbox.routes()) {
      if (r.isGroup()) {
        continue;
      }
      List<io.relaybus.ops.EndpointStatus.Attempt> attempts = new ArrayList<>();
      for (AttemptRecord a : outbox.attempts(r.name(), RECENT_ATTEMPTS, true)) {
        attempts.add(new io.relaybus.ops.EndpointStatus.Attempt(
            a.eventId() == null ? "" : a.eventId(), a.startedAt(), a.attempt(), a.status(),
            a.duration().toMillis(), Optional.ofNullable(a.error())));
      }
      out.add(new io.relaybus.ops.EndpointStatus(r.name(), r.endpoint().url().toString(),
          List.copyOf(new TreeSet<>(r.endpoint().topics())), r.state() == EndpointState.ENABLED,
          breaker(dispatcher.breakerState(r.name())), outbox.pending(r.name()), attempts));
    }
    out.sort((a, b) -> a.name().compareTo(b.name()));
    return out;
  }

  /**
   * {@inheritDoc}
   *
   * <p>The event's source is {@value #TEST_SOURCE}, its topic the endpoint's first topic (by
   * name; {@code relaybus.test} for an endpoint of every topic), its data JSON naming the
   * endpoint. The attempt is recorded under delivery id 0: it is no delivery of the outbox.
   */
  @Override
  public io.relaybus.ops.EndpointStatus.Attempt testEndpoint(String name) {
    Route route = null;
    for (Route r : outbox.routes()) {
      if (!r.isGroup() && r.name().equals(name)) {
        route = r;
      }
    }
    if (route == null) {
      throw new IllegalArgumentException("No webhook endpoint named '" + name + "'");
    }
    String topic = new TreeSet<>(route.endpoint().topics()).first();
    if (topic.equals(WebhookEndpoint.ALL_TOPICS)) {
      topic = TEST_EVENT_TYPE;
    }
    Event event = Event.builder().source(TEST_SOURCE).type(TEST_EVENT_TYPE)
        .dataContentType("application/json").data(testData(name)).build();
    AttemptRecord a = dispatcher.sendTest(route,
        new OutboxDelivery(0, route.name(), topic, event, 0, 1));
    return new io.relaybus.ops.EndpointStatus.Attempt(event.id(), a.startedAt(), a.attempt(),
        a.status(), a.duration().toMillis(), Optional.ofNullable(a.error()));
  }

  private static byte[] testData(String endpoint) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("test", true);
    data.put("endpoint", endpoint);
    data.put("message", "A test event sent by an operator: no action is needed.");
    try {
      return JSON.writeValueAsBytes(data);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("Cannot write the test event's data", e);
    }
  }

  @Override
  public void enableEndpoint(String name) {
    switches.enable(name);
  }

  @Override
  public void disableEndpoint(String name) {
    switches.disable(name);
  }

  /** {@code CLOSED}, {@code OPEN}, {@code HALF_OPEN} as the API spells them. */
  static String breaker(String state) {
    return state.toLowerCase(Locale.ROOT).replace('_', '-');
  }

  @Override
  public Health health() {
    return health.health();
  }
}
