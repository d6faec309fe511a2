package io.relaybus.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.PublishReceipt;
import io.relaybus.SubscribeOptions;
import io.relaybus.kafka.testing.KafkaBroker;
import io.relaybus.tck.Recorder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker is stopped mid-stream for a few seconds while publishes keep being issued, then
 * started again on the same port and log directory: publishes issued during the outage complete
 * once it is back (the idempotent producer retries them, without duplicates), the consumer
 * resumes by itself from its committed offsets, and every acknowledged event is delivered.
 */
class KafkaBrokerRestartTest {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaBrokerRestartTest.class);

  @Test
  void brokerStoppedAndRestartedMidStreamLosesNothing() {
    KafkaBroker broker = KafkaBroker.shared();
    assumeTrue(broker.canRestart(), "external broker: cannot restart it");
    String topic = "restart-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
    Recorder recorder = new Recorder();
    try (EventBus bus = EventBus.create(broker.busConfig(Map.of()))) {
      bus.subscribe(topic, SubscribeOptions.builder().group("restart-group").concurrency(2)
          .build(), d -> recorder.record("m", d));
      Set<String> published = ConcurrentHashMap.newKeySet();
      List<CompletableFuture<PublishReceipt>> pending = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        Event e = Event.builder().source("urn:test").type("restart").key("k" + (i % 6))
            .text(Integer.toString(i)).build();
        if (i < 100) {
          bus.publish(topic, e).join();
          published.add(e.id());
          continue;
        }
        if (i == 100) {
          await().atMost(Duration.ofSeconds(60)).until(() -> recorder.distinct() >= 50);
          broker.stop();
        }
        if (i == 200) {
          LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(3)); // the outage lasts a while
          broker.start();
        }
        CompletableFuture<PublishReceipt> f = bus.publish(topic, e);
        f.thenRun(() -> published.add(e.id()));
        pending.add(f);
      }
      int failed = 0;
      for (CompletableFuture<PublishReceipt> f : pending) {
        try {
          f.get(120, TimeUnit.SECONDS);
        } catch (Exception ex) {
          if (failed++ == 0) {
            LOG.error("first failed publish", ex);
          }
        }
      }
      assertThat(failed).as("publishes failed across the outage").isZero();
      assertThat(published).hasSize(300);
      await().atMost(Duration.ofSeconds(90)).untilAsserted(() ->
          assertThat(recorder.ids()).containsAll(published));
      LOG.info("broker restart: {} published, all delivered, {} delivered more than once",
          published.size(), recorder.duplicates().size());
    }
  }
}
