package io.relaybus.tck;

import static io.relaybus.tck.TransportCompatibilityKit.textEvent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.RetryPolicy;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * At-least-once under faults (semantics rule 4): after a killed connection or a server restart
 * events may be delivered again, never lost. Runs where the transport's test can cause the fault
 * ({@link TransportCompatibilityKit#canKillConnections()},
 * {@link TransportCompatibilityKit#canRestartServer()}).
 */
abstract class FaultGuarantees extends GuaranteeFamily {

  private static final Logger LOG = LoggerFactory.getLogger(FaultGuarantees.class);

  FaultGuarantees(TransportCompatibilityKit kit) {
    super(kit);
  }

  @Test
  @DisplayName("a connection killed mid-stream loses no event")
  void connectionKillMidStreamLosesNothing() {
    assumeTrue(kit.canKillConnections(), "transport cannot cut its connections");
    faultMidStream(kit::killConnections);
  }

  @Test
  @DisplayName("a server restarted mid-stream loses no event: consumption resumes by itself")
  void serverRestartMidStreamLosesNothing() {
    assumeTrue(kit.canRestartServer(), "transport cannot restart its server");
    faultMidStream(kit::restartServer);
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
    LOG.info("{}: {} events published, all delivered, {} handled more than once", topic,
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
