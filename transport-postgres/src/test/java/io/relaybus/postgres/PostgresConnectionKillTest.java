package io.relaybus.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.relaybus.BusClosedException;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.EventHandler;
import io.relaybus.SubscribeOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code pg_terminate_backend} on the LISTEN connections ({@code relaybus-listener}) and,
 * separately, on the pool connections ({@code relaybus-pool}: publish transactions, member
 * fetches, heartbeats and cursor writes), again and again while publishers stream keyed events
 * to a group of two members. Every event whose publish succeeded (failed publishes are retried,
 * as an application would) is delivered, the first deliveries of each key keep publish order,
 * and the duplicates that at-least-once allows are counted and reported.
 */
class PostgresConnectionKillTest {

  static final String LISTENER = "relaybus-listener";
  static final String POOL = "relaybus-pool";

  private static final int KEYS = 8;
  private static final int EVENTS_PER_KEY = 500;
  /** Per key: 500 events over about 6 s, so the kills land while events stream. */
  private static final Duration PUBLISH_INTERVAL = Duration.ofMillis(12);
  private static final int MIN_KILLS_WHILE_PUBLISHING = 4;
  private static final int MIN_KILLS = 8;
  /** Between kills; each kill also waits ~100 ms per terminated session until it is gone. */
  private static final Duration KILL_PERIOD = Duration.ofMillis(200);
  private static final Duration PATIENCE = Duration.ofSeconds(45);
  /** How soon an event published after a listener kill must arrive: a few poll intervals. */
  private static final Duration PROMPT = Duration.ofSeconds(3);

  @RegisterExtension
  static final TestDatabase DB = new TestDatabase("relaybus_connection_kill");
  private final TestBuses buses = DB.buses(TestBuses.FAULT_TIMINGS);

  @ParameterizedTest(name = "kill {0} sessions")
  @ValueSource(strings = {LISTENER, POOL})
  @Timeout(120)
  void connectionsKilledRepeatedlyMidStreamLoseNothingAndKeepKeyOrder(String applicationName) {
    String topic = unique("kill");
    String group = unique("g");
    EventBus publisher = buses.bus();
    KeyedStream stream = new KeyedStream(topic, KEYS, EVENTS_PER_KEY, PUBLISH_INTERVAL);
    buses.bus().subscribe(topic, options(group), stream.handler("a"));
    buses.bus().subscribe(topic, options(group), stream.handler("b"));

    long start = System.nanoTime();
    stream.startPublishing(publisher);
    int kills = 0;
    int killsWhilePublishing = 0;
    int sessions = 0;
    while (!stream.publishingDone() || kills < MIN_KILLS) {
      // Fault window: the stream runs for a while between two kills.
      sleep(KILL_PERIOD);
      int published = stream.publishedCount();
      if (published > 0 && published < stream.total()) {
        killsWhilePublishing++;
      }
      sessions += DB.server().terminateBackends(applicationName);
      kills++;
    }
    stream.awaitPublished(PATIENCE);
    stream.awaitAllDelivered(PATIENCE);
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

    assertThat(killsWhilePublishing).as("kills while events were being published")
        .isGreaterThanOrEqualTo(MIN_KILLS_WHILE_PUBLISHING);
    assertThat(sessions).as("%s sessions terminated over %d kills", applicationName, kills)
        .isGreaterThanOrEqualTo(kills);
    stream.assertKeyOrder();
    assertThat(stream.perMember()).as("both members consumed").containsKeys("a", "b");
    await().atMost(PATIENCE).untilAsserted(() -> assertThat(
        publisher.unwrap(PostgresTransport.class).lag(topic, group))
        .as("lag once every position is written").isZero());
    report("kill " + applicationName, stream, kills + " kills (" + killsWhilePublishing
        + " while publishing), " + sessions
        + " sessions terminated, " + millis + " ms from first publish to last delivery");
  }

  @Test
  @Timeout(60)
  void lagAndConsumptionRightAfterPoolKillAnswer() {
    String topic = unique("admin-kill");
    String group = unique("g");
    // Two connections, both used just before the kill: the pool hands one out again without
    // checking it (it checks only connections idle for more than 500 ms).
    EventBus bus = buses.bus(Map.of("relaybus.postgres.pool-size", "2"));
    PostgresTransport pg = bus.unwrap(PostgresTransport.class);
    bus.subscribe(topic, options(group), d -> { }).close();
    for (int round = 0; round < 3; round++) {
      Event event = Event.builder().source("urn:relaybus:test:kill").type("admin.kill")
          .text("x").build();
      bus.publish(topic, event).join();
      pg.lag(topic, group);
      assertThat(DB.server().terminateBackends(POOL)).isPositive();
      assertThat(pg.lag(topic, group)).isEqualTo(round + 1);
      pg.consumption(topic, event.id());
      assertThat(DB.server().terminateBackends(POOL)).isPositive();
      assertThat(pg.consumption(topic, event.id())).containsEntry(group,
          PostgresTransport.Consumption.PENDING);
    }
  }

