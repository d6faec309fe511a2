package io.relaybus.webhook;

import io.relaybus.BusClosedException;
import io.relaybus.Capabilities;
import io.relaybus.Capability;
import io.relaybus.DeadLetters;
import io.relaybus.Event;
import io.relaybus.PublishReceipt;
import io.relaybus.RelaybusException;
import io.relaybus.SubscribeOptions;
import io.relaybus.ops.Operations;
import io.relaybus.spi.CallerTransactionPublish;
import io.relaybus.spi.HealthGrace;
import io.relaybus.spi.Instrumentation;
import io.relaybus.spi.MessageSink;
import io.relaybus.spi.Transport;
import io.relaybus.spi.TransportContext;
import io.relaybus.spi.TransportSubscription;
import io.relaybus.webhook.internal.dispatch.HttpDeliveryRequests;
import io.relaybus.webhook.internal.dispatch.OutboxDispatcher;
import io.relaybus.webhook.internal.member.MemberReceiver;
import io.relaybus.webhook.net.SsrfGuardDns;
import io.relaybus.webhook.net.SsrfGuardSocketFactory;
import io.relaybus.webhook.internal.outbox.AttemptRecord;
import io.relaybus.webhook.internal.outbox.JdbcOutbox;
import io.relaybus.webhook.internal.outbox.Outbox;
import io.relaybus.webhook.internal.outbox.Route;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.net.SocketFactory;
import okhttp3.ConnectionPool;
import okhttp3.Dispatcher;
import okhttp3.OkHttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The webhook transport: publishing writes one delivery per matching endpoint or consumer group
 * to the outbox and completes once they are stored; a dispatcher sends them asynchronously with
 * retries, and a bus that subscribes receives its group's deliveries on an embedded HTTP
 * receiver. Reach the endpoint API with {@code bus.unwrap(WebhookTransport.class).endpoints()}.
 */
public final class WebhookTransport implements Transport {

  private static final Logger LOG = LoggerFactory.getLogger(WebhookTransport.class);

  private final WebhookSettings settings;
  private final TransportContext context;
  private final Outbox outbox;
  private final ExecutorService httpThreads;
  private final OkHttpClient endpointClient;
  private final OkHttpClient groupClient;
  private final OutboxDispatcher dispatcher;
  private final Capabilities capabilities;
  private final WebhookDeadLetters deadLetters;
  private final Duration gracePeriod;
  private final WebhookHealth health;
  /** The LISTEN connection's health component, or {@code null} without one. */
  private final HealthGrace listenHealth;
  /** The bus's instrumentations, for the publish into the caller's transaction; or null. */
  private final Instrumentation instrumentation;
  private volatile AutoCloseable listener;
  private final Operations operations;
  private final Endpoints endpoints = new Endpoints();
  private final Object receiverLock = new Object();
  private volatile MemberReceiver receiver;
  private volatile boolean closed;

