package io.relaybus.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.relaybus.DeadLetter;
import io.relaybus.DeadLetterReason;
import io.relaybus.Delivery;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.RetryPolicy;
import io.relaybus.SubscribeOptions;
import io.relaybus.Subscription;
import io.relaybus.spi.InboundMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Handler invocation, exact retries and the dead-letter decision: through the memory bus, and
 * driven directly the way a transport drives the engine.
 */
class DeliveryEngineTest {

  private static final String TOPIC = "orders";
  private static final String GROUP = "billing";

  record Order(String id) {}

  private EventBus bus;

  @AfterEach
  void closeBus() {
    if (bus != null) {
      bus.close();
    }
  }

  private static ConditionFactory within10s() {
    return await().atMost(Duration.ofSeconds(10));
  }

  private static RetryPolicy.Builder immediateRetries(int maxAttempts) {
    return RetryPolicy.builder().maxAttempts(maxAttempts).fixedDelay(Duration.ZERO);
  }

  private static Event event(String type) {
    return Event.builder().source("/test").type(type).build();
  }

  private long deadLetterCount() {
    return bus.deadLetters().count(TOPIC, GROUP);
  }

  // --- exact attempts ---

  @Test
  void handlerSeesAttemptsOneTwoThreeThenTheEventIsDeadLettered() {
    bus = EventBus.create(Map.of());
    List<Integer> attempts = new CopyOnWriteArrayList<>();
    bus.subscribe(TOPIC, SubscribeOptions.builder().group(GROUP)
        .retryPolicy(immediateRetries(3).build()).build(), d -> {
          attempts.add(d.attempt());
          throw new IllegalStateException("payment service down");
        });
    Event event = event("order.created");

    bus.publish(TOPIC, event).join();

    within10s().until(() -> deadLetterCount() == 1);
    assertThat(attempts).containsExactly(1, 2, 3);
    DeadLetter dl = bus.deadLetters().list(TOPIC, GROUP, 10).get(0);
    assertThat(dl.event()).isEqualTo(event);
    assertThat(dl.reason()).isEqualTo(DeadLetterReason.RETRIES_EXHAUSTED);
    assertThat(dl.attempts()).isEqualTo(3);
    assertThat(dl.lastError()).contains("IllegalStateException", "payment service down");
    assertThat(dl.topic()).isEqualTo(TOPIC);
    assertThat(dl.group()).isEqualTo(GROUP);
  }

