package io.relaybus.webhook.internal.member;

import io.relaybus.ops.Health;
import io.relaybus.spi.HealthGrace;
import io.relaybus.spi.MessageSink;
import io.relaybus.spi.TransportSubscription;
import io.relaybus.webhook.internal.outbox.Outbox;
import io.relaybus.webhook.internal.outbox.Route;
import io.relaybus.webhook.receiver.DedupeStore;
import io.relaybus.webhook.receiver.EmbeddedWebhookServer;
import io.relaybus.webhook.receiver.WebhookReceiver;
import io.relaybus.webhook.signature.WebhookSecret;
import io.relaybus.webhook.signature.WebhookVerifier;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This bus's embedded receiver for its group memberships: one {@link EmbeddedWebhookServer},
 * one route per member ({@code /relaybus/members/<id>}) served by a {@link WebhookReceiver}
 * that verifies with the group's secret and hands each delivery to the {@link Member}, and a
 * heartbeat that keeps the members registered in the outbox while the bus runs.
 */
public final class MemberReceiver implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(MemberReceiver.class);
  private static final String PATH = "/relaybus/members/";
  /**
   * The members verify and decode; a body limit would only refuse large events. A member must
   * take whatever a publisher may send: the largest max-event-size, 64 MiB, makes bodies of at
   * most 6 bytes per data byte (text of control characters, escaped by JSON) plus attributes.
   */
  private static final int MAX_BODY_BYTES = 1 << 30;

  private final Outbox outbox;
  private final Runnable routesChanged;
  private final Duration ttl;
  private final ExecutorService requests;
  private final EmbeddedWebhookServer server;
  private final ScheduledExecutorService heartbeat;
  private final String baseUrl;
  private final Map<String, Member> members = new ConcurrentHashMap<>();
  /** Fed by the heartbeats: a member whose registration cannot be refreshed stops receiving. */
  private final HealthGrace health;
  private volatile boolean closed;

  /**
   * Starts the receiver.
   *
   * @param outbox where members register and dead letters go
   * @param routesChanged called after a member joins or leaves, so the local dispatcher re-reads
   * @param host the address to bind
   * @param port the port, 0 for any
   * @param publicUrl the base URL others reach this receiver at, or {@code null} for the bound one
   * @param ttl how long a member stays registered without a heartbeat
   * @param threads names the receiver's threads
   * @param gracePeriod how long heartbeats may fail before the receiver's health is down
   */
  public MemberReceiver(Outbox outbox, Runnable routesChanged, String host, int port,
      String publicUrl, Duration ttl, Function<String, ThreadFactory> threads,
      Duration gracePeriod) {
    this.health = new HealthGrace("webhook.receiver", gracePeriod, Clock.systemUTC());
    this.outbox = outbox;
    this.routesChanged = routesChanged;
    this.ttl = ttl;
    // A request waits for the bus's outcome, so every delivery in flight holds a thread: the
    // pool grows with the members' capacity instead of queueing behind a fixed size.
    this.requests = Executors.newCachedThreadPool(threads.apply("receiver"));
    try {
      this.server = EmbeddedWebhookServer.builder().bindAddress(host).port(port).backlog(512)
          .executor(requests).shutdownGrace(Duration.ofSeconds(1)).start();
    } catch (UncheckedIOException e) {
      requests.shutdownNow();
      throw new UncheckedIOException(bindProblem(host, port, e), e.getCause());
    } catch (IllegalArgumentException e) {
      requests.shutdownNow();
      throw new IllegalArgumentException(bindProblem(host, port, e), e);
    }
    String bound = "http://" + hostForUrl(host) + ":" + server.port();
    this.baseUrl = publicUrl != null ? publicUrl.replaceAll("/+$", "") : bound;
    this.heartbeat = Executors.newSingleThreadScheduledExecutor(threads.apply("heartbeat"));
    long period = Math.max(100, ttl.toMillis() / 3);
    heartbeat.scheduleWithFixedDelay(this::beat, period, period, TimeUnit.MILLISECONDS);
  }

  private static String bindProblem(String host, int port, RuntimeException e) {
    return "Cannot start the webhook receiver on " + host + ":" + port
        + " (relaybus.webhook.receiver.host/port): " + e.getMessage();
  }

  private static String hostForUrl(String host) {
    if (host.equals("0.0.0.0") || host.isEmpty()) {
      return "127.0.0.1";
    }
    return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
  }

  /**
   * The base URL of this receiver.
   *
   * @return {@code http://host:port}
   */
  public String baseUrl() {
    return baseUrl;
  }

  /**
   * The receiver's health: up while the heartbeats of its members are stored; degraded from
   * the first failed one, down when they failed for the grace period (the members' registrations
   * then lapse and no delivery reaches them).
   *
   * @return the {@code webhook.receiver} component
   */
  public Health.Component health() {
    return health.component();
  }

  private void beat() {
    String failure = null;
    for (Member m : members.values()) {
      if (!m.closing()) {
        try {
          outbox.putMember(m.route(), m.url(), m.capacity(), ttl);
        } catch (RuntimeException e) {
          failure = "heartbeat of " + m + " failed: " + e.getMessage();
          LOG.warn("Heartbeat of {} failed (retried in {}ms): {}", m, ttl.toMillis() / 3,
              e.toString());
        }
      }
    }
    if (failure == null) {
      health.passed();
    } else {
      health.failed(failure);
    }
  }

  /**
   * Joins a group: registers the route (if new) and this member, and starts handing deliveries
   * to the sink.
   *
   * @param topic the topic
   * @param group the group
   * @param capacity the member's maxInFlight
   * @param sink the bus's sink
   * @return the member's handle
   */
  public TransportSubscription join(String topic, String group, int capacity, MessageSink sink) {
    String route = Route.groupRoute(group, topic);
    String secret = outbox.putGroup(group, topic, WebhookSecret.generate().format());
    String id = UUID.randomUUID().toString();
    String path = PATH + id;
    Member m = new Member(this, id, route, topic, group, baseUrl + path, capacity, sink);
    // No dedupe: the sender redelivers only what the bus has not acknowledged, and the bus
    // owns retries, so every request must reach it.
    server.addRoute(path, WebhookReceiver.builder()
        .verifier(WebhookVerifier.builder().secret(WebhookSecret.parse(secret)).build())
        .dedupeStore(DedupeStore.none())
        .maxBodyBytes(MAX_BODY_BYTES)
        .handler(m)
        .build());
    members.put(id, m);
    sink.onCapacity(m::capacityFreed);
    outbox.putMember(route, m.url(), capacity, ttl);
    routesChanged.run();
    return m;
  }

  Outbox outbox() {
    return outbox;
  }

  /** Unregisters a member that stops fetching; what still reaches it is given back. */
  void leave(Member m) {
    try {
      outbox.removeMember(m.route(), m.url());
    } catch (RuntimeException e) {
      LOG.warn("Could not unregister {} (it expires after {}): {}", m, ttl, e.toString());
    }
    routesChanged.run();
  }

  /**
   * Forgets a closed member. Its route stays one TTL longer, answering "released", for the
   * senders that have not yet re-read the group's members.
   */
  void closed(Member m) {
    members.remove(m.id());
    try {
      heartbeat.schedule(() -> server.removeRoute(PATH + m.id()), ttl.toMillis(),
          TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // the receiver is closing: the server goes with it
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    heartbeat.shutdownNow();
    for (Member m : members.values()) {
      m.close();
    }
    server.close();
    requests.shutdownNow();
  }
}