  WebhookTransport(WebhookSettings settings, TransportContext context, Outbox outbox) {
    this.settings = settings;
    this.context = context;
    this.outbox = outbox;
    this.httpThreads = Executors.newCachedThreadPool(context.threadFactory("http"));
    Dispatcher calls = new Dispatcher(httpThreads);
    // Per-endpoint limits are ours (concurrency, breaker, rate); OkHttp's per-host limit of 5
    // would let one hanging endpoint starve every other endpoint on the same host.
    calls.setMaxRequests(100_000);
    calls.setMaxRequestsPerHost(100_000);
    Duration connect = settings.dispatcher.connectTimeout();
    this.groupClient = new OkHttpClient.Builder()
        .dispatcher(calls)
        .connectionPool(new ConnectionPool(64, 5, TimeUnit.MINUTES))
        .retryOnConnectionFailure(false)
        .followRedirects(false)
        .followSslRedirects(false)
        .connectTimeout(connect)
        .socketFactory(new NoDelaySocketFactory(SocketFactory.getDefault()))
        .build();
    // Configured endpoints go through the SSRF guard at connect time (every resolved address,
    // and IP literals at the socket); group members are this library's own receivers, reached
    // over loopback or the network their public-url names.
    this.endpointClient = groupClient.newBuilder()
        .dns(new SsrfGuardDns(settings.ssrf))
        .socketFactory(new NoDelaySocketFactory(new SsrfGuardSocketFactory(settings.ssrf)))
        .build();
    this.dispatcher = new OutboxDispatcher(outbox, settings.dispatcher, endpointClient,
        groupClient, new HttpDeliveryRequests(), context.threadFactory("dispatcher"));
    this.capabilities = (outbox.durable()
        ? Capabilities.of(Capability.PERSISTENT, Capability.CONSUMER_GROUPS, Capability.BACKLOG,
            Capability.DEAD_LETTERS, Capability.ORDERED_BY_KEY, Capability.LAG,
            Capability.EVENT_LOOKUP, Capability.WEBHOOK_ENDPOINTS,
            Capability.TRANSACTIONAL_PUBLISH)
        : Capabilities.of(Capability.CONSUMER_GROUPS, Capability.BACKLOG,
            Capability.DEAD_LETTERS, Capability.ORDERED_BY_KEY, Capability.LAG,
            Capability.EVENT_LOOKUP, Capability.WEBHOOK_ENDPOINTS))
        .withMaxEventSize(settings.maxEventSize);
    this.deadLetters = new WebhookDeadLetters(outbox, dispatcher::wake);
    this.gracePeriod = settings.healthGracePeriod;
    this.instrumentation = context.instrumentation();
    this.listenHealth = outbox instanceof JdbcOutbox && !settings.jdbcPollOnly
        ? WebhookHealth.listenComponent() : null;
    this.health = new WebhookHealth(outbox, dispatcher, () -> receiver, listenHealth,
        gracePeriod,
        settings.dispatcher.breakerThreshold(), context.threadFactory("health"));
    this.operations = new WebhookOperations(outbox, deadLetters, dispatcher, health,
        endpoints);
    try {
      for (Map.Entry<String, WebhookEndpoint> e : settings.endpoints.entrySet()) {
        outbox.putEndpoint(e.getValue());
        if (!settings.endpointEnabled.getOrDefault(e.getKey(), true)) {
          outbox.setState(e.getKey(), EndpointState.DISABLED, "disabled in configuration");
        }
      }
    } catch (RuntimeException e) {
      close();
      throw e;
    }
    dispatcher.start();
    if (listenHealth != null) {
      listener = ((JdbcOutbox) outbox).listen(dispatcher::wake, listenHealth,
          WebhookHealth.checkPeriod(gracePeriod), context.threadFactory("listen"));
    }
  }

  /**
   * The endpoint API.
   *
   * @return the endpoints of this sender
   */
  public WebhookEndpoints endpoints() {
    return endpoints;
  }

  /**
   * Whether the outbox survives a crash of this process ({@code relaybus.webhook.outbox=jdbc}).
   *
   * @return {@code true} for the JDBC outbox
   */
  public boolean isDurable() {
    return outbox.durable();
  }

  @Override
  public Capabilities capabilities() {
    return capabilities;
  }

