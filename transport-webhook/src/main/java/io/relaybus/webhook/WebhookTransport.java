package io.relaybus.webhook;

import io.relaybus.BusClosedException;
import io.relaybus.Capabilities;
import io.relaybus.Capability;
import io.relaybus.DeadLetters;
import io.relaybus.Event;
import io.relaybus.PublishReceipt;
import io.relaybus.SubscribeOptions;
import io.relaybus.ops.Operations;
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
import io.relaybus.webhook.internal.outbox.Outbox;
import io.relaybus.webhook.internal.outbox.Route;
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
            Capability.EVENT_LOOKUP, Capability.WEBHOOK_ENDPOINTS)
        : Capabilities.of(Capability.CONSUMER_GROUPS, Capability.BACKLOG,
            Capability.DEAD_LETTERS, Capability.ORDERED_BY_KEY, Capability.LAG,
            Capability.EVENT_LOOKUP, Capability.WEBHOOK_ENDPOINTS))
        .withMaxEventSize(settings.maxEventSize);
    this.deadLetters = new WebhookDeadLetters(outbox, dispatcher::wake);
    this.gracePeriod = settings.healthGracePeriod;
    this.health = new WebhookHealth(outbox, dispatcher, () -> receiver, gracePeriod,
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
      List<PublishReceipt> receipts = new ArrayList<>(events.size());
      String position = "deliveries=" + deliveries;
      for (Event e : events) {
        receipts.add(new PublishReceipt(topic, e.id(), position));
      }
      return receipts;
    });
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
