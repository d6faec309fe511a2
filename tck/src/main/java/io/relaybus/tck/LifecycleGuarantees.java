package io.relaybus.tck;

import static io.relaybus.tck.TransportCompatibilityKit.textEvent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.relaybus.BusClosedException;
import io.relaybus.Capability;
import io.relaybus.DeadLetters;
import io.relaybus.EventBus;
import io.relaybus.EventHandler;
import io.relaybus.StartPosition;
import io.relaybus.Subscription;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A member's life (semantics rules 8, 9, 13 and 14): it starts on the group's backlog or at its
 * start position, holds no more than its bounds while it runs, and closes without losing or
 * repeating what its handlers finished.
 */
abstract class LifecycleGuarantees extends GuaranteeFamily {

  LifecycleGuarantees(TransportCompatibilityKit kit) {
    super(kit);
  }

  @Test
  @DisplayName("a group receives, when a member starts, what was published while none of its "
      + "members ran")
  void backlogIsDeliveredWhenSubscriberStarts() {
    EventBus bus = bus();
    assumeCapability(bus, Capability.BACKLOG);
    String topic = uniqueName("t");
    String group = uniqueName("g");
    Recorder first = new Recorder();
    Subscription s = bus.subscribe(topic, options(group).build(), d -> first.record("1", d));
    publishTexts(bus, topic, 0, 10, null);
    await().atMost(patience()).until(() -> first.distinct() == 10);
    s.close();

    publishTexts(bus, topic, 10, 60, null);
    Recorder second = new Recorder();
    bus.subscribe(topic, options(group).build(), d -> second.record("2", d));
    await().atMost(patience()).until(() -> second.distinct() == 50);
    awaitQuietly(() -> assertThat(second.invocations()).isEqualTo(50));
    assertThat(second.all()).extracting(Recorder.Seen::text)
        .allSatisfy(t -> assertThat(Integer.parseInt(t)).isBetween(10, 59));
  }

  @Test
  @DisplayName("resubscribing continues where the group stopped: subscribe, close, resubscribe "
      + "three times without loss")
  void resubscribeContinuesWithoutLoss() {
    EventBus bus = bus();
    String topic = uniqueName("t");
    String group = uniqueName("g");
    Recorder recorder = new Recorder();
    EventHandler handler = d -> recorder.record("m", d);
    for (int round = 0; round < 3; round++) {
      Subscription s = bus.subscribe(topic, options(group).build(), handler);
      publishTexts(bus, topic, round * 30, round * 30 + 30, "k" + round);
      int expected = (round + 1) * 30;
      await().atMost(patience()).until(() -> recorder.distinct() == expected);
      s.close();
    }
    assertThat(recorder.invocations()).isEqualTo(90);
  }

  @Test
  @DisplayName("a group that has never consumed the topic starts at EARLIEST (retained history) "
      + "or LATEST (only events published after subscribe returns)")
  void earliestVersusLatestForNewGroup() {
    EventBus bus = bus();
    assumeCapability(bus, Capability.REPLAY);
    String topic = uniqueName("t");
    publishTexts(bus, topic, 0, 20, null);
    Recorder earliest = new Recorder();
    Recorder latest = new Recorder();
    bus.subscribe(topic, options(uniqueName("early")).startPosition(StartPosition.EARLIEST)
        .build(), d -> earliest.record("e", d));
    bus.subscribe(topic, options(uniqueName("late")).startPosition(StartPosition.LATEST)
        .build(), d -> latest.record("l", d));
    publishTexts(bus, topic, 20, 25, null);
    await().atMost(patience()).until(() -> earliest.distinct() == 25 && latest.distinct() == 5);
    awaitQuietly(() -> assertThat(latest.invocations()).isEqualTo(5));
    assertThat(latest.all()).extracting(Recorder.Seen::text)
        .containsExactlyInAnyOrder("20", "21", "22", "23", "24");
  }

