package io.relaybus.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.relaybus.BusClosedException;
import io.relaybus.Capability;
import io.relaybus.DeadLetter;
import io.relaybus.DeadLetterReason;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.EventHandler;
import io.relaybus.PublishReceipt;
import io.relaybus.RetryPolicy;
import io.relaybus.StartPosition;
import io.relaybus.SubscribeOptions;
import io.relaybus.Subscription;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transport compatibility kit: every guarantee of the delivery contract as a test.
 *
 * <p>A transport's test class extends this class and implements {@link #createBus(Map)}; when
 * the transport can lose its connections or its server, it also overrides
 * {@link #canKillConnections()}/{@link #killConnections()} and
 * {@link #canRestartServer()}/{@link #restartServer()}. Tests whose guarantee depends on a
 * {@link Capability} run only when the bus declares it.
 *
 * <p>Each test uses its own topic and group names, so a persistent server can be shared by all
 * tests. Buses created through {@link #bus()} are closed after each test.
 */
public abstract class TransportCompatibilityKit {

  private static final Logger LOG = LoggerFactory.getLogger(TransportCompatibilityKit.class);

  /** Source attribute of every event the kit publishes. */
  protected static final String SOURCE = "/relaybus/tck";

  private final List<EventBus> buses = new CopyOnWriteArrayList<>();
  private String testName = "test";

  /**
   * Creates a bus on the transport under test.
   *
   * @param overrides configuration keys the test needs on top of the transport's own settings
   *     (for example {@code relaybus.retry.*}); may be empty
   * @return a started bus
   */
  protected abstract EventBus createBus(Map<String, String> overrides);

  /**
   * Whether {@link #killConnections()} is supported.
   *
   * @return {@code false} by default
   */
  protected boolean canKillConnections() {
    return false;
  }

  /** Cuts every connection the transport holds to its server, as a network failure would. */
  protected void killConnections() {
    throw new UnsupportedOperationException("killConnections");
  }

  /**
   * Whether {@link #restartServer()} is supported.
   *
   * @return {@code false} by default
   */
  protected boolean canRestartServer() {
    return false;
  }

  /** Stops the server and starts it again on the same data. */
  protected void restartServer() {
    throw new UnsupportedOperationException("restartServer");
  }

  /**
   * The longest wait for an expected outcome.
   *
   * @return 60 seconds by default
   */
  protected Duration patience() {
    return Duration.ofSeconds(60);
  }

  /**
   * How long to watch for something that must not happen (a redelivery, an extra attempt).
   *
   * @return 500 ms by default
   */
  protected Duration quietPeriod() {
    return Duration.ofMillis(500);
  }

  @BeforeEach
  void rememberTestName(TestInfo info) {
    testName = info.getTestMethod().map(m -> m.getName()).orElse("test");
  }

  @AfterEach
  void closeBuses() {
    for (EventBus bus : buses) {
      bus.close();
    }
    buses.clear();
  }

  /**
   * A bus with the transport's own settings, closed after the test.
   *
   * @return the bus
   */
  protected EventBus bus() {
    return bus(Map.of());
  }

  /**
   * A bus with extra settings, closed after the test.
   *
   * @param overrides extra settings
   * @return the bus
   */
  protected EventBus bus(Map<String, String> overrides) {
    EventBus bus = createBus(overrides);
    buses.add(bus);
    return bus;
  }

  /**
   * A topic name unique to this test run.
   *
   * @param hint a readable part
   * @return the name
   */
  protected String uniqueName(String hint) {
    String base = (testName + "-" + hint).replaceAll("[^A-Za-z0-9._-]", "-");
    if (base.length() > 150) {
      base = base.substring(0, 150);
    }
    return "tck-" + base + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
  }

  /**
   * A small text event.
   *
   * @param text the data
   * @param key the key, or {@code null}
   * @return the event
   */
  protected static Event textEvent(String text, String key) {
    return Event.builder().source(SOURCE).type("tck.text").key(key).text(text).build();
  }

  private static SubscribeOptions.Builder options(String group) {
    return SubscribeOptions.builder().group(group)
        .retryPolicy(RetryPolicy.builder().maxAttempts(3).fixedDelay(Duration.ofMillis(20))
            .build())
        .closeTimeout(Duration.ofSeconds(20));
  }

  private void publishTexts(EventBus bus, String topic, int from, int to, String key) {
    List<Event> batch = new ArrayList<>();
    for (int i = from; i < to; i++) {
      batch.add(textEvent(Integer.toString(i), key));
    }
    bus.publishAll(topic, batch).join();
  }

  private void assumeCapability(EventBus bus, Capability capability) {
    assumeTrue(bus.capabilities().has(capability),
        () -> "transport does not declare " + capability);
  }

  private static void awaitQuietly(Duration period, Runnable assertion) {
    await().during(period).atMost(period.plusSeconds(30)).untilAsserted(assertion::run);
  }

  // ---------------------------------------------------------------- envelope

  @Test
  @DisplayName("round trip keeps every envelope attribute, header, key and exact data bytes")
  void roundTripKeepsEnvelopeAndBytes() {
    EventBus bus = bus();
    String topic = uniqueName("t");
    byte[] binary = new byte[256];
    for (int i = 0; i < binary.length; i++) {
      binary[i] = (byte) i;
    }
    byte[] large = new byte[1024 * 1024];
    ThreadLocalRandom.current().nextBytes(large);
    List<Event> sent = List.of(
        Event.builder().id("tck-full-1").source("urn:relaybus:tck").type("tck.full")
            .subject("orders/42").time(Instant.parse("2024-02-29T12:34:56.123456Z"))
            .dataContentType("application/octet-stream")
            .dataSchema("https://schemas.example.com/order/v1.json").key("customer-7")
            .header("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
            .header("tenant", "acme").data(binary).build(),
        Event.builder().source(SOURCE).type("tck.unicode")
            .text("Grüße, 世界, emoji 🎉, RTL שלום, nul\u0000byte").build(),
        Event.builder().source(SOURCE).type("tck.large").data(large).build(),
        Event.builder().source(SOURCE).type("tck.empty").build());

    Map<String, Event> received = new ConcurrentHashMap<>();
    bus.subscribe(topic, options(uniqueName("g")).build(),
        d -> received.put(d.event().id(), d.event()));
    List<PublishReceipt> receipts = bus.publishAll(topic, sent).join();

    assertThat(receipts).extracting(PublishReceipt::eventId)
        .containsExactlyElementsOf(sent.stream().map(Event::id).toList());
    await().atMost(patience()).until(() -> received.size() == sent.size());
    for (Event e : sent) {
      Event r = received.get(e.id());
      assertThat(r).as("event %s", e.id()).isEqualTo(e);
      assertThat(r.data()).as("data of %s", e.id()).isEqualTo(e.data());
      assertThat(r.headers()).isEqualTo(e.headers());
      assertThat(r.time()).isEqualTo(e.time());
    }
  }

  // ---------------------------------------------------------------- volume and isolation

  @Test
  @DisplayName("20 concurrent publishers x 500 events read by 5 members of one group: none "
      + "missing, none twice")
  void concurrentPublishersNoneMissing() throws Exception {
    EventBus bus = bus();
    assumeCapability(bus, Capability.CONSUMER_GROUPS);
    String topic = uniqueName("t");
    String group = uniqueName("g");
    Recorder recorder = new Recorder();
    for (int m = 0; m < 5; m++) {
      String member = "member-" + m;
      bus.subscribe(topic, options(group).concurrency(2).build(),
          d -> recorder.record(member, d));
    }
    Set<String> expected = ConcurrentHashMap.newKeySet();
    ExecutorService publishers = Executors.newFixedThreadPool(20);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int p = 0; p < 20; p++) {
        int publisher = p;
        futures.add(publishers.submit(() -> {
          for (int i = 0; i < 500; i++) {
            Event e = textEvent(publisher + ":" + i, "k" + (i % 32));
            bus.publish(topic, e).join();
            expected.add(e.id());
          }
        }));
      }
      for (Future<?> f : futures) {
        f.get(patience().toSeconds(), TimeUnit.SECONDS);
      }
    } finally {
      publishers.shutdownNow();
    }
    assertThat(expected).hasSize(10_000);
    await().atMost(patience()).untilAsserted(() ->
        assertThat(recorder.distinct()).isEqualTo(10_000));
    assertThat(recorder.ids()).isEqualTo(expected);
    assertThat(recorder.duplicates()).as("events handled twice").isEmpty();
  }

  @Test
  @DisplayName("10 topics stay isolated: each subscriber sees only its topic's events")
  void topicIsolation() {
    EventBus bus = bus();
    int topics = 10;
    int perTopic = 20;
    List<String> names = new ArrayList<>();
    Map<String, Recorder> recorders = new HashMap<>();
    for (int t = 0; t < topics; t++) {
      String topic = uniqueName("t" + t);
      names.add(topic);
      Recorder r = new Recorder();
      recorders.put(topic, r);
      bus.subscribe(topic, options(uniqueName("g")).build(), d -> r.record("m", d));
    }
    for (String topic : names) {
      List<Event> batch = new ArrayList<>();
      for (int i = 0; i < perTopic; i++) {
        batch.add(textEvent(topic + "#" + i, null));
      }
      bus.publishAll(topic, batch).join();
    }
    await().atMost(patience()).untilAsserted(() -> {
      for (String topic : names) {
        assertThat(recorders.get(topic).distinct()).as(topic).isEqualTo(perTopic);
      }
    });
    awaitQuietly(quietPeriod(), () -> {
      for (String topic : names) {
        Recorder r = recorders.get(topic);
        assertThat(r.invocations()).as(topic).isEqualTo(perTopic);
        assertThat(r.all()).allSatisfy(s -> assertThat(s.text()).startsWith(topic + "#"));
      }
    });
  }

  // ---------------------------------------------------------------- retries

  @Test
  @DisplayName("a handler that throws nacks: the event is delivered again with attempt 2")
  void nackLeadsToRedelivery() {
    EventBus bus = bus();
    String topic = uniqueName("t");
    Recorder recorder = new Recorder();
    bus.subscribe(topic, options(uniqueName("g")).build(), d -> {
      recorder.record("m", d);
      if (d.attempt() == 1) {
        throw new IllegalStateException("first attempt fails");
      }
    });
    bus.publish(topic, textEvent("x", null)).join();
    await().atMost(patience()).until(() -> recorder.invocations() == 2);
    awaitQuietly(quietPeriod(), () -> assertThat(recorder.invocations()).isEqualTo(2));
    assertThat(recorder.all()).extracting(Recorder.Seen::attempt).containsExactly(1, 2);
  }

  @ParameterizedTest(name = "maxAttempts={0}")
  @ValueSource(ints = {1, 3, 5})
  @DisplayName("attempt counts are exact: an always-failing handler runs exactly maxAttempts "
      + "times")
  void attemptCountsAreExact(int maxAttempts) {
    EventBus bus = bus();
    String topic = uniqueName("t" + maxAttempts);
    String group = uniqueName("g");
    Recorder recorder = new Recorder();
    bus.subscribe(topic, options(group).retryPolicy(RetryPolicy.builder()
        .maxAttempts(maxAttempts).fixedDelay(Duration.ofMillis(10)).build()).build(), d -> {
          recorder.record("m", d);
          throw new IllegalStateException("always fails, attempt " + d.attempt());
        });
    bus.publish(topic, textEvent("doomed", null)).join();
    await().atMost(patience()).until(() -> recorder.invocations() == maxAttempts);
    awaitQuietly(quietPeriod(), () ->
        assertThat(recorder.invocations()).isEqualTo(maxAttempts));
    List<Integer> expected = new ArrayList<>();
    for (int i = 1; i <= maxAttempts; i++) {
      expected.add(i);
    }
    assertThat(recorder.all()).extracting(Recorder.Seen::attempt)
        .containsExactlyElementsOf(expected);
    if (bus.capabilities().has(Capability.DEAD_LETTERS)) {
      await().atMost(patience()).untilAsserted(() -> {
        List<DeadLetter> dls = bus.deadLetters().list(topic, group, 10);
        assertThat(dls).hasSize(1);
        assertThat(dls.get(0).attempts()).isEqualTo(maxAttempts);
        assertThat(dls.get(0).reason()).isEqualTo(DeadLetterReason.RETRIES_EXHAUSTED);
      });
    }
  }

  // ---------------------------------------------------------------- dead letters

  @Test
  @DisplayName("exhausted retries dead-letter the event with reason, attempts and last error, "
      + "and the group goes on with the next events of the same key")
  void exhaustionDeadLettersAndGroupContinues() {
    EventBus bus = bus();
    assumeCapability(bus, Capability.DEAD_LETTERS);
    String topic = uniqueName("t");
    String group = uniqueName("g");
    Recorder recorder = new Recorder();
    bus.subscribe(topic, options(group).build(), d -> {
      recorder.record("m", d);
      if (d.event().dataAsText().equals("poison")) {
        throw new IllegalStateException("cannot handle poison, attempt " + d.attempt());
      }
    });
    Event poison = textEvent("poison", "same-key");
    bus.publishAll(topic, List.of(poison, textEvent("after-1", "same-key"),
        textEvent("after-2", "same-key"))).join();

    await().atMost(patience()).until(() -> recorder.distinct() == 3);
    await().atMost(patience()).untilAsserted(() -> {
      List<DeadLetter> dls = bus.deadLetters().list(topic, group, 10);
      assertThat(dls).hasSize(1);
      DeadLetter dl = dls.get(0);
      assertThat(dl.event()).isEqualTo(poison);
      assertThat(dl.topic()).isEqualTo(topic);
      assertThat(dl.group()).isEqualTo(group);
      assertThat(dl.reason()).isEqualTo(DeadLetterReason.RETRIES_EXHAUSTED);
      assertThat(dl.attempts()).isEqualTo(3);
      assertThat(dl.lastError()).contains("IllegalStateException")
          .contains("cannot handle poison, attempt 3");
    });
    assertThat(bus.deadLetters().count(topic, group)).isEqualTo(1);
    assertThat(recorder.all()).extracting(Recorder.Seen::text)
        .containsExactly("poison", "poison", "poison", "after-1", "after-2");
  }

  @Test
  @DisplayName("a non-retryable error dead-letters the event at attempt 1")
  void nonRetryableErrorDeadLettersAtFirstAttempt() {
    EventBus bus = bus();
    assumeCapability(bus, Capability.DEAD_LETTERS);
    String topic = uniqueName("t");
    String group = uniqueName("g");
    Recorder recorder = new Recorder();
    bus.subscribe(topic, options(group).retryPolicy(RetryPolicy.builder().maxAttempts(5)
        .fixedDelay(Duration.ofMillis(10)).abortOn(IllegalArgumentException.class).build())
        .build(), d -> {
          recorder.record("m", d);
          throw new IllegalArgumentException("invalid order");
        });
    bus.publish(topic, textEvent("bad", null)).join();
    await().atMost(patience()).untilAsserted(() -> {
      List<DeadLetter> dls = bus.deadLetters().list(topic, group, 10);
      assertThat(dls).hasSize(1);
      assertThat(dls.get(0).reason()).isEqualTo(DeadLetterReason.NON_RETRYABLE);
      assertThat(dls.get(0).attempts()).isEqualTo(1);
      assertThat(dls.get(0).lastError()).contains("invalid order");
    });
    awaitQuietly(quietPeriod(), () -> assertThat(recorder.invocations()).isEqualTo(1));
  }

  /** The shape the undecodable test reads its payload as. */
  public record Order(String id, int quantity) {}

  @Test
  @DisplayName("an undecodable payload goes to the dead letters at once, no crash loop, and the "
      + "group continues")
  void undecodablePayloadIsDeadLettered() {
    EventBus bus = bus();
    assumeCapability(bus, Capability.DEAD_LETTERS);
    String topic = uniqueName("t");
    String group = uniqueName("g");
    AtomicInteger invocations = new AtomicInteger();
    List<Order> decoded = new CopyOnWriteArrayList<>();
    bus.subscribe(topic, options(group).build(), d -> {
      invocations.incrementAndGet();
      decoded.add(d.data(Order.class));
    });
    Event garbage = Event.builder().source(SOURCE).type("tck.order")
        .dataContentType("application/json")
        .data("{\"id\": \"o-1\", \"quantity\": ".getBytes(StandardCharsets.UTF_8)).build();
    Event good = Event.builder().source(SOURCE).type("tck.order").json(new Order("o-2", 3))
        .build();
    bus.publishAll(topic, List.of(garbage, good)).join();

    await().atMost(patience()).until(() -> decoded.size() == 1);
    assertThat(decoded).containsExactly(new Order("o-2", 3));
    await().atMost(patience()).untilAsserted(() -> {
      List<DeadLetter> dls = bus.deadLetters().list(topic, group, 10);
      assertThat(dls).hasSize(1);
      assertThat(dls.get(0).event().id()).isEqualTo(garbage.id());
      assertThat(dls.get(0).reason()).isEqualTo(DeadLetterReason.UNDECODABLE);
      assertThat(dls.get(0).attempts()).isEqualTo(1);
      assertThat(dls.get(0).lastError()).contains("DecodingException");
    });
    awaitQuietly(quietPeriod(), () -> assertThat(invocations.get()).isEqualTo(2));
  }

  @Test
  @DisplayName("replaying a dead letter redelivers it to its group, attempts counted from 1; "
      + "replayAll and purge empty the store")
  void deadLetterReplayRedelivers() {
    EventBus bus = bus();
    assumeCapability(bus, Capability.DEAD_LETTERS);
    String topic = uniqueName("t");
    String group = uniqueName("g");
    String otherGroup = uniqueName("other");
    AtomicBoolean healthy = new AtomicBoolean(false);
    Recorder recorder = new Recorder();
    Recorder other = new Recorder();
    bus.subscribe(topic, options(group).retryPolicy(RetryPolicy.noRetries()).build(), d -> {
      recorder.record("m", d);
      if (!healthy.get()) {
        throw new IllegalStateException("downstream unavailable");
      }
    });
    bus.subscribe(topic, options(otherGroup).build(), d -> other.record("o", d));
    Event first = textEvent("first", null);
    Event second = textEvent("second", null);
    Event third = textEvent("third", null);
    bus.publishAll(topic, List.of(first, second, third)).join();
    await().atMost(patience()).until(() -> bus.deadLetters().count(topic, group) == 3);
    assertThat(recorder.invocations()).isEqualTo(3);

    healthy.set(true);
    DeadLetter dl = bus.deadLetters().list(topic, group, 10).stream()
        .filter(d -> d.event().id().equals(first.id())).findFirst().orElseThrow();
    assertThat(bus.deadLetters().replay(topic, group, dl.id())).isTrue();
    assertThat(bus.deadLetters().replay(topic, group, dl.id())).as("second replay").isFalse();
    await().atMost(patience()).until(() -> recorder.invocations() == 4);
    Recorder.Seen replayed = recorder.all().get(3);
    assertThat(replayed.eventId()).isEqualTo(first.id());
    assertThat(replayed.attempt()).isEqualTo(1);
    assertThat(bus.deadLetters().count(topic, group)).isEqualTo(2);

    healthy.set(false);
    assertThat(bus.deadLetters().purge(topic, group)).isEqualTo(2);
    assertThat(bus.deadLetters().count(topic, group)).isZero();
    bus.publish(topic, textEvent("fourth", null)).join();
    await().atMost(patience()).until(() -> bus.deadLetters().count(topic, group) == 1);
    healthy.set(true);
    assertThat(bus.deadLetters().replayAll(topic, group)).isEqualTo(1);
    await().atMost(patience()).until(() -> recorder.invocations() == 6);
    assertThat(bus.deadLetters().count(topic, group)).isZero();
    awaitQuietly(quietPeriod(), () -> assertThat(other.invocations())
        .as("replays reach only the replaying group").isEqualTo(4));
  }

  // ---------------------------------------------------------------- groups

  @Test
  @DisplayName("two groups each receive every event")
  void everyGroupReceivesEveryEvent() {
    EventBus bus = bus();
    assumeCapability(bus, Capability.CONSUMER_GROUPS);
    String topic = uniqueName("t");
    Recorder a = new Recorder();
    Recorder b = new Recorder();
    bus.subscribe(topic, options(uniqueName("a")).build(), d -> a.record("a", d));
    bus.subscribe(topic, options(uniqueName("b")).build(), d -> b.record("b", d));
    publishTexts(bus, topic, 0, 200, null);
    await().atMost(patience()).until(() -> a.distinct() == 200 && b.distinct() == 200);
    assertThat(a.ids()).isEqualTo(b.ids());
    awaitQuietly(quietPeriod(), () -> {
      assertThat(a.invocations()).isEqualTo(200);
      assertThat(b.invocations()).isEqualTo(200);
    });
  }

  @Test
  @DisplayName("members of one group share the work: each event handled once, every member "
      + "gets some")
  void membersOfOneGroupShareWork() {
    EventBus bus = bus();
    assumeCapability(bus, Capability.CONSUMER_GROUPS);
    String topic = uniqueName("t");
    String group = uniqueName("g");
    Recorder recorder = new Recorder();
    for (int m = 0; m < 3; m++) {
      String member = "member-" + m;
      bus.subscribe(topic, options(group).build(), d -> {
        recorder.record(member, d);
        Thread.sleep(2); // simulated work, so that no single member can take everything
      });
    }
    // Transports that rebalance asynchronously (leases, partition assignment) may give a new
    // member its share only after a moment: keep publishing until every member took part.
    int published = 0;
    long deadline = System.nanoTime() + patience().toNanos();
    do {
      List<Event> batch = new ArrayList<>();
      for (int i = 0; i < 100; i++, published++) {
        batch.add(textEvent(Integer.toString(published), "key-" + (published % 64)));
      }
      bus.publishAll(topic, batch).join();
      int expected = published;
      await().atMost(patience()).until(() -> recorder.distinct() == expected);
    } while (recorder.perMember().size() < 3 && System.nanoTime() < deadline);
    int total = published;
    awaitQuietly(quietPeriod(), () -> assertThat(recorder.invocations()).isEqualTo(total));
    assertThat(recorder.perMember()).containsOnlyKeys("member-0", "member-1", "member-2");
    assertThat(recorder.perMember().values()).allSatisfy(n -> assertThat(n).isPositive());
  }

  // ---------------------------------------------------------------- ordering

  @Test
  @DisplayName("per-key ordering holds with 2 members x concurrency 4 and 16 keys")
  void perKeyOrderingUnderConcurrency() {
    EventBus bus = bus();
    assumeCapability(bus, Capability.ORDERED_BY_KEY);
    String topic = uniqueName("t");
    String group = uniqueName("g");
    int keys = 16;
    int perKey = 40;
    Map<String, List<Integer>> handled = new ConcurrentHashMap<>();
    Map<String, AtomicInteger> running = new ConcurrentHashMap<>();
    List<String> violations = new CopyOnWriteArrayList<>();
    AtomicInteger total = new AtomicInteger();
    for (int m = 0; m < 2; m++) {
      bus.subscribe(topic, options(group).concurrency(4).maxInFlight(32).build(), d -> {
        String key = d.event().key().orElseThrow();
        int n = Integer.parseInt(d.event().dataAsText());
        if (running.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet() != 1) {
          violations.add("two handlers of key " + key + " ran at once (event " + n + ")");
        }
        try {
          Thread.sleep(ThreadLocalRandom.current().nextInt(3)); // widen race windows
          if (n % 7 == 3 && d.attempt() == 1) {
            throw new IllegalStateException("transient failure to force a retry");
          }
          handled.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>()).add(n);
          total.incrementAndGet();
        } finally {
          running.get(key).decrementAndGet();
        }
      });
    }
    List<Event> batch = new ArrayList<>();
    for (int i = 0; i < perKey; i++) {
      for (int k = 0; k < keys; k++) {
        batch.add(textEvent(Integer.toString(i * keys + k), "key-" + k));
      }
    }
    bus.publishAll(topic, batch).join();
    await().atMost(patience()).until(() -> total.get() == keys * perKey);
    assertThat(violations).isEmpty();
    for (int k = 0; k < keys; k++) {
      List<Integer> expected = new ArrayList<>();
      for (int i = 0; i < perKey; i++) {
        expected.add(i * keys + k);
      }
      assertThat(handled.get("key-" + k)).as("order of key-%d", k)
          .containsExactlyElementsOf(expected);
    }
  }

  @Test
  @DisplayName("a member leaving mid-stream hands its unfinished events back without breaking "
      + "per-key order")
  void memberLeavingMidStreamKeepsPerKeyOrder() {
    EventBus bus = bus();
    assumeCapability(bus, Capability.ORDERED_BY_KEY);
    assumeCapability(bus, Capability.CONSUMER_GROUPS);
    String topic = uniqueName("t");
    String group = uniqueName("g");
    int keys = 3;
    int perKey = 100;
    Map<String, List<Integer>> handled = new ConcurrentHashMap<>();
    AtomicInteger count = new AtomicInteger();
    EventHandler record = d -> {
      Thread.sleep(1); // simulated work, so the leaving member holds a backlog
      handled.computeIfAbsent(d.event().key().orElseThrow(), k -> new CopyOnWriteArrayList<>())
          .add(Integer.parseInt(d.event().dataAsText()));
      count.incrementAndGet();
    };
    Subscription leaving = bus.subscribe(topic, options(group).concurrency(1).maxInFlight(16)
        .build(), record);
    bus.subscribe(topic, options(group).concurrency(1).maxInFlight(4).build(), record::handle);
    List<Event> batch = new ArrayList<>();
    for (int i = 0; i < perKey; i++) {
      for (int k = 0; k < keys; k++) {
        batch.add(textEvent(Integer.toString(i * keys + k), "key-" + k));
      }
    }
    bus.publishAll(topic, batch).join();
    await().atMost(patience()).until(() -> count.get() >= keys * perKey / 4);
    leaving.close();
    await().atMost(patience()).until(() -> count.get() >= keys * perKey);
    for (int k = 0; k < keys; k++) {
      List<Integer> seen = handled.get("key-" + k);
      List<Integer> firstSeen = new ArrayList<>(new java.util.LinkedHashSet<>(seen));
      assertThat(firstSeen).as("order of key-%d", k).isSorted().hasSize(perKey);
    }
  }

  // ---------------------------------------------------------------- backlog and start position

  @Test
  @DisplayName("events published while no member of a group runs are delivered when one starts")
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
    awaitQuietly(quietPeriod(), () -> assertThat(second.invocations()).isEqualTo(50));
    assertThat(second.all()).extracting(Recorder.Seen::text)
        .allSatisfy(t -> assertThat(Integer.parseInt(t)).isBetween(10, 59));
  }

  @Test
  @DisplayName("a new group starting at EARLIEST reads history; one starting at LATEST only new "
      + "events")
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
    awaitQuietly(quietPeriod(), () -> assertThat(latest.invocations()).isEqualTo(5));
    assertThat(latest.all()).extracting(Recorder.Seen::text)
        .containsExactlyInAnyOrder("20", "21", "22", "23", "24");
  }

  // ---------------------------------------------------------------- close

  @Test
  @DisplayName("close while handlers are in flight: their acks are recorded, nothing is handled "
      + "after close returns, and a new member continues without loss or repeat")
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
    awaitQuietly(quietPeriod(), () -> {
      assertThat(afterClose).as("handler invocations after close returned").isEmpty();
      assertThat(firstMember.invocations()).isEqualTo(handledBeforeClose);
    });
    assertThat(handledBeforeClose).isLessThan(total);

    Recorder secondMember = new Recorder();
    bus.subscribe(topic, options(group).build(), d -> secondMember.record("second", d));
    await().atMost(patience()).until(() ->
        firstMember.distinct() + secondMember.distinct() == total);
    awaitQuietly(quietPeriod(), () -> assertThat(secondMember.invocations())
        .isEqualTo(total - handledBeforeClose));
    Set<String> overlap = new HashSet<>(firstMember.ids());
    overlap.retainAll(secondMember.ids());
    assertThat(overlap).as("events acked by the first member and delivered again").isEmpty();
  }

  @Test
  @DisplayName("subscribe, close, resubscribe: the group continues where it stopped")
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
  @DisplayName("a handler can close its own subscription without waiting for itself")
  void handlerClosesItsOwnSubscription() {
    EventBus bus = bus();
    String topic = uniqueName("t");
    Duration closeTimeout = Duration.ofSeconds(30);
    java.util.concurrent.atomic.AtomicReference<Subscription> self =
        new java.util.concurrent.atomic.AtomicReference<>();
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
  @DisplayName("closing twice is safe; a closed bus refuses publish and subscribe")
  void closeTwiceIsSafe() {
    EventBus bus = createBus(Map.of());
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

  // ---------------------------------------------------------------- backpressure

  @Test
  @DisplayName("backpressure: with blocked handlers, fetched-but-unfinished events never exceed "
      + "maxInFlight and running handlers never exceed concurrency")
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
    awaitQuietly(quietPeriod(), () -> {
      maxSeen.accumulateAndGet(s.inFlight(), Math::max);
      assertThat(s.inFlight()).isEqualTo(maxInFlight);
      assertThat(running.get()).isEqualTo(concurrency);
    });
    release.countDown();
    await().atMost(patience()).until(() -> handled.get() == 200);
    assertThat(maxSeen.get()).isLessThanOrEqualTo(maxInFlight);
    assertThat(maxRunning.get()).isLessThanOrEqualTo(concurrency);
  }

  // ---------------------------------------------------------------- faults

  @Test
  @DisplayName("connections cut mid-stream: every event is delivered, duplicates are counted")
  void connectionKillMidStreamLosesNothing() {
    assumeTrue(canKillConnections(), "transport cannot cut its connections");
    faultMidStream(this::killConnections);
  }

  @Test
  @DisplayName("server restarted mid-stream: consumption resumes by itself, nothing lost")
  void serverRestartMidStreamLosesNothing() {
    assumeTrue(canRestartServer(), "transport cannot restart its server");
    faultMidStream(this::restartServer);
  }

  private void faultMidStream(Runnable fault) {
    EventBus bus = bus();
    String topic = uniqueName("t");
    Recorder recorder = new Recorder();
    bus.subscribe(topic, options(uniqueName("g")).retryPolicy(RetryPolicy.builder()
        .maxAttempts(20).backoff(Duration.ofMillis(50), Duration.ofSeconds(1), 2.0).build())
        .build(), d -> recorder.record("m", d));
    Set<String> published = ConcurrentHashMap.newKeySet();
    for (int i = 0; i < 200; i++) {
      Event e = textEvent(Integer.toString(i), "k" + (i % 8));
      publishWithRetry(bus, topic, e);
      published.add(e.id());
      if (i == 100) {
        fault.run();
      }
    }
    await().atMost(patience()).untilAsserted(() ->
        assertThat(recorder.ids()).containsAll(published));
    Map<String, Integer> duplicates = recorder.duplicates();
    LOG.info("{}: {} events published, all delivered, {} handled more than once", testName,
        published.size(), duplicates.size());
  }

  /** Publishes, retrying while the fault lasts; a failed publish is not a lost event. */
  private void publishWithRetry(EventBus bus, String topic, Event e) {
    long deadline = System.nanoTime() + patience().toNanos();
    while (true) {
      try {
        bus.publish(topic, e).join();
        return;
      } catch (RuntimeException failure) {
        if (System.nanoTime() > deadline) {
          throw failure;
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100)); // back off while the fault lasts
      }
    }
  }
}
