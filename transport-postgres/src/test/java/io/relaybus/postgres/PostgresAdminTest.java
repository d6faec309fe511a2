package io.relaybus.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.relaybus.BusClosedException;
import io.relaybus.DeadLetter;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.RetryPolicy;
import io.relaybus.SubscribeOptions;
import io.relaybus.Subscription;
import io.relaybus.postgres.PostgresTransport.Consumption;
import io.relaybus.tck.Recorder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Operations: per-group lag, "which groups consumed event X", and retention, which deletes only
 * events every group consumed.
 */
class PostgresAdminTest {
  private static final Duration PATIENCE = Duration.ofSeconds(30);
  private static final String SOURCE = "urn:relaybus:test:admin";

  @RegisterExtension
  static final TestDatabase DB = new TestDatabase("relaybus_admin");
  private final TestBuses buses = DB.buses();

  private static Event event(String id) {
    return Event.builder().id(id).source(SOURCE).type("test.admin").key(id).text(id).build();
  }

  private static Event keyed(String id, String key) {
    return Event.builder().id(id).source(SOURCE).type("test.admin").key(key).text(id).build();
  }

  private static List<Event> events(String prefix, int n) {
    List<Event> list = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      list.add(event(prefix + "-" + i));
    }
    return list;
  }

  private static long storedEvents(String topic) {
    return DB.queryLong("SELECT count(*) FROM relaybus.all_events WHERE topic = '" + topic
        + "'");
  }

  /** Joins a group and leaves again: the group exists (with cursors) but consumes nothing. */
  private static void registerGroup(EventBus bus, String topic, String group) {
    bus.subscribe(topic, group, d -> { }).close();
  }

  @Test
  @DisplayName("lag counts unconsumed events per group and drops to 0 after consumption")
  void lagCountsUnconsumedEvents() {
    EventBus bus = buses.bus();
    PostgresTransport pg = bus.unwrap(PostgresTransport.class);
    String topic = "admin.lag";
    registerGroup(bus, topic, "slow");
    registerGroup(bus, topic, "fast");
    assertThat(pg.lag(topic, "slow")).isZero();
    assertThat(pg.lag(topic, "never-joined")).isZero();

    bus.publishAll(topic, events("lag", 25)).join();
    assertThat(pg.lag(topic, "slow")).isEqualTo(25);
    assertThat(pg.lag(topic, "fast")).isEqualTo(25);

    Recorder fast = new Recorder();
    bus.subscribe(topic, "fast", d -> fast.record("f", d));
    await().atMost(PATIENCE).until(() -> fast.distinct() == 25);
    await().atMost(PATIENCE).until(() -> pg.lag(topic, "fast") == 0);
    assertThat(pg.lag(topic, "slow")).as("the other group is still behind").isEqualTo(25);

    bus.publishAll(topic, events("lag-more", 5)).join();
    await().atMost(PATIENCE).until(() -> fast.distinct() == 30);
    await().atMost(PATIENCE).until(() -> pg.lag(topic, "fast") == 0);
    assertThat(pg.lag(topic, "slow")).isEqualTo(30);

    Recorder slow = new Recorder();
    bus.subscribe(topic, "slow", d -> slow.record("s", d));
    await().atMost(PATIENCE).until(() -> pg.lag(topic, "slow") == 0);
    assertThat(slow.distinct()).isEqualTo(30);
  }

  @Test
  @DisplayName("lag counts events a member holds in flight, and dead-lettered events are no lag")
  void lagWhileHandlingAndAfterDeadLetters() throws Exception {
    EventBus bus = buses.bus();
    PostgresTransport pg = bus.unwrap(PostgresTransport.class);
    String topic = "admin.lag-inflight";
    CountDownLatch release = new CountDownLatch(1);
    bus.subscribe(topic, SubscribeOptions.builder().group("blocked").build(), d -> {
      if (!release.await(60, TimeUnit.SECONDS)) {
        throw new IllegalStateException("never released");
      }
    });
    bus.subscribe(topic, SubscribeOptions.builder().group("failing")
        .retryPolicy(RetryPolicy.noRetries()).build(), d -> {
          throw new IllegalStateException("always fails");
        });
    bus.publishAll(topic, events("inflight", 3)).join();
    await().during(Duration.ofMillis(500)).atMost(PATIENCE)
        .until(() -> pg.lag(topic, "blocked") == 3);
    release.countDown();
    await().atMost(PATIENCE).until(() -> pg.lag(topic, "blocked") == 0);
    await().atMost(PATIENCE).until(() -> bus.deadLetters().count(topic, "failing") == 3);
    await().atMost(PATIENCE).until(() -> pg.lag(topic, "failing") == 0);
  }

  @ParameterizedTest(name = "in one pack: {0}")
  @ValueSource(booleans = {false, true})
  @DisplayName("consumption tells CONSUMED, PENDING or DEAD_LETTERED for every group, for events "
      + "stored as rows and in a pack")
  void consumptionPerGroup(boolean packed) {
    EventBus bus = buses.bus(Map.of("relaybus.postgres.pack-batches", Boolean.toString(packed)));
    PostgresTransport pg = bus.unwrap(PostgresTransport.class);
    String topic = "admin.consumption-" + packed;
    registerGroup(bus, topic, "reporting");
    Recorder billing = new Recorder();
    bus.subscribe(topic, "billing", d -> billing.record("b", d));
    bus.subscribe(topic, SubscribeOptions.builder().group("shipping")
        .retryPolicy(RetryPolicy.noRetries()).build(), d -> {
          if (d.event().id().equals("poison")) {
            throw new IllegalArgumentException("cannot ship");
          }
        });

    // One key, one partition: with pack-batches the two events share a pack, else two rows.
    bus.publishAll(topic, List.of(keyed("fine", "same"), keyed("poison", "same"))).join();
    assertThat(DB.queryLong("SELECT count(*) FROM relaybus.packs WHERE topic = '"
        + topic + "'")).as("packs").isEqualTo(packed ? 1 : 0);
    await().atMost(PATIENCE).untilAsserted(() -> {
      assertThat(pg.consumption(topic, "fine")).containsExactlyInAnyOrderEntriesOf(Map.of(
          "billing", Consumption.CONSUMED,
          "shipping", Consumption.CONSUMED,
          "reporting", Consumption.PENDING));
      assertThat(pg.consumption(topic, "poison")).containsExactlyInAnyOrderEntriesOf(Map.of(
          "billing", Consumption.CONSUMED,
          "shipping", Consumption.DEAD_LETTERED,
          "reporting", Consumption.PENDING));
    });
    assertThat(pg.consumption(topic, "no-such-event")).isEmpty();
    assertThat(pg.consumption("admin.other-topic", "fine")).isEmpty();

    // Purging the dead letter finishes the event for that group.
    assertThat(bus.deadLetters().purge(topic, "shipping")).isOne();
    assertThat(pg.consumption(topic, "poison")).containsEntry("shipping", Consumption.CONSUMED);

    bus.subscribe(topic, "reporting", d -> { });
    await().atMost(PATIENCE).untilAsserted(() -> assertThat(pg.consumption(topic, "fine"))
        .containsEntry("reporting", Consumption.CONSUMED));
  }

  @Test
  @DisplayName("a dead letter that is replayed and then handled counts as CONSUMED")
  void consumptionOfReplayedDeadLetter() {
    EventBus bus = buses.bus();
    PostgresTransport pg = bus.unwrap(PostgresTransport.class);
    String topic = "admin.replay";
    AtomicBoolean healthy = new AtomicBoolean();
    Recorder recorder = new Recorder();
    bus.subscribe(topic, SubscribeOptions.builder().group("flaky")
        .retryPolicy(RetryPolicy.noRetries()).build(), d -> {
          recorder.record("f", d);
          if (!healthy.get()) {
            throw new IllegalStateException("down");
          }
        });
    bus.publish(topic, event("replayed")).join();
    await().atMost(PATIENCE).until(() -> pg.consumption(topic, "replayed").get("flaky")
        == Consumption.DEAD_LETTERED);
    List<DeadLetter> dls = bus.deadLetters().list(topic, "flaky", 10);
    healthy.set(true);
    assertThat(bus.deadLetters().replay(topic, "flaky", dls.get(0).id())).isTrue();
    await().atMost(PATIENCE).until(() -> recorder.invocations() == 2);
    await().atMost(PATIENCE).until(() -> pg.lag(topic, "flaky") == 0);
    assertThat(pg.consumption(topic, "replayed")).containsExactlyEntriesOf(
        Map.of("flaky", Consumption.CONSUMED));
  }

  @Test
  @DisplayName("retention deletes events every group consumed once older than retention, and "
      + "never events a group has not consumed")
  void retentionDeletesOnlyConsumedEvents() {
    EventBus bus = buses.bus(Map.of("relaybus.postgres.retention", "1s"));
    String done = "admin.retention-done";
    String waiting = "admin.retention-waiting";
    Recorder doneGroup = new Recorder();
    Recorder waitingFirst = new Recorder();
    bus.subscribe(done, "only", d -> doneGroup.record("o", d));
    bus.subscribe(waiting, "first", d -> waitingFirst.record("f", d));
    registerGroup(bus, waiting, "second");

    bus.publishAll(done, events("done", 50)).join();
    bus.publishAll(waiting, events("waiting", 50)).join();
    await().atMost(PATIENCE).until(() -> doneGroup.distinct() == 50
        && waitingFirst.distinct() == 50);

    // The maintenance period is max(1s, retention / 10): a few runs within this bound.
    await().atMost(PATIENCE).until(() -> storedEvents(done) == 0);
    await().during(Duration.ofSeconds(3)).atMost(PATIENCE)
        .until(() -> storedEvents(waiting) == 50);

    Recorder waitingSecond = new Recorder();
    Subscription second = bus.subscribe(waiting, "second", d -> waitingSecond.record("s", d));
    await().atMost(PATIENCE).until(() -> waitingSecond.distinct() == 50);
    await().atMost(PATIENCE).until(() -> storedEvents(waiting) == 0);
    second.close();
  }

  @Test
  @DisplayName("retention keeps consumed events younger than the retention period")
  void retentionKeepsYoungEvents() {
    EventBus bus = buses.bus(Map.of("relaybus.postgres.retention", "6s"));
    String topic = "admin.retention-young";
    Recorder recorder = new Recorder();
    bus.subscribe(topic, "g", d -> recorder.record("g", d));
    long published = System.nanoTime();
    bus.publishAll(topic, events("young", 10)).join();
    await().atMost(PATIENCE).until(() -> recorder.distinct() == 10);
    await().atMost(PATIENCE).until(() -> bus.unwrap(PostgresTransport.class).lag(topic, "g")
        == 0);
    long remaining = 4_000 - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - published);
    if (remaining > 0) {
      // Maintenance runs every second; none of them may delete what is younger than 6s.
      await().during(Duration.ofMillis(remaining)).atMost(Duration.ofMillis(remaining + 5_000))
          .until(() -> storedEvents(topic) == 10);
    }
    await().atMost(PATIENCE).until(() -> storedEvents(topic) == 0);
  }

  @Test
  @DisplayName("lag and consumption on a closed bus throw BusClosedException naming the topic, "
      + "not a pool error")
  void closedBusRefusesAdminOperations() {
    EventBus bus = buses.bus();
    PostgresTransport pg = bus.unwrap(PostgresTransport.class);
    String topic = "admin.closed";
    registerGroup(bus, topic, "g");
    bus.close();

    assertThatThrownBy(() -> pg.lag(topic, "g")).isInstanceOf(BusClosedException.class)
        .hasMessage("Cannot compute the lag of group 'g' on topic 'admin.closed': the postgres "
            + "event bus is closed");
    assertThatThrownBy(() -> pg.consumption(topic, "e-1")).isInstanceOf(BusClosedException.class)
        .hasMessage("Cannot look up event 'e-1' of topic 'admin.closed': the postgres event bus "
            + "is closed");
  }
}
