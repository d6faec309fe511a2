package io.relaybus.console;

import static org.awaitility.Awaitility.await;

import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.RetryPolicy;
import io.relaybus.SubscribeOptions;
import io.relaybus.Subscription;
import io.relaybus.test.PostgresServer;
import io.relaybus.test.RelaybusServers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A bus with groups in known states for the console to show: a group whose handler fails
 * events of type {@code order.failed} (without retries, so they become dead letters) while
 * {@link #failing} is set, and a group whose handler waits at a gate (so its lag grows until
 * the gate opens). Every event handled successfully is in {@link #delivered}.
 */
final class Scene implements AutoCloseable {
  static final Duration PATIENCE = Duration.ofSeconds(30);
  private static final AtomicInteger DATABASES = new AtomicInteger();

  final EventBus bus;
  final Set<String> delivered = ConcurrentHashMap.newKeySet();
  final AtomicBoolean failing = new AtomicBoolean(true);
  private volatile CountDownLatch gate = new CountDownLatch(0);
  private final List<Subscription> subscriptions = new ArrayList<>();

  private final String topicSuffix;

  private Scene(EventBus bus, String topicSuffix) {
    this.bus = bus;
    this.topicSuffix = topicSuffix;
  }

  /** The name of a topic of this scene: unique per scene where the broker is shared. */
  String topic(String name) {
    return name + topicSuffix;
  }

  static Scene memory() {
    return new Scene(EventBus.builder().transport("memory").build(), "");
  }

  static Scene postgres() {
    PostgresServer db = RelaybusServers.postgres()
        .createDatabase("console_" + ProcessHandle.current().pid() + "_"
            + DATABASES.incrementAndGet());
    Map<String, String> props = db.relaybusProperties();
    return new Scene(EventBus.create(props), "");
  }

  static Scene kafka() {
    Map<String, String> props = RelaybusServers.kafka().relaybusProperties();
    return new Scene(EventBus.create(props), "-" + ProcessHandle.current().pid() + "-"
        + DATABASES.incrementAndGet());
  }

  /**
   * The webhook transport with its durable outbox on the embedded PostgreSQL: groups are member
   * receivers on loopback, reached by the transport's own sender.
   */
  static Scene webhook() {
    PostgresServer db = RelaybusServers.postgres()
        .createDatabase("console_webhook_" + ProcessHandle.current().pid() + "_"
            + DATABASES.incrementAndGet());
    Map<String, String> props = new java.util.LinkedHashMap<>();
    props.put("relaybus.transport", "webhook");
    props.put("relaybus.webhook.outbox", "jdbc");
    props.put("relaybus.webhook.jdbc.url", db.jdbcUrl());
    props.put("relaybus.webhook.jdbc.user", db.user());
    props.put("relaybus.webhook.jdbc.password", db.password());
    props.put("relaybus.webhook.poll-interval", "50ms");
    props.put("relaybus.webhook.route-refresh", "100ms");
    return new Scene(EventBus.create(props), "");
  }

  /** Subscribes a group that dead-letters {@code order.failed} events while failing. */
  Scene failingGroup(String topic, String group) {
    subscriptions.add(bus.subscribe(topic, SubscribeOptions.builder().group(group)
        .retryPolicy(RetryPolicy.noRetries()).build(), d -> {
          if (failing.get() && d.event().type().equals("order.failed")) {
            throw new IllegalStateException("refused " + d.event().id() + ": card declined");
          }
          delivered.add(d.event().id());
        }));
    return this;
  }

  /** Subscribes a group whose handler waits while the gate is closed. */
  Scene gatedGroup(String topic, String group) {
    subscriptions.add(bus.subscribe(topic, SubscribeOptions.builder().group(group)
        .concurrency(1).build(), d -> {
          gate.await(PATIENCE.toSeconds(), TimeUnit.SECONDS);
          delivered.add(d.event().id());
        }));
    return this;
  }

  void closeGate() {
    gate = new CountDownLatch(1);
  }

  void openGate() {
    gate.countDown();
  }

  static Event order(String type, String json) {
    return Event.builder().source("/shop").type(type).header("tenant", "acme")
        .data(json.getBytes(StandardCharsets.UTF_8)).dataContentType("application/json")
        .build();
  }

  Event publish(String topic, Event e) {
    bus.publish(topic, e).join();
    return e;
  }

  /** Publishes n order.failed events and waits until the group has dead-lettered them. */
  List<Event> deadLetters(String topic, String group, int n, String customer) {
    List<Event> out = new ArrayList<>();
    long before = count(topic, group);
    for (int i = 0; i < n; i++) {
      out.add(publish(topic, order("order.failed", "{\"customer\":{\"id\":\"" + customer
          + "\"},\"n\":" + i + "}")));
    }
    await().atMost(PATIENCE).until(() -> count(topic, group) == before + n);
    return out;
  }

  long count(String topic, String group) {
    return bus.operations().deadLetterCounts(topic, group).values().stream()
        .mapToLong(Long::longValue).sum();
  }

  /** Closes every subscription of the scene: its groups have no running member left. */
  void closeSubscriptions() {
    openGate();
    subscriptions.forEach(Subscription::close);
    subscriptions.clear();
  }

  @Override
  public void close() {
    closeSubscriptions();
    bus.close();
  }
}
