package io.relaybus.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.SubscribeOptions;
import io.relaybus.kafka.testing.KafkaBroker;
import io.relaybus.tck.Recorder;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker is stopped mid-stream for a few seconds, then started again on the same port and
 * log directory, while a publisher keeps publishing. Publishes issued during the outage either
 * wait in the producer and complete once the broker is back, or (when the producer has no
 * metadata and {@code max.block.ms} passes) fail and are retried, as an application would: a
 * failed publish is reported, never silently lost. The
 * producer and the consumer resume by themselves and every acknowledged event is delivered.
 */
class KafkaBrokerRestartTest {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaBrokerRestartTest.class);

  @Test
  void brokerStoppedAndRestartedMidStreamLosesNothing() throws Exception {
    KafkaBroker broker = KafkaBroker.shared();
    assumeTrue(broker.canRestart(), "external broker: cannot restart it");
    String topic = "restart-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
    Recorder recorder = new Recorder();
    // While the broker is away, send() waits for metadata up to max.block.ms: keep it short so
    // the publisher sees the failure and retries.
    try (EventBus bus = EventBus.create(broker.busConfig(Map.of(
        "relaybus.kafka.producer.max.block.ms", "2000")))) {
      bus.subscribe(topic, SubscribeOptions.builder().group("restart-group").concurrency(2)
          .build(), d -> recorder.record("m", d));
      Set<String> published = ConcurrentHashMap.newKeySet();
      AtomicInteger failedAttempts = new AtomicInteger();
      Thread restarter = null;
      for (int i = 0; i < 300; i++) {
        Event e = Event.builder().source("urn:test").type("restart").key("k" + (i % 6))
            .text(Integer.toString(i)).build();
        if (i == 100) {
          await().atMost(Duration.ofSeconds(60)).until(() -> recorder.distinct() >= 50);
          broker.stop();
          restarter = new Thread(() -> {
            LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(4)); // the outage lasts a while
            broker.start();
          }, "test-broker-restarter");
          restarter.start();
        }
        while (true) {
          try {
            bus.publish(topic, e).get(60, TimeUnit.SECONDS);
            published.add(e.id());
            break;
          } catch (ExecutionException failure) {
            failedAttempts.incrementAndGet();
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
          }
        }
      }
      restarter.join();
      assertThat(published).hasSize(300);
      await().atMost(Duration.ofSeconds(90)).untilAsserted(() ->
          assertThat(recorder.ids()).containsAll(published));
      LOG.info("broker restart: {} published ({} attempts failed during the outage and were "
          + "retried), all delivered, {} delivered more than once", published.size(),
          failedAttempts.get(), recorder.duplicates().size());
    }
  }
}