  @Test
  @Timeout(120)
  void eventPublishedJustAfterListenerKillIsDeliveredPromptly() {
    String topic = unique("prompt");
    String group = unique("g");
    // Default polling (1 s): "promptly" means by the reconnect's rescan, a notification or the
    // next poll, well before anything like a lease timeout.
    Map<String, String> defaults = Map.of("relaybus.postgres.poll-interval", "1s");
    EventBus publisher = buses.bus(defaults);
    Map<String, Long> deliveredAt = new ConcurrentHashMap<>();
    EventHandler record = d -> deliveredAt.putIfAbsent(d.event().id(), System.nanoTime());
    buses.bus(defaults).subscribe(topic, options(group), record);
    buses.bus(defaults).subscribe(topic, options(group), record);

    List<Long> latencies = new ArrayList<>();
    for (int round = 0; round < 6; round++) {
      // Every bus holds its LISTEN connection again before the next kill.
      await().atMost(PATIENCE).until(() -> listenerSessions() == buses.size());
      int killed = DB.server().terminateBackends(LISTENER);
      assertThat(killed).as("round %d: LISTEN sessions terminated", round)
          .isGreaterThanOrEqualTo(buses.size());
      Event event = Event.builder().source("urn:relaybus:test").type("test.prompt")
          .key("k" + round).text("round " + round).build();
      long published = System.nanoTime();
      publishWithRetry(publisher, topic, event, PATIENCE, new AtomicInteger());
      await().atMost(PROMPT).until(() -> deliveredAt.containsKey(event.id()));
      latencies.add(TimeUnit.NANOSECONDS.toMillis(deliveredAt.get(event.id()) - published));
    }
    System.out.println("[REPORT listener kill, then publish] delivery latency per round (ms): "
        + latencies);
  }

  // ------------------------------------------------------------------ helpers

  private long listenerSessions() {
    return DB.queryLong("SELECT count(*) FROM pg_stat_activity WHERE application_name = '"
        + LISTENER + "' AND datname = current_database()");
  }

  static SubscribeOptions options(String group) {
    return SubscribeOptions.builder().group(group).concurrency(4)
        .closeTimeout(Duration.ofSeconds(10)).build();
  }

  static String unique(String hint) {
    return hint + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
  }

  static void report(String scenario, KeyedStream stream, String details) {
    System.out.println("[REPORT " + scenario + "] " + stream.summary() + "; " + details);
  }

