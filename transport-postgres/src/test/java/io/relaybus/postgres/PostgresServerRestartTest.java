package io.relaybus.postgres;

import static io.relaybus.postgres.PostgresConnectionKillTest.options;
import static io.relaybus.postgres.PostgresConnectionKillTest.report;
import static io.relaybus.postgres.PostgresConnectionKillTest.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.relaybus.EventBus;
import io.relaybus.postgres.PostgresConnectionKillTest.KeyedStream;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * PostgreSQL stopped mid-stream, kept down while publishes fail, and started again on the same
 * data directory: the buses reconnect by themselves, consumption resumes, nothing published is
 * lost, and the duplicates are counted and reported. Runs on a server of its own.
 */
class PostgresServerRestartTest {

  private static final int KEYS = 8;
  private static final int EVENTS_PER_KEY = 300;
  /** Per key: 300 events over about 4.5 s, so the server stops while events stream. */
  private static final Duration PUBLISH_INTERVAL = Duration.ofMillis(15);
  private static final Duration OUTAGE = Duration.ofMillis(2_500);
  private static final Duration PATIENCE = Duration.ofSeconds(45);

  /** The test stops the server: the other classes keep theirs. */
  @RegisterExtension
  static final TestDatabase DB = TestDatabase.onOwnServer("relaybus-restart-midstream",
      "relaybus_restart");
  private final TestBuses buses = DB.buses(TestBuses.FAULT_TIMINGS);

  @Test
  @Timeout(120)
  void serverStoppedAndStartedMidStreamResumesByItselfAndLosesNothing() {
    String topic = unique("restart");
    String group = unique("g");
    EventBus publisher = buses.bus();
    KeyedStream stream = new KeyedStream(topic, KEYS, EVENTS_PER_KEY, PUBLISH_INTERVAL);
    buses.bus().subscribe(topic, options(group), stream.handler("a"));
    buses.bus().subscribe(topic, options(group), stream.handler("b"));

    long start = System.nanoTime();
    stream.startPublishing(publisher);
    await().atMost(PATIENCE).until(() -> stream.distinctDelivered() >= stream.total() / 4);
    int publishedBefore = stream.publishedCount();
    int deliveredBefore = stream.distinctDelivered();
    int failuresBefore = stream.publishFailures();
    DB.server().stop();
    // Fault window: the server stays down while publishers fail and retry and the members, the
    // notifier and the listeners try to reconnect.
    PostgresConnectionKillTest.sleep(OUTAGE);
    int deliveredDuringOutage = stream.distinctDelivered() - deliveredBefore;
    DB.server().start();
    long restarted = System.nanoTime();

    stream.awaitPublished(PATIENCE);
    long publishedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restarted);
    stream.awaitAllDelivered(PATIENCE);
    long resumeMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restarted);
    long totalMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

    assertThat(publishedBefore).as("the server stopped mid-publishing")
        .isLessThan(stream.total());
    assertThat(deliveredBefore).as("the server stopped mid-consumption")
        .isLessThan(stream.total());
    stream.assertKeyOrder();
    await().atMost(PATIENCE).untilAsserted(() -> assertThat(
        publisher.unwrap(PostgresTransport.class).lag(topic, group))
        .as("lag once every position is written").isZero());
    report("server restart", stream, "stopped after " + publishedBefore + " published / "
        + deliveredBefore + " delivered, down " + OUTAGE.toMillis() + " ms ("
        + (stream.publishFailures() - failuresBefore) + " failed publish attempts from the stop"
        + " on, " + deliveredDuringOutage + " deliveries while down); after the start, "
        + "publishing ended in " + publishedMillis + " ms and all was delivered in "
        + resumeMillis + " ms; " + totalMillis + " ms in all");
  }
}
