package io.relaybus.bench;

import io.relaybus.EventBus;
import io.relaybus.webhook.WebhookEndpoint;
import io.relaybus.webhook.WebhookEndpoints;
import io.relaybus.webhook.WebhookTransport;
import io.relaybus.webhook.signature.WebhookSecret;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The webhook transport ({@code --transport webhook}) against a raw OkHttp POST loop
 * ({@link WebhookRawBaseline}); both sides post to the same kind of loopback receiver
 * ({@link HttpStampReceiver}) with the same number of requests in flight.
 *
 * <p>Two Relaybus paths, chosen with {@code --set relaybus.bench.webhook.mode=...}:
 *
 * <ul>
 *   <li>{@code endpoint} (default), the comparison the issue asks for: {@code bus.publish}
 *       writes to the outbox, the dispatcher signs (Standard Webhooks, HMAC-SHA256) and posts to
 *       an endpoint added for the measurement ({@value #CONCURRENCY_KEY}, default 8, requests
 *       in flight) that points at a receiver of this benchmark; the receiver's handling is the
 *       "consume". "Publish" rows then time the outbox write, not the delivery.</li>
 *   <li>{@code group}: the generic harness path, {@code bus.subscribe} in a consumer group; the
 *       bus's own embedded member receiver verifies every request and runs the handler through
 *       the delivery engine before answering. A different, heavier path.</li>
 * </ul>
 *
 * <p>{@code --set relaybus.webhook.outbox=jdbc} uses the durable PostgreSQL outbox; its
 * connection keys are filled in from the benchmark's PostgreSQL (embedded, or
 * {@code RELAYBUS_BENCH_POSTGRES_URL}) unless given. Other {@code relaybus.webhook.*} keys
 * configure the bus.
 */
public final class WebhookTarget implements TransportTarget {
  /** {@code endpoint} (default) or {@code group}. */
  public static final String MODE_KEY = "relaybus.bench.webhook.mode";
  /** Requests in flight to the benchmark endpoint; also the receiver's thread count. */
  public static final String CONCURRENCY_KEY = "relaybus.bench.webhook.concurrency";

  /** Creates the target; used by {@link java.util.ServiceLoader}. */
  public WebhookTarget() {}

  @Override
  public String name() {
    return "webhook";
  }

  @Override
  public String description() {
    return "Relaybus EventBus, webhook transport: publish/publishAll to the outbox, signed "
        + "delivery to an endpoint on a loopback receiver (or bus.subscribe with mode=group)";
  }

  @Override
  public EventBus createBus(Map<String, String> settings) {
    Map<String, String> props = new LinkedHashMap<>();
    props.put("relaybus.webhook.ssrf.allow-categories", "loopback");
    boolean jdbc = "jdbc".equals(settings.get("relaybus.webhook.outbox"));
    if (jdbc && !settings.containsKey("relaybus.webhook.jdbc.url")) {
      PostgresServer server = PostgresServer.get();
      props.put("relaybus.webhook.jdbc.url", server.url());
      props.put("relaybus.webhook.jdbc.user", server.user());
      if (!server.password().isEmpty()) {
        props.put("relaybus.webhook.jdbc.password", server.password());
      }
    }
    settings.forEach((k, v) -> {
      if (!k.startsWith("relaybus.bench.")) {
        props.put(k, v);
      }
    });
    return BenchInstrumentation.apply(EventBus.builder(), settings).transport("webhook")
        .properties(props).build();
  }

  @Override
  public MessagingSession openRelaybus(SessionSpec spec) {
    String mode = spec.settings().getOrDefault(MODE_KEY, "endpoint").trim();
    if (mode.equals("group")) {
      return TransportTarget.super.openRelaybus(spec);
    }
    if (!mode.equals("endpoint")) {
      throw new IllegalArgumentException(MODE_KEY + " must be endpoint or group, got '" + mode
          + "'");
    }
    String value = spec.settings().getOrDefault(CONCURRENCY_KEY, "8");
    int concurrency;
    try {
      concurrency = Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      concurrency = 0;
    }
    if (concurrency < 1) {
      throw new IllegalArgumentException(CONCURRENCY_KEY + " must be a positive integer, got '"
          + value + "'");
    }
    return new EndpointSession(createBus(spec.settings()), spec, concurrency,
        new HttpStampReceiver(concurrency));
  }

  @Override
  public RawBaseline rawBaseline() {
    return new WebhookRawBaseline();
  }

  /**
   * The raw loop posting the same signed Standard Webhooks request as Relaybus; compared in
   * the same run by {@link WebhookComparison}.
   *
   * @return the baseline
   */
  public RawBaseline signedRawBaseline() {
    return new WebhookRawBaseline("signed");
  }

  /**
   * Publishes through the bus ({@link RelaybusSession}) to an endpoint named after the topic
   * that points at this session's receiver; the receiver's handling is the consumption. The
   * endpoint is disabled until {@link #startConsumers} (its deliveries are kept, as a publish
   * stores them), so a publish-only measurement measures the durable write alone, as the other
   * transports' publish-only runs have no consumer working beside them.
   */
  static final class EndpointSession implements MessagingSession {
    private final HttpStampReceiver receiver;
    private final RelaybusSession publisher;
    private final WebhookEndpoints endpoints;
    private final String endpoint;

    EndpointSession(EventBus bus, SessionSpec spec, int concurrency,
        HttpStampReceiver receiver) {
      this.receiver = receiver;
      this.publisher = new RelaybusSession(bus, spec);
      this.endpoints = bus.unwrap(WebhookTransport.class).endpoints();
      this.endpoint = spec.topic();
      endpoints.add(WebhookEndpoint.builder(endpoint)
          .url(receiver.baseUrl() + spec.topic())
          .topics(spec.topic())
          .secret(WebhookSecret.generate().format())
          .concurrency(concurrency)
          .timeout(Duration.ofSeconds(30))
          .build());
      endpoints.disable(endpoint);
    }

    @Override
    public void startConsumers(ConsumerSpec spec, StampListener listener) {
      receiver.listen(listener);
      endpoints.enable(endpoint);
    }

    @Override
    public void publish(long stampNanos) {
      publisher.publish(stampNanos);
    }

    @Override
    public void publishBatch(long stampNanos, int count) {
      publisher.publishBatch(stampNanos, count);
    }

    @Override
    public void awaitPublished(Duration timeout) {
      publisher.awaitPublished(timeout);
    }

    @Override
    public void close() {
      try {
        endpoints.remove(endpoint); // drops what a publish-only run left in a shared outbox
      } finally {
        try {
          publisher.close();
        } finally {
          receiver.close();
        }
      }
    }
  }
}