  @Test
  void eventThatSucceedsOnTheThirdAttemptIsAckedNotDeadLettered() throws Exception {
    bus = EventBus.create(Map.of());
    List<Integer> attempts = new CopyOnWriteArrayList<>();
    CountDownLatch succeeded = new CountDownLatch(1);
    bus.subscribe(TOPIC, SubscribeOptions.builder().group(GROUP)
        .retryPolicy(immediateRetries(5).build()).build(), d -> {
          attempts.add(d.attempt());
          if (d.attempt() < 3) {
            throw new IllegalStateException("transient");
          }
          succeeded.countDown();
        });

    bus.publish(TOPIC, event("order.created")).join();

    assertThat(succeeded.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(attempts).containsExactly(1, 2, 3);
    assertThat(deadLetterCount()).isZero();
  }

  @Test
  void nonRetryableFailureIsDeadLetteredAfterOneAttempt() {
    bus = EventBus.create(Map.of());
    List<Integer> attempts = new CopyOnWriteArrayList<>();
    bus.subscribe(TOPIC, SubscribeOptions.builder().group(GROUP)
        .retryPolicy(immediateRetries(5).abortOn(IllegalArgumentException.class).build())
        .build(), d -> {
          attempts.add(d.attempt());
          throw new NumberFormatException("bad amount");
        });

    bus.publish(TOPIC, event("order.created")).join();

    within10s().until(() -> deadLetterCount() == 1);
    assertThat(attempts).containsExactly(1);
    DeadLetter dl = bus.deadLetters().list(TOPIC, GROUP, 1).get(0);
    assertThat(dl.reason()).isEqualTo(DeadLetterReason.NON_RETRYABLE);
    assertThat(dl.attempts()).isEqualTo(1);
  }

  @Test
  void undecodablePayloadIsDeadLetteredAtOnceWithoutRetries() {
    bus = EventBus.create(Map.of());
    List<Integer> attempts = new CopyOnWriteArrayList<>();
    bus.subscribe(TOPIC, SubscribeOptions.builder().group(GROUP)
        .retryPolicy(immediateRetries(5).build()).build(), d -> {
          attempts.add(d.attempt());
          d.data(Order.class);
        });

    bus.publish(TOPIC, Event.builder().source("/test").type("order.created")
        .text("not an order").build()).join();

    within10s().until(() -> deadLetterCount() == 1);
    assertThat(attempts).containsExactly(1);
    DeadLetter dl = bus.deadLetters().list(TOPIC, GROUP, 1).get(0);
    assertThat(dl.reason()).isEqualTo(DeadLetterReason.UNDECODABLE);
    assertThat(dl.attempts()).isEqualTo(1);
    assertThat(dl.lastError()).contains("DecodingException");
  }

  // --- defaults from configuration ---

  @Test
  void configuredRetryDefaultsApplyWhenTheOptionsLeaveThemUnset() {
    bus = EventBus.create(Map.of(
        "relaybus.retry.max-attempts", "2",
        "relaybus.retry.initial-delay", "0ms",
        "relaybus.retry.jitter", "0"));
    List<Integer> attempts = new CopyOnWriteArrayList<>();
    Subscription s = bus.subscribe(TOPIC, GROUP, d -> {
      attempts.add(d.attempt());
      throw new IllegalStateException("always");
    });

    bus.publish(TOPIC, event("order.created")).join();

    within10s().until(() -> deadLetterCount() == 1);
    assertThat(s.options().retryPolicy().maxAttempts()).isEqualTo(2);
    assertThat(attempts).containsExactly(1, 2);
    assertThat(bus.deadLetters().list(TOPIC, GROUP, 1).get(0).attempts()).isEqualTo(2);
  }

  @Test
  void explicitRetryPolicyOverridesTheConfiguredDefaults() {
    bus = EventBus.create(Map.of(
        "relaybus.retry.max-attempts", "2",
        "relaybus.retry.initial-delay", "0ms"));
    List<Integer> attempts = new CopyOnWriteArrayList<>();
    bus.subscribe(TOPIC, SubscribeOptions.builder().group(GROUP)
        .retryPolicy(immediateRetries(4).build()).build(), d -> {
          attempts.add(d.attempt());
          throw new IllegalStateException("always");
        });

    bus.publish(TOPIC, event("order.created")).join();

    within10s().until(() -> deadLetterCount() == 1);
    assertThat(attempts).containsExactly(1, 2, 3, 4);
  }

  // --- dead letters off, and continuing after a poison event ---

  @Test
  void withDeadLettersOffAFailedEventIsDroppedAndTheNextOneIsHandled() throws Exception {
    bus = EventBus.create(Map.of());
    List<String> attempted = new CopyOnWriteArrayList<>();
    CountDownLatch goodHandled = new CountDownLatch(1);
    bus.subscribe(TOPIC, SubscribeOptions.builder().group(GROUP).deadLetters(false)
        .retryPolicy(immediateRetries(2).build()).build(), d -> {
          attempted.add(d.event().type() + "#" + d.attempt());
          if (d.event().type().equals("poison")) {
            throw new IllegalStateException("cannot handle");
          }
          goodHandled.countDown();
        });

    bus.publish(TOPIC, event("poison")).join();
    within10s().until(() -> attempted.contains("poison#2"));
    bus.publish(TOPIC, event("good")).join();

    assertThat(goodHandled.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(attempted).containsExactly("poison#1", "poison#2", "good#1");
    assertThat(deadLetterCount()).isZero();
    assertThat(bus.deadLetters().list(TOPIC, GROUP, 10)).isEmpty();
  }

  @Test
  void deadLettersOffFromConfigurationDropsTheEvent() throws Exception {
    bus = EventBus.create(Map.of(
        "relaybus.subscriber.dead-letters", "false",
        "relaybus.retry.max-attempts", "1"));
    CountDownLatch goodHandled = new CountDownLatch(1);
    List<String> attempted = new CopyOnWriteArrayList<>();
    bus.subscribe(TOPIC, GROUP, d -> {
      attempted.add(d.event().type());
      if (d.event().type().equals("poison")) {
        throw new IllegalStateException("cannot handle");
      }
      goodHandled.countDown();
    });

    bus.publishAll(TOPIC, List.of(event("poison"), event("good"))).join();

    assertThat(goodHandled.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(attempted).containsExactly("poison", "good");
    assertThat(deadLetterCount()).isZero();
  }

  @Test
  void afterAPoisonEventIsDeadLetteredTheNextEventIsHandled() throws Exception {
    bus = EventBus.create(Map.of());
    CountDownLatch goodHandled = new CountDownLatch(1);
    bus.subscribe(TOPIC, SubscribeOptions.builder().group(GROUP)
        .retryPolicy(RetryPolicy.noRetries()).build(), d -> {
          if (d.event().type().equals("poison")) {
            throw new IllegalStateException("cannot handle");
          }
          goodHandled.countDown();
        });

    bus.publishAll(TOPIC, List.of(event("poison"), event("good"))).join();

    assertThat(goodHandled.await(10, TimeUnit.SECONDS)).isTrue();
    within10s().until(() -> deadLetterCount() == 1);
    assertThat(bus.deadLetters().list(TOPIC, GROUP, 10).get(0).event().type())
        .isEqualTo("poison");
  }

  // --- what the handler is given ---

  @Test
  void deliveryCarriesTheEventTopicGroupAndTransportMetadata() throws Exception {
    bus = EventBus.create(Map.of());
    AtomicReference<Delivery> seen = new AtomicReference<>();
    AtomicReference<Order> decoded = new AtomicReference<>();
    CountDownLatch handled = new CountDownLatch(1);
    bus.subscribe(TOPIC, GROUP, d -> {
      seen.set(d);
      decoded.set(d.data(Order.class));
      handled.countDown();
    });
    Event event = Event.builder().source("/test").type("order.created").json(new Order("42"))
        .build();

    bus.publish(TOPIC, event).join();

    assertThat(handled.await(10, TimeUnit.SECONDS)).isTrue();
    Delivery d = seen.get();
    assertThat(d.event()).isEqualTo(event);
    assertThat(d.topic()).isEqualTo(TOPIC);
    assertThat(d.group()).isEqualTo(GROUP);
    assertThat(d.attempt()).isEqualTo(1);
    assertThat(d.metadata()).containsKey("sequence");
    assertThat(decoded.get()).isEqualTo(new Order("42"));
  }

  /**
   * Regression companion of {@code CodecsTest.stringTargetGetsUtf8TextWhenTheContentTypeIsAbsent}:
   * raw bytes published without a content type must be readable as text by the handler.
   */
  @Test
  void rawDataWithoutContentTypeIsReadableAsText() throws Exception {
    bus = EventBus.create(Map.of());
    AtomicReference<String> text = new AtomicReference<>();
    CountDownLatch handled = new CountDownLatch(1);
    bus.subscribe(TOPIC, SubscribeOptions.builder().group(GROUP)
        .retryPolicy(RetryPolicy.noRetries()).build(), d -> {
          try {
            text.set(d.data(String.class));
          } finally {
            handled.countDown();
          }
        });

    bus.publish(TOPIC, Event.builder().source("/test").type("note")
        .data("hello".getBytes(StandardCharsets.UTF_8)).build()).join();

    assertThat(handled.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(text.get()).isEqualTo("hello");
  }

  @Test
  void eventsWithTheSameKeyAreHandledInPublishOrderDespiteConcurrency() {
    bus = EventBus.create(Map.of());
    List<Integer> handled = new CopyOnWriteArrayList<>();
    bus.subscribe(TOPIC, SubscribeOptions.builder().group(GROUP).concurrency(4).build(),
        d -> handled.add(Integer.parseInt(d.event().subject().orElseThrow())));
    List<Event> events = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      events.add(Event.builder().source("/test").type("t").key("customer-7")
          .subject(Integer.toString(i)).build());
    }

    bus.publishAll(TOPIC, events).join();

    within10s().until(() -> handled.size() == 200);
    assertThat(handled).isSorted();
  }

  @Test
  void retriesKeepLaterEventsOfTheSameKeyWaiting() {
    bus = EventBus.create(Map.of());
    List<String> handled = new CopyOnWriteArrayList<>();
    bus.subscribe(TOPIC, SubscribeOptions.builder().group(GROUP).concurrency(4)
        .retryPolicy(immediateRetries(3).build()).build(), d -> {
          handled.add(d.event().type() + "#" + d.attempt());
          if (d.event().type().equals("first") && d.attempt() < 3) {
            throw new IllegalStateException("transient");
          }
        });

    bus.publishAll(TOPIC, List.of(
        Event.builder().source("/test").type("first").key("k").build(),
        Event.builder().source("/test").type("second").key("k").build())).join();

    within10s().until(() -> handled.size() == 4);
    assertThat(handled).containsExactly("first#1", "first#2", "first#3", "second#1");
  }

  // --- the engine as a transport sees it ---

  private static SubscribeOptions engineOptions(int concurrency, int maxInFlight,
      RetryPolicy retryPolicy) {
    return SubscribeOptions.builder().group(GROUP).concurrency(concurrency)
        .maxInFlight(maxInFlight).retryPolicy(retryPolicy).build()
        .withDefaultsFrom(SubscribeOptions.libraryDefaults());
  }

  @Test
  void capacityCountsUnfinishedMessagesAndOverfillingIsRefused() throws Exception {
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    CountDownLatch proceed = new CountDownLatch(1);
    DeliveryEngine engine = new DeliveryEngine("test", TOPIC,
        engineOptions(1, 2, RetryPolicy.noRetries()), d -> proceed.await(), scheduler);
    try {
      ScriptedMessage a = new ScriptedMessage(event("a"));
      ScriptedMessage b = new ScriptedMessage(event("b"));
      assertThat(engine.capacity()).isEqualTo(2);

      engine.submit(a);
      engine.submit(b);

      assertThat(engine.capacity()).isZero();
      assertThat(engine.inFlight()).isEqualTo(2);
      assertThatThrownBy(() -> engine.submit(new ScriptedMessage(event("c"))))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("maxInFlight=2");
      proceed.countDown();
      within10s().until(() -> engine.capacity() == 2);
      assertThat(a.calls).containsExactly("ack");
      assertThat(b.calls).containsExactly("ack");
    } finally {
      proceed.countDown();
      engine.close(Duration.ofSeconds(10));
      scheduler.shutdownNow();
    }
  }

  @Test
  void aSubmittedBatchIsHandledInOrderAndOverfillingRefusesTheWholeBatch() throws Exception {
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    List<String> handled = new CopyOnWriteArrayList<>();
    DeliveryEngine engine = new DeliveryEngine("test", TOPIC,
        engineOptions(1, 8, RetryPolicy.noRetries()), d -> handled.add(d.event().type()),
        scheduler);
    try {
      List<ScriptedMessage> tooMany = new ArrayList<>();
      for (int i = 0; i < 9; i++) {
        tooMany.add(new ScriptedMessage(event("x" + i)));
      }
      assertThatThrownBy(() -> engine.submitAll(tooMany))
          .isInstanceOf(IllegalStateException.class).hasMessageContaining("maxInFlight=8");
      assertThat(engine.inFlight()).as("nothing of a refused batch is taken").isZero();

      List<ScriptedMessage> batch = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        batch.add(new ScriptedMessage(event("e" + i)));
      }
      engine.submitAll(batch);
      within10s().until(() -> engine.capacity() == 8);
      assertThat(handled).containsExactly("e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7");
      assertThat(batch).allSatisfy(m -> assertThat(m.calls).containsExactly("ack"));
    } finally {
      engine.close(Duration.ofSeconds(10));
      scheduler.shutdownNow();
    }
  }

  @Test
  void aBatchRunsOnEveryHandlerThreadAndKeepsEachKeyInOrder() throws Exception {
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    int concurrency = 4;
    CountDownLatch allRunning = new CountDownLatch(concurrency);
    Set<String> threads = ConcurrentHashMap.newKeySet();
    Map<String, List<Integer>> byKey = new ConcurrentHashMap<>();
    DeliveryEngine engine = new DeliveryEngine("test", TOPIC,
        engineOptions(concurrency, 64, RetryPolicy.noRetries()), d -> {
          threads.add(Thread.currentThread().getName());
          allRunning.countDown();
          allRunning.await(10, TimeUnit.SECONDS); // holds until four handlers run at once
          String key = d.event().key().orElseThrow();
          byKey.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>())
              .add(Integer.parseInt(d.event().type().substring(1)));
        }, scheduler);
    try {
      List<ScriptedMessage> batch = new ArrayList<>();
      for (int i = 0; i < 64; i++) {
        batch.add(new ScriptedMessage(Event.builder().source("urn:test").type("n" + i)
            .key("k" + (i % 8)).build()));
      }
      engine.submitAll(batch);
      within10s().until(() -> engine.capacity() == 64);
      assertThat(allRunning.getCount()).as("four handlers ran at the same time").isZero();
      assertThat(threads).hasSize(concurrency);
      assertThat(byKey).hasSize(8);
      byKey.forEach((key, seen) -> assertThat(seen).as(key).isSorted().hasSize(8));
    } finally {
      engine.close(Duration.ofSeconds(10));
      scheduler.shutdownNow();
    }
  }

  @Test
  void aMessageWhoseLazilyDecodedEventIsUnreadableIsDeadLetteredWithoutCallingTheHandler() {
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    List<String> handled = new CopyOnWriteArrayList<>();
    DeliveryEngine engine = new DeliveryEngine("test", TOPIC,
        engineOptions(1, 4, immediateRetries(3).build()), d -> handled.add(d.event().type()),
        scheduler);
    ScriptedMessage unreadable = new ScriptedMessage(null) {
      @Override
      public Event event() {
        throw new io.relaybus.DecodingException("not a CloudEvent", null);
      }

      @Override
      public String key() {
        return "k-1"; // read without decoding, as a lazily decoding transport does
      }
    };
    ScriptedMessage next = new ScriptedMessage(Event.builder().source("urn:test").type("next")
        .key("k-1").build());
    try {
      engine.submitAll(List.of(unreadable, next));
      within10s().until(() -> engine.capacity() == 4);
      assertThat(unreadable.calls).containsExactly("deadLetter:UNDECODABLE:1");
      assertThat(handled).as("the same key's next event is handled after it").containsExactly(
          "next");
    } finally {
      engine.close(Duration.ofSeconds(10));
      scheduler.shutdownNow();
    }
  }

  @Test
  void closeReleasesQueuedMessagesUnhandledAndWaitsForTheRunningOne() throws Exception {
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch proceed = new CountDownLatch(1);
    List<String> handled = new CopyOnWriteArrayList<>();
    DeliveryEngine engine = new DeliveryEngine("test", TOPIC,
        engineOptions(1, 4, RetryPolicy.noRetries()), d -> {
          handled.add(d.event().type());
          started.countDown();
          proceed.await();
        }, scheduler);
    ScriptedMessage running = new ScriptedMessage(event("running"));
    ScriptedMessage queued = new ScriptedMessage(event("queued"));
    try {
      engine.submit(running);
      assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
      engine.submit(queued);

      CompletableFuture<Void> closing =
          CompletableFuture.runAsync(() -> engine.close(Duration.ofSeconds(10)));
      within10s().until(() -> queued.calls.contains("release"));
      assertThat(closing).isNotDone();
      proceed.countDown();
      closing.get(10, TimeUnit.SECONDS);

      assertThat(handled).containsExactly("running");
      assertThat(running.calls).containsExactly("ack");
      assertThat(queued.calls).containsExactly("release");
      assertThat(engine.capacity()).isZero();
    } finally {
      proceed.countDown();
      scheduler.shutdownNow();
    }
  }

  @Test
  void closeReleasesAnEventWaitingForItsRetryAfterRecordingTheFailedAttempt()
      throws Exception {
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    List<Integer> attempts = new CopyOnWriteArrayList<>();
    DeliveryEngine engine = new DeliveryEngine("test", TOPIC,
        engineOptions(1, 4, RetryPolicy.builder().maxAttempts(3)
            .fixedDelay(Duration.ofHours(1)).build()),
        d -> {
          attempts.add(d.attempt());
          throw new IllegalStateException("fail");
        }, scheduler);
    ScriptedMessage message = new ScriptedMessage(event("a"));
    try {
      engine.submit(message);
      within10s().until(() -> message.calls.contains("retrying:1"));

      engine.close(Duration.ofSeconds(10));

      assertThat(attempts).containsExactly(1);
      assertThat(message.calls).containsExactly("retrying:1", "release");
    } finally {
      scheduler.shutdownNow();
    }
  }

  /**
   * Regression: a close() that ran while a failed attempt was being recorded
   * ({@code InboundMessage.retrying}) released the event at once, before the transport had
   * stored the attempt. The event went back to the group with its old attempt count (the
   * next member saw attempt 1 again, so a handler could run more than maxAttempts times), and
   * {@code retrying} was then called on a message that was already released.
   */
  @Test
  void closeDoesNotReleaseAnEventWhileItsFailedAttemptIsBeingRecorded() throws Exception {
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    DeliveryEngine engine = new DeliveryEngine("test", TOPIC,
        engineOptions(1, 4, RetryPolicy.builder().maxAttempts(3)
            .fixedDelay(Duration.ofHours(1)).build()),
        d -> {
          throw new IllegalStateException("fail");
        }, scheduler);
    ScriptedMessage message = new ScriptedMessage(event("a"));
    message.holdRetrying();
    try {
      engine.submit(message);
      assertThat(message.retryingEntered.await(10, TimeUnit.SECONDS)).isTrue();

      CompletableFuture<Void> closing =
          CompletableFuture.runAsync(() -> engine.close(Duration.ofSeconds(10)));
      within10s().until(() -> engine.capacity() == 0); // close has begun

      await("no release while the failed attempt is being recorded")
          .during(Duration.ofMillis(300)).atMost(Duration.ofMillis(600))
          .until(() -> !message.calls.contains("release"));
      message.openRetryingGate();
      closing.get(10, TimeUnit.SECONDS);

      assertThat(message.calls).containsExactly("retrying:1", "release");
    } finally {
      message.openRetryingGate();
      scheduler.shutdownNow();
    }
  }

  /** An inbound message that records the bus's callbacks, as a transport would see them. */
  private static class ScriptedMessage implements InboundMessage {
    final Event event;
    final List<String> calls = new CopyOnWriteArrayList<>();
    final CountDownLatch retryingEntered = new CountDownLatch(1);
    private volatile CountDownLatch retryingGate;

    ScriptedMessage(Event event) {
      this.event = event;
    }

    /** Makes {@link #retrying} wait until {@link #openRetryingGate()}. */
    void holdRetrying() {
      retryingGate = new CountDownLatch(1);
    }

    void openRetryingGate() {
      CountDownLatch gate = retryingGate;
      if (gate != null) {
        gate.countDown();
      }
    }

    @Override
    public Event event() {
      return event;
    }

    @Override
    public int attempt() {
      return 1;
    }

    @Override
    public Map<String, String> metadata() {
      return Map.of();
    }

    @Override
    public void ack() {
      calls.add("ack");
    }

    @Override
    public void retrying(int failedAttempt, Throwable error, Duration delay) {
      retryingEntered.countDown();
      CountDownLatch gate = retryingGate;
      if (gate != null) {
        try {
          gate.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      calls.add("retrying:" + failedAttempt);
    }

    @Override
    public void deadLetter(DeadLetterReason reason, int attempts, Throwable lastError) {
      calls.add("deadLetter:" + reason + ":" + attempts);
    }

    @Override
    public void release() {
      calls.add("release");
    }
  }
}
