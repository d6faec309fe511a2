package io.relaybus.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.RetryPolicy;
import io.relaybus.StartPosition;
import io.relaybus.SubscribeOptions;
import io.relaybus.Subscription;
import io.relaybus.ops.DeadLetterQuery;
import io.relaybus.ops.EventStatus.Consumption;
import io.relaybus.ops.GroupLag;
import io.relaybus.ops.Health;
import io.relaybus.ops.Operations;
import io.relaybus.ops.PartitionLag;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What the kit cannot see of the in-memory operations: events a member holds (in flight,
 * waiting for a retry) and events handed back by a closing member (pending, parked by key) are
 * lag and pending like those never fetched; groups that started later are not asked about older
 * events; foreign page tokens are refused.
 */
class MemoryOperationsTest {
  private static final Duration PATIENCE = Duration.ofSeconds(30);

  private final EventBus bus = EventBus.builder().transport("memory").build();
  private final Operations ops = bus.operations();

  @AfterEach
  void close() {
    bus.close();
  }

  private static Event event(String text, String key) {
    return Event.builder().source("/test").type("test").key(key).text(text).build();
  }

  @Test
  void eventsHeldByAMemberOrWaitingForARetryAreLagAndPending() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger handled = new AtomicInteger();
    bus.subscribe("t", SubscribeOptions.builder().group("g").concurrency(1).maxInFlight(3)
        .build(), d -> {
          release.await(PATIENCE.toSeconds(), TimeUnit.SECONDS);
          handled.incrementAndGet();
        });
    List<Event> events = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      events.add(event("e" + i, i % 2 == 0 ? "k" : null));
    }
    bus.publishAll("t", events).join();

    GroupLag lag = ops.lag("t", "g");
    assertThat(lag.depth()).isEqualTo(5);
    assertThat(lag.partitions()).extracting(PartitionLag::partition).containsExactly(0);
    assertThat(ops.event("t", events.get(0).id()).orElseThrow().groups())
        .isEqualTo(Map.of("g", Consumption.PENDING));
    release.countDown();
    await().atMost(PATIENCE).until(() -> handled.get() == 5);
    await().atMost(PATIENCE).until(() -> ops.lag("t", "g").depth() == 0);
    assertThat(ops.lag("t", "g").age()).isZero();
    assertThat(ops.event("t", events.get(0).id()).orElseThrow().groups())
        .isEqualTo(Map.of("g", Consumption.CONSUMED));
  }

  @Test
  void anEventWaitingForItsRetryIsLag() {
    AtomicInteger attempts = new AtomicInteger();
    bus.subscribe("t", SubscribeOptions.builder().group("g")
        .retryPolicy(RetryPolicy.builder().maxAttempts(2).fixedDelay(Duration.ofSeconds(2))
            .build()).build(), d -> {
              if (attempts.incrementAndGet() == 1) {
                throw new IllegalStateException("first attempt fails");
              }
            });
    Event e = event("retried", null);
    bus.publish("t", e).join();
    await().atMost(PATIENCE).until(() -> attempts.get() == 1);
    assertThat(ops.lag("t", "g").depth()).isEqualTo(1);
    assertThat(ops.event("t", e.id()).orElseThrow().groups())
        .isEqualTo(Map.of("g", Consumption.PENDING));
    await().atMost(PATIENCE).until(() -> attempts.get() == 2);
    await().atMost(PATIENCE).until(() -> ops.lag("t", "g").depth() == 0);
  }

  @Test
  void eventsHandedBackByAClosingMemberAreLagWithTheirPublishTime() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Subscription s = bus.subscribe("t", SubscribeOptions.builder().group("g").concurrency(1)
        .maxInFlight(10).build(), d -> {
          started.countDown();
          release.await(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        });
    List<Event> events = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      events.add(event("e" + i, i % 2 == 0 ? "k" : null));
    }
    bus.publishAll("t", events).join();
    assertThat(started.await(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();
    CompletableFuture<Void> closing = CompletableFuture.runAsync(() -> s.close(PATIENCE));
    await().atMost(PATIENCE).until(() -> s.inFlight() == 1); // the waiting five handed back
    release.countDown();
    closing.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);

    GroupLag lag = ops.lag("t", "g");
    assertThat(lag.depth()).as("handed back, not handled").isEqualTo(5);
    assertThat(lag.age()).isPositive();
    assertThat(ops.event("t", events.get(1).id()).orElseThrow().groups())
        .isEqualTo(Map.of("g", Consumption.PENDING));
    assertThat(ops.event("t", events.get(2).id()).orElseThrow().groups())
        .isEqualTo(Map.of("g", Consumption.PENDING));
    assertThat(ops.event("t", events.get(0).id()).orElseThrow().groups())
        .isEqualTo(Map.of("g", Consumption.CONSUMED));
  }

  @Test
  void aGroupThatStartedAfterAnEventIsNotAskedAboutIt() {
    Event before = event("before", null);
    bus.publish("t", before).join();
    bus.subscribe("t", SubscribeOptions.builder().group("late")
        .startPosition(StartPosition.LATEST).build(), d -> { });
    bus.subscribe("t", SubscribeOptions.builder().group("early")
        .startPosition(StartPosition.EARLIEST).build(), d -> { });
    Event after = event("after", null);
    bus.publish("t", after).join();

    await().atMost(PATIENCE).untilAsserted(() -> {
      assertThat(ops.event("t", before.id()).orElseThrow().groups())
          .isEqualTo(Map.of("early", Consumption.CONSUMED));
      assertThat(ops.event("t", after.id()).orElseThrow().groups())
          .isEqualTo(Map.of("early", Consumption.CONSUMED, "late", Consumption.CONSUMED));
    });
    assertThat(ops.event("t", after.id()).orElseThrow().location())
        .isEqualTo(Map.of("partition", "0", "sequence", "1"));
  }

  @Test
  void anUnknownGroupHasNoLagAndNoPartitions() {
    bus.publish("t", event("x", null)).join();
    GroupLag lag = ops.lag("t", "nobody");
    assertThat(lag.depth()).isZero();
    assertThat(lag.age()).isZero();
    assertThat(lag.partitions()).isEmpty();
  }

  @Test
  void aPageTokenThatIsNotOneOfOursIsRefusedNamingIt() {
    bus.publish("t", event("x", null)).join();
    for (String token : List.of("not base64!", "Zm9v", "MS4y")) {
      assertThatThrownBy(() -> ops.deadLetters(DeadLetterQuery.builder("t").after(token)
          .build())).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(token);
    }
  }

  @Test
  void healthIsOneComponentUpAndEndpointsAreNotSupported() {
    Health health = ops.health();
    assertThat(health.status()).isEqualTo(Health.Status.UP);
    assertThat(health.components()).extracting(Health.Component::name)
        .containsExactly("memory");
    assertThatThrownBy(ops::endpoints).isInstanceOf(UnsupportedOperationException.class)
        .hasMessageContaining("WEBHOOK_ENDPOINTS");
  }
}