  @Test
  @DisplayName("backpressure: a member holds at most maxInFlight events fetched but unfinished "
      + "and runs at most concurrency handlers at once")
  void backpressureBoundsInFlight() throws Exception {
    EventBus bus = bus();
    String topic = uniqueName("t");
    int maxInFlight = 10;
    int concurrency = 2;
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger running = new AtomicInteger();
    AtomicInteger maxRunning = new AtomicInteger();
    AtomicInteger handled = new AtomicInteger();
    Subscription s = bus.subscribe(topic, options(uniqueName("g")).concurrency(concurrency)
        .maxInFlight(maxInFlight).build(), d -> {
          maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
          try {
            release.await(patience().toSeconds(), TimeUnit.SECONDS);
          } finally {
            running.decrementAndGet();
            handled.incrementAndGet();
          }
        });
    publishTexts(bus, topic, 0, 200, null);
    AtomicLong maxSeen = new AtomicLong();
    await().atMost(patience()).until(() -> {
      maxSeen.accumulateAndGet(s.inFlight(), Math::max);
      return s.inFlight() == maxInFlight;
    });
    awaitQuietly(() -> {
      maxSeen.accumulateAndGet(s.inFlight(), Math::max);
      assertThat(s.inFlight()).isEqualTo(maxInFlight);
      assertThat(running.get()).isEqualTo(concurrency);
    });
    release.countDown();
    await().atMost(patience()).until(() -> handled.get() == 200);
    assertThat(maxSeen.get()).isLessThanOrEqualTo(maxInFlight);
    assertThat(maxRunning.get()).isLessThanOrEqualTo(concurrency);
  }

  @Test
  @DisplayName("graceful close waits for running handlers and records their outcome: nothing is "
      + "handled after close returns, and a new member continues without loss or repeat")
  void closeWhileHandlersInFlight() {
    EventBus bus = bus();
    String topic = uniqueName("t");
    String group = uniqueName("g");
    int total = 200;
    AtomicBoolean closed = new AtomicBoolean();
    List<String> afterClose = new CopyOnWriteArrayList<>();
    Recorder firstMember = new Recorder();
    AtomicInteger started = new AtomicInteger();
    List<String> interrupted = new CopyOnWriteArrayList<>();
    Subscription s = bus.subscribe(topic, options(group).concurrency(4).maxInFlight(16).build(),
        d -> {
          if (closed.get()) {
            afterClose.add(d.event().id());
          }
          started.incrementAndGet();
          try {
            Thread.sleep(20); // in-flight work that close must wait for
          } catch (InterruptedException e) {
            interrupted.add(d.event().id());
            throw e;
          }
          firstMember.record("first", d);
        });
    publishTexts(bus, topic, 0, total, null);
    await().atMost(patience()).until(() -> firstMember.distinct() >= 20);
    s.close(Duration.ofSeconds(20));
    closed.set(true);
    int handledBeforeClose = firstMember.invocations();
    assertThat(interrupted).as("handlers interrupted although the close timeout was ample")
        .isEmpty();
    assertThat(handledBeforeClose).as("handlers that started before close returned and finished")
        .isEqualTo(started.get());
    awaitQuietly(() -> {
      assertThat(afterClose).as("handler invocations after close returned").isEmpty();
      assertThat(firstMember.invocations()).isEqualTo(handledBeforeClose);
    });
    assertThat(handledBeforeClose).isLessThan(total);

    Recorder secondMember = new Recorder();
    bus.subscribe(topic, options(group).build(), d -> secondMember.record("second", d));
    await().atMost(patience()).until(() ->
        firstMember.distinct() + secondMember.distinct() == total);
    awaitQuietly(() -> assertThat(secondMember.invocations())
        .isEqualTo(total - handledBeforeClose));
    Set<String> overlap = new HashSet<>(firstMember.ids());
    overlap.retainAll(secondMember.ids());
    assertThat(overlap).as("events acked by the first member and delivered again").isEmpty();
  }