  @Override
  public CompletableFuture<List<PublishReceipt>> publish(String topic, List<Event> events) {
    CompletableFuture<Integer> written;
    try {
      written = outbox.publishAsync(topic, events);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    return written.thenApply(deliveries -> {
      if (deliveries > 0) {
        dispatcher.wake();
      }
      return receipts(topic, events, deliveries);
    });
  }

  /**
   * Publishes events inside the caller's transaction (transactional outbox, JDBC outbox only):
   * their deliveries are stored when the caller commits, and never when it rolls back, so an
   * order row and the webhook announcing it are both written or neither. The connection is
   * neither committed nor closed; it must reach the outbox's database (the DataSource given to
   * {@link WebhookTransportProvider#withDataSource}, or the database of {@code jdbc.url}).
   *
   * <p>Senders learn of the deliveries at commit through a PostgreSQL notification on a LISTEN
   * connection each holds; with {@code relaybus.webhook.jdbc.poll-only=true} they find them
   * within {@code poll-interval}. Deliveries take their ids, and so their place in an ordered
   * endpoint's or a key's order, when this insert runs, not when the caller commits.
   *
   * <p>The bus's instrumentations observe this publish as they observe {@code bus.publish}: a
   * tracing instrumentation adds the caller's trace context to the stored events and a metrics
   * one counts them. The publish completes for them when the insert succeeded, before the caller
   * commits or rolls back.
   *
   * @param connection a connection to the outbox's database, usually with auto-commit off
   * @param topic the topic
   * @param events the events
   * @return receipts ({@code deliveries=N}: how many endpoint and group deliveries were
   *     written), valid once the caller commits
   * @throws io.relaybus.InvalidNameException when the topic name is invalid
   * @throws io.relaybus.EventTooLargeException when an event is over {@code max-event-size};
   *     nothing is inserted
   * @throws IllegalStateException with the memory outbox ({@code relaybus.webhook.outbox}
   *     is not {@code jdbc}): there is no database to share a transaction with
   * @throws RelaybusException when the insert fails; the caller should roll back
   * @throws BusClosedException when the bus is closed
   */
  public List<PublishReceipt> publish(Connection connection, String topic, List<Event> events) {
    Objects.requireNonNull(connection, "connection");
    CallerTransactionPublish.requireArguments(topic, events);
    ensureOpen("publish to topic '" + topic + "'");
    if (!(outbox instanceof JdbcOutbox jdbc)) {
      throw new IllegalStateException("Cannot publish to topic '" + topic + "' inside the "
          + "caller's transaction: " + WebhookSettings.OUTBOX + " is memory, which keeps "
          + "deliveries in this JVM; set " + WebhookSettings.OUTBOX + "=jdbc (or give a "
          + "DataSource with WebhookTransportProvider.withDataSource)");
    }
    return CallerTransactionPublish.observed(WebhookTransportProvider.NAME, capabilities,
        instrumentation, topic, events, checked -> insert(jdbc, connection, topic, checked));
  }

  private static List<PublishReceipt> insert(JdbcOutbox jdbc, Connection connection,
      String topic, List<Event> events) {
    int deliveries;
    try {
      deliveries = jdbc.publish(connection, topic, events);
    } catch (SQLException e) {
      throw new RelaybusException("Publishing " + events.size() + " event(s) to topic '"
          + topic + "' in the caller's transaction failed: " + e.getMessage(), e);
    }
    return receipts(topic, events, deliveries);
  }

  private static List<PublishReceipt> receipts(String topic, List<Event> events,
      int deliveries) {
    List<PublishReceipt> receipts = new ArrayList<>(events.size());
    String position = "deliveries=" + deliveries;
    for (Event e : events) {
      receipts.add(new PublishReceipt(topic, e.id(), position));
    }
    return receipts;
  }

  @Override
  public TransportSubscription subscribe(String topic, SubscribeOptions options,
      MessageSink sink) {
    return receiver().join(topic, options.group(), options.maxInFlight(), sink);
  }

  private MemberReceiver receiver() {
    MemberReceiver r = receiver;
    if (r == null) {
      synchronized (receiverLock) {
        r = receiver;
        if (r == null) {
          r = new MemberReceiver(outbox, dispatcher::refreshRoutes, settings.receiverHost,
              settings.receiverPort, settings.receiverPublicUrl, settings.memberTtl,
              context::threadFactory, gracePeriod);
          receiver = r;
          // A member's claims lapse with its membership: a SIGKILLed member-and-sender's
          // in-flight deliveries move to a live member one TTL after its last heartbeat.
          dispatcher.limitLease(settings.memberTtl);
          LOG.info("Webhook receiver for this bus's subscriptions listens at {}", r.baseUrl());
        }
      }
    }
    return r;
  }

  @Override
  public DeadLetters deadLetters() {
    return deadLetters;
  }

  /**
   * The operations API: topics, groups and endpoints of a topic, lag, dead letters by filter,
   * event lookup, endpoints and health (see {@code docs/webhooks.md}, "Operations").
   */
  @Override
  public Operations operations() {
    return operations;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    AutoCloseable l = listener;
    if (l != null) {
      try {
        l.close();
      } catch (Exception e) {
        LOG.debug("Stopping the webhook outbox LISTEN connection failed", e);
      }
    }
    if (health != null) {
      health.close();
    }
    if (dispatcher != null) {
      dispatcher.close(Duration.ofSeconds(10));
    }
    MemberReceiver r = receiver;
    if (r != null) {
      r.close();
    }
    httpThreads.shutdownNow();
    groupClient.connectionPool().evictAll();
    endpointClient.connectionPool().evictAll();
    outbox.close();
  }

  private void ensureOpen(String operation) {
    if (closed) {
      throw new BusClosedException("Cannot " + operation + ": the webhook event bus is closed");
    }
  }

  private EndpointStatus status(Route r) {
    return new EndpointStatus(r.endpoint(), r.state(), r.stateReason(),
        dispatcher.breakerState(r.name()), outbox.pending(r.name()));
  }

  /** The endpoint API over the outbox. */
  private final class Endpoints implements WebhookEndpoints {
    @Override
    public void add(WebhookEndpoint endpoint) {
      Objects.requireNonNull(endpoint, "endpoint");
      ensureOpen("add webhook endpoint '" + endpoint.name() + "'");
      settings.ssrf.checkUrl(endpoint.url().toString());
      outbox.putEndpoint(endpoint);
      dispatcher.refreshRoutes();
    }

    @Override
    public boolean remove(String name) {
      Objects.requireNonNull(name, "name");
      ensureOpen("remove webhook endpoint '" + name + "'");
      Optional<EndpointStatus> existing = get(name);
      boolean removed = existing.isPresent() && outbox.removeRoute(name);
      dispatcher.refreshRoutes();
      return removed;
    }

    @Override
    public List<EndpointStatus> list() {
      ensureOpen("list the webhook endpoints");
      List<EndpointStatus> out = new ArrayList<>();
      for (Route r : outbox.routes()) {
        if (!r.isGroup()) {
          out.add(status(r));
        }
      }
      return out;
    }

    @Override
    public Optional<EndpointStatus> get(String name) {
      Objects.requireNonNull(name, "name");
      ensureOpen("read webhook endpoint '" + name + "'");
      for (Route r : outbox.routes()) {
        if (!r.isGroup() && r.name().equals(name)) {
          return Optional.of(status(r));
        }
      }
      return Optional.empty();
    }

    private void setState(String name, EndpointState state, String reason) {
      Objects.requireNonNull(name, "name");
      ensureOpen((state == EndpointState.ENABLED ? "enable" : "disable")
          + " webhook endpoint '" + name + "'");
      if (get(name).isEmpty() || !outbox.setState(name, state, reason)) {
        throw new IllegalArgumentException("No webhook endpoint named '" + name + "'");
      }
      dispatcher.refreshRoutes();
    }

    @Override
    public void enable(String name) {
      setState(name, EndpointState.ENABLED, "enabled through the API");
    }

    @Override
    public void disable(String name) {
      setState(name, EndpointState.DISABLED, "disabled through the API");
    }

    @Override
    public List<DeliveryAttempt> attempts(String name, int limit) {
      Objects.requireNonNull(name, "name");
      ensureOpen("list the delivery attempts of webhook endpoint '" + name + "'");
      List<DeliveryAttempt> out = new ArrayList<>();
      for (AttemptRecord a : outbox.attempts(name, limit, false)) {
        out.add(new DeliveryAttempt(a.deliveryId(), a.attempt(), a.startedAt(), a.duration(),
            a.status(), a.error(), a.eventId(), a.webhookId()));
      }
      return out;
    }
  }
}