  /** Sleeps to let a fault window pass; never used to wait for an outcome. */
  static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /**
   * Publishes until the future succeeds, as an application would: a failed publish is not a
   * lost event, and publishing the same event again is allowed (consumers deduplicate on id).
   */
  static void publishWithRetry(EventBus bus, String topic, Event event, Duration patience,
      AtomicInteger failures) {
    long deadline = System.nanoTime() + patience.toNanos();
    while (true) {
      try {
        bus.publish(topic, event).get(20, TimeUnit.SECONDS);
        return;
      } catch (ExecutionException | TimeoutException | RuntimeException failure) {
        failures.incrementAndGet();
        if (failure instanceof BusClosedException
            || failure.getCause() instanceof BusClosedException) {
          throw new AssertionError("the bus closed while publishing " + event.id(), failure);
        }
        if (System.nanoTime() > deadline) {
          throw new AssertionError("event " + event.id() + " could not be published within "
              + patience.toSeconds() + " s", failure);
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100)); // back off while it lasts
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while publishing", e);
      }
    }
  }

  /**
   * Numbered events on several keys, each key published in order by its own thread (the next
   * only after the previous publish succeeded), and a record of what the group's handlers saw:
   * deliveries per event, per member, and for each key the order of first deliveries. Reused by
   * {@link PostgresServerRestartTest}. Thread-safe.
   */
  static final class KeyedStream {
    private final String topic;
    private final List<String> keys = new ArrayList<>();
    private final int perKey;
    private final Duration interval;
    private final Map<String, KeyLog> logs = new ConcurrentHashMap<>();
    private final Set<String> published = ConcurrentHashMap.newKeySet();
    private final Map<String, AtomicInteger> deliveries = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> perMember = new ConcurrentHashMap<>();
    private final AtomicLong invocations = new AtomicLong();
    private final AtomicInteger publishFailures = new AtomicInteger();
    private final List<String> orderViolations = Collections.synchronizedList(new ArrayList<>());
    private CompletableFuture<Void> publishing;
    private ExecutorService publishers;

    /** Each key's events are published {@code interval} apart (as long as publishes succeed). */
    KeyedStream(String topic, int keyCount, int perKey, Duration interval) {
      this.topic = topic;
      this.perKey = perKey;
      this.interval = interval;
      for (int k = 0; k < keyCount; k++) {
        String key = "key-" + k;
        keys.add(key);
        logs.put(key, new KeyLog(key, perKey));
      }
    }

    int total() {
      return keys.size() * perKey;
    }

    /** Starts one publisher thread per key; returns at once. */
    void startPublishing(EventBus bus) {
      publishers = Executors.newFixedThreadPool(keys.size(), r -> {
        Thread t = new Thread(r, "test-publisher-" + topic);
        t.setDaemon(true);
        return t;
      });
      List<CompletableFuture<Void>> all = new ArrayList<>();
      for (String key : keys) {
        all.add(CompletableFuture.runAsync(() -> {
          long next = System.nanoTime();
          for (int i = 0; i < perKey; i++) {
            LockSupport.parkNanos(next - System.nanoTime()); // load shape: a steady stream
            next += interval.toNanos();
            Event event = Event.builder().source("urn:relaybus:test").type("test.keyed")
                .key(key).text(key + ":" + i).build();
            publishWithRetry(bus, topic, event, PATIENCE, publishFailures);
            published.add(event.id());
          }
        }, publishers));
      }
      publishing = CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0]));
      publishing.whenComplete((ok, failure) -> publishers.shutdown());
    }

    boolean publishingDone() {
      return publishing.isDone();
    }

    int publishedCount() {
      return published.size();
    }

    int publishFailures() {
      return publishFailures.get();
    }

    /** Waits for every publisher; fails if one gave up. */
    void awaitPublished(Duration timeout) {
      try {
        publishing.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException e) {
        throw new AssertionError("a publisher gave up", e.getCause());
      } catch (TimeoutException e) {
        throw new AssertionError("publishers still running after " + timeout.toSeconds() + " s "
            + "(" + published.size() + " of " + total() + " published)", e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
      assertThat(published).hasSize(total());
    }

    /** Waits until every successfully published event has been delivered at least once. */
    void awaitAllDelivered(Duration timeout) {
      await().atMost(timeout).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
        List<String> missing = new ArrayList<>();
        for (String id : published) {
          if (!deliveries.containsKey(id)) {
            missing.add(id);
          }
        }
        assertThat(missing.size()).as("published events never delivered (of %d published, "
            + "%d delivered), e.g. %s", published.size(), deliveries.size(),
            missing.subList(0, Math.min(10, missing.size()))).isZero();
      });
    }

    EventHandler handler(String member) {
      return d -> {
        String text = d.event().dataAsText();
        int colon = text.lastIndexOf(':');
        KeyLog log = logs.get(text.substring(0, colon));
        int index = Integer.parseInt(text.substring(colon + 1));
        invocations.incrementAndGet();
        perMember.computeIfAbsent(member, m -> new AtomicInteger()).incrementAndGet();
        deliveries.computeIfAbsent(d.event().id(), id -> new AtomicInteger()).incrementAndGet();
        log.started(index, member, orderViolations);
        log.finished(index);
      };
    }

    int distinctDelivered() {
      return deliveries.size();
    }

    long duplicates() {
      return invocations.get() - deliveries.size();
    }

    Map<String, Integer> perMember() {
      Map<String, Integer> copy = new LinkedHashMap<>();
      perMember.forEach((m, n) -> copy.put(m, n.get()));
      return copy;
    }

    /**
     * Per key, first deliveries came in publish order, and none was handed out before the
     * previous event of its key had been handled by some member.
     */
    void assertKeyOrder() {
      assertThat(orderViolations).as("per-key order violations").isEmpty();
      for (KeyLog log : logs.values()) {
        assertThat(log.firstDeliveries()).as("first deliveries of %s, in order", log.key)
            .isSorted().hasSize(perKey);
      }
    }

    String summary() {
      int maxCopies = deliveries.values().stream().mapToInt(AtomicInteger::get).max().orElse(0);
      long duplicated = deliveries.values().stream().filter(n -> n.get() > 1).count();
      return published.size() + " events published (" + publishFailures.get()
          + " failed publish attempts retried), " + deliveries.size() + " delivered, "
          + invocations.get() + " handler invocations, " + duplicates() + " duplicates ("
          + duplicated + " events more than once, at most " + maxCopies + " times), per member "
          + perMember();
    }
  }

  /** What the handlers did with one key's events. */
  private static final class KeyLog {
    final String key;
    private final boolean[] delivered;
    private final boolean[] finished;
    private final List<Integer> firstDeliveries = new ArrayList<>();

    KeyLog(String key, int size) {
      this.key = key;
      this.delivered = new boolean[size];
      this.finished = new boolean[size];
    }

    synchronized void started(int index, String member, List<String> violations) {
      if (delivered[index]) {
        return;
      }
      delivered[index] = true;
      firstDeliveries.add(index);
      if (index > 0 && !finished[index - 1]) {
        violations.add(key + ":" + index + " handed to member " + member + " before " + key
            + ":" + (index - 1) + " was handled (delivered: " + delivered[index - 1] + ")");
      }
    }

    synchronized void finished(int index) {
      finished[index] = true;
    }

    synchronized List<Integer> firstDeliveries() {
      return List.copyOf(firstDeliveries);
    }
  }
}
