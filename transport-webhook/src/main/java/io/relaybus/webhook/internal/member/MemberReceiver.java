package io.relaybus.webhook.internal.member;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.relaybus.DeadLetterReason;
import io.relaybus.Event;
import io.relaybus.spi.Errors;
import io.relaybus.spi.InboundMessage;
import io.relaybus.spi.MessageSink;
import io.relaybus.spi.TransportSubscription;
import io.relaybus.webhook.internal.dispatch.DeliveryRequests;
import io.relaybus.webhook.internal.outbox.Outbox;
import io.relaybus.webhook.internal.outbox.Route;
import io.relaybus.webhook.payload.WebhookPayloads;
import io.relaybus.webhook.signature.WebhookHeaders;
import io.relaybus.webhook.signature.WebhookSecret;
import io.relaybus.webhook.signature.WebhookVerificationException;
import io.relaybus.webhook.signature.WebhookVerifier;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This bus's embedded receiver for its group memberships: one JDK HTTP server, one path per
 * member ({@code /relaybus/members/<id>}), and a heartbeat that keeps the members registered in
 * the outbox while the bus runs.
 */
public final class MemberReceiver implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(MemberReceiver.class);
  private static final String PATH = "/relaybus/members/";

  private final Outbox outbox;
  private final Runnable routesChanged;
  private final Duration ttl;
  private final HttpServer server;
  private final ExecutorService handlers;
  private final ScheduledExecutorService heartbeat;
  private final String baseUrl;
  private final Map<String, Member> members = new ConcurrentHashMap<>();
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
   */
  public MemberReceiver(Outbox outbox, Runnable routesChanged, String host, int port,
      String publicUrl, Duration ttl, java.util.function.Function<String, ThreadFactory> threads) {
    this.outbox = outbox;
    this.routesChanged = routesChanged;
    this.ttl = ttl;
    try {
      this.server = HttpServer.create(new InetSocketAddress(host, port), 512);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot start the webhook receiver on " + host + ":" + port
          + " (relaybus.webhook.receiver.host/port): " + e.getMessage(), e);
    }
    this.handlers = Executors.newCachedThreadPool(threads.apply("receiver"));
    server.setExecutor(handlers);
    server.createContext(PATH, this::handle);
    server.start();
    String bound = "http://" + hostForUrl(host) + ":" + server.getAddress().getPort();
    this.baseUrl = publicUrl != null ? publicUrl.replaceAll("/+$", "") : bound;
    this.heartbeat = Executors.newSingleThreadScheduledExecutor(threads.apply("heartbeat"));
    long period = Math.max(100, ttl.toMillis() / 3);
    heartbeat.scheduleWithFixedDelay(this::beat, period, period, TimeUnit.MILLISECONDS);
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

  private void beat() {
    for (Member m : members.values()) {
      if (!m.closing) {
        try {
          outbox.putMember(m.route, m.url, m.capacity, ttl);
        } catch (RuntimeException e) {
          LOG.warn("Heartbeat of {} failed (retried in {}ms): {}", m, ttl.toMillis() / 3,
              e.toString());
        }
      }
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
    WebhookVerifier verifier = WebhookVerifier.builder().secret(WebhookSecret.parse(secret))
        .build();
    String id = UUID.randomUUID().toString();
    Member m = new Member(id, route, topic, group, baseUrl + PATH + id, capacity, sink,
        verifier);
    members.put(id, m);
    sink.onCapacity(m::capacityFreed);
    outbox.putMember(route, m.url, capacity, ttl);
    routesChanged.run();
    return m;
  }

  private void handle(HttpExchange ex) {
    try (ex) {
      String id = ex.getRequestURI().getPath().substring(PATH.length());
      Member m = members.get(id);
      byte[] body;
      try (InputStream in = ex.getRequestBody()) {
        body = in.readAllBytes();
      }
      int attempt = parse(ex.getRequestHeaders().getFirst(WebhookHeaders.ATTEMPT), 1);
      if (!"POST".equals(ex.getRequestMethod())) {
        respond(ex, 405, null);
        return;
      }
      if (m == null) {
        release(ex, attempt);
        return;
      }
      try {
        m.verifier.verify(ex.getRequestHeaders().getFirst(WebhookHeaders.ID),
            ex.getRequestHeaders().getFirst(WebhookHeaders.TIMESTAMP),
            ex.getRequestHeaders().getFirst(WebhookHeaders.SIGNATURE), body);
      } catch (WebhookVerificationException e) {
        LOG.warn("Refused a delivery to {}: {}", m, e.getMessage());
        respond(ex, 401, "signature not verified");
        return;
      }
      Event event;
      try {
        event = WebhookPayloads.decode(ex.getRequestHeaders(), body).event();
      } catch (RuntimeException e) {
        respond(ex, 400, "unreadable event: " + e.getMessage());
        return;
      }
      Message msg = new Message(m, event, attempt);
      if (!m.submit(msg)) {
        release(ex, attempt);
        return;
      }
      Outcome o = msg.outcome.join();
      switch (o.kind) {
        case DONE -> respond(ex, 204, null);
        case RELEASED -> release(ex, o.nextAttempt);
        default -> respond(ex, 500, o.error);
      }
    } catch (IOException | RuntimeException e) {
      LOG.debug("Webhook receiver request failed: {}", e.toString());
    }
  }

  private static void release(HttpExchange ex, int nextAttempt) throws IOException {
    ex.getResponseHeaders().set(DeliveryRequests.RELEASE_HEADER, "1");
    ex.getResponseHeaders().set(DeliveryRequests.NEXT_ATTEMPT_HEADER,
        Integer.toString(nextAttempt));
    ex.getResponseHeaders().set("Retry-After", "0");
    respond(ex, 503, "released");
  }

  private static void respond(HttpExchange ex, int status, String text) throws IOException {
    byte[] b = text == null ? new byte[0] : text.getBytes(StandardCharsets.UTF_8);
    ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
    if (b.length > 0) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(b);
      }
    }
  }

  private static int parse(String v, int fallback) {
    try {
      return v == null ? fallback : Math.max(1, Integer.parseInt(v.trim()));
    } catch (NumberFormatException e) {
      return fallback;
    }
  }

  private enum Kind { DONE, RELEASED, FAILED }

  private record Outcome(Kind kind, int nextAttempt, String error) {}

  /** One group membership of this bus. */
  private final class Member implements TransportSubscription {
    final String id;
    final String route;
    final String topic;
    final String group;
    final String url;
    final int capacity;
    final MessageSink sink;
    final WebhookVerifier verifier;
    volatile boolean closing;

    Member(String id, String route, String topic, String group, String url, int capacity,
        MessageSink sink, WebhookVerifier verifier) {
      this.verifier = verifier;
      this.id = id;
      this.route = route;
      this.topic = topic;
      this.group = group;
      this.url = url;
      this.capacity = capacity;
      this.sink = sink;
    }

    /** Waits for capacity and submits; false when the member is closing. */
    synchronized boolean submit(Message msg) {
      while (!closing && sink.capacity() <= 0) {
        try {
          wait(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
      if (closing) {
        return false;
      }
      sink.submit(msg);
      return true;
    }

    synchronized void capacityFreed() {
      notifyAll();
    }

    @Override
    public void stopFetching() {
      synchronized (this) {
        closing = true;
        notifyAll();
      }
      try {
        outbox.removeMember(route, url);
      } catch (RuntimeException e) {
        LOG.warn("Could not unregister {} (it expires after {}): {}", this, ttl, e.toString());
      }
      routesChanged.run();
    }

    @Override
    public void close() {
      if (!closing) {
        stopFetching();
      }
      members.remove(id);
    }

    @Override
    public String toString() {
      return "member " + id + " of group '" + group + "' on topic '" + topic + "'";
    }
  }

  /** One delivery handed to the bus; the HTTP request waits for its outcome. */
  private final class Message implements InboundMessage {
    final Member member;
    final Event event;
    final int attempt;
    volatile int nextAttempt;
    final CompletableFuture<Outcome> outcome = new CompletableFuture<>();

    Message(Member member, Event event, int attempt) {
      this.member = member;
      this.event = event;
      this.attempt = attempt;
      this.nextAttempt = attempt;
    }

    @Override
    public Event event() {
      return event;
    }

    @Override
    public int attempt() {
      return attempt;
    }

    @Override
    public Map<String, String> metadata() {
      return Map.of("member", member.id);
    }

    @Override
    public void ack() {
      outcome.complete(new Outcome(Kind.DONE, 0, null));
    }

    @Override
    public void retrying(int failedAttempt, Throwable error, Duration delay) {
      nextAttempt = failedAttempt + 1;
    }

    @Override
    public void deadLetter(DeadLetterReason reason, int attempts, Throwable lastError) {
      try {
        outbox.deadLetter(member.topic, member.group, event, reason, attempts,
            Errors.describe(lastError));
        outcome.complete(new Outcome(Kind.DONE, 0, null));
      } catch (RuntimeException e) {
        LOG.warn("Could not store dead letter of event {} (group '{}'); the sender will retry: "
            + "{}", event.id(), member.group, e.toString());
        outcome.complete(new Outcome(Kind.FAILED, 0, "dead letter not stored"));
      }
    }

    @Override
    public void release() {
      outcome.complete(new Outcome(Kind.RELEASED, nextAttempt, null));
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
    server.stop(1);
    handlers.shutdownNow();
  }
}