  @Test
  @DisplayName("close() is safe from a handler of the same subscription, which it then does not "
      + "wait for")
  void handlerClosesItsOwnSubscription() {
    EventBus bus = bus();
    String topic = uniqueName("t");
    Duration closeTimeout = Duration.ofSeconds(30);
    AtomicReference<Subscription> self = new AtomicReference<>();
    AtomicLong closeNanos = new AtomicLong(-1);
    CountDownLatch subscribed = new CountDownLatch(1);
    self.set(bus.subscribe(topic, options(uniqueName("g")).build(), d -> {
      subscribed.await();
      long start = System.nanoTime();
      self.get().close(closeTimeout);
      closeNanos.compareAndSet(-1, System.nanoTime() - start);
    }));
    subscribed.countDown();
    publishTexts(bus, topic, 0, 1, null);
    await().atMost(patience()).until(() -> closeNanos.get() >= 0);
    assertThat(self.get().isClosed()).isTrue();
    // Liveness, not performance: close must not wait for the calling handler itself (it would
    // sit out the whole close timeout, or the transport's rebalance timeout).
    assertThat(Duration.ofNanos(closeNanos.get())).as("close from inside the handler")
        .isLessThan(closeTimeout.dividedBy(3));
  }

  @Test
  @DisplayName("close() is idempotent; a closed bus refuses publish and subscribe with "
      + "BusClosedException")
  void closeTwiceIsSafe() {
    EventBus bus = kit.createBus(Map.of()); // not closed by the kit: closing it is the test
    String topic = uniqueName("t");
    Subscription s = bus.subscribe(topic, options(uniqueName("g")).build(), d -> { });
    s.close();
    s.close();
    assertThat(s.isClosed()).isTrue();
    bus.close();
    bus.close();
    assertThat(bus.isClosed()).isTrue();
    assertThatThrownBy(() -> bus.publish(topic, textEvent("late", null)))
        .isInstanceOf(BusClosedException.class).hasMessageContaining(topic);
    assertThatThrownBy(() -> bus.subscribe(topic, "g", d -> { }))
        .isInstanceOf(BusClosedException.class);
  }

  @Test
  @DisplayName("every operation of a closed bus throws BusClosedException naming it: publish, "
      + "publishAll, subscribe, deadLetters() and each dead-letter call, also on a dead-letter "
      + "handle obtained before close")
  void closedBusRefusesEveryOperation() {
    EventBus bus = kit.createBus(Map.of()); // not closed by the kit: closing it is the test
    String topic = uniqueName("t");
    String group = uniqueName("g");
    boolean keepsDeadLetters = bus.capabilities().has(Capability.DEAD_LETTERS);
    DeadLetters before = keepsDeadLetters ? bus.deadLetters() : null;
    bus.close();

    assertThatThrownBy(() -> bus.publish(topic, textEvent("late", null)))
        .isInstanceOf(BusClosedException.class).hasMessageContaining(topic);
    assertThatThrownBy(() -> bus.publishAll(topic, List.of(textEvent("late", null))))
        .isInstanceOf(BusClosedException.class).hasMessageContaining(topic);
    assertThatThrownBy(() -> bus.publishAll(topic, List.of()))
        .isInstanceOf(BusClosedException.class).hasMessageContaining(topic);
    assertThatThrownBy(() -> bus.subscribe(topic, options(group).build(), d -> { }))
        .isInstanceOf(BusClosedException.class).hasMessageContaining(topic);
    assertThatThrownBy(bus::deadLetters).isInstanceOf(BusClosedException.class)
        .hasMessageContaining("dead letters");
    if (!keepsDeadLetters) {
      return;
    }
    List<ThrowingCallable> calls = List.of(
        () -> before.list(topic, group, 10),
        () -> before.count(topic, group),
        () -> before.replay(topic, group, "any-id"),
        () -> before.replayAll(topic, group),
        () -> before.purge(topic, group));
    for (ThrowingCallable call : calls) {
      assertThatThrownBy(call).isInstanceOf(BusClosedException.class)
          .hasMessageContaining(topic).hasMessageContaining(group);
    }
  }
}
