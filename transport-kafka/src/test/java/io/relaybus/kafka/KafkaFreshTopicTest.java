package io.relaybus.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.PublishReceipt;
import io.relaybus.kafka.testing.KafkaBroker;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Publishing at once to topics the transport creates on first use: every event is stored.
 *
 * <p>Regression: topic creation completed when the controller had recorded the topic, before
 * the partition leaders served produce requests. The idempotent producer's first request could
 * be refused ({@code NOT_LEADER_OR_FOLLOWER}) while a later one was appended; its retries then
 * failed with {@code OUT_OF_ORDER_SEQUENCE_NUMBER} until {@code delivery.timeout.ms}
 * (KAFKA-15591), so part of the first publishes to a new topic failed after a long stall. The
 * delivery timeout is lowered here so such a stall fails the test quickly.
 */
class KafkaFreshTopicTest {
  private static final int TOPICS = 10;
  private static final int BATCHES = 20;
  private static final int BATCH = 100;

  @Test
  void pipelinedPublishesToManyFreshTopicsAreAllAcknowledged() throws Exception {
    try (EventBus bus = EventBus.create(KafkaBroker.shared().busConfig(Map.of(
        "relaybus.kafka.partitions", "12",
        // asks for the new topic's metadata again quickly, as a busy producer would: its first
        // produce requests then reach the broker as early as it names the leader
        "relaybus.kafka.producer.retry.backoff.ms", "5",
        "relaybus.kafka.producer.retry.backoff.max.ms", "20",
        "relaybus.kafka.producer.delivery.timeout.ms", "10000",
        "relaybus.kafka.producer.request.timeout.ms", "5000")))) {
      String run = Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
      List<String> failures = new ArrayList<>();
      Set<String> stored = new HashSet<>();
      // One topic after the other, as an application meets new topics: each topic's first
      // publishes race its creation afresh.
      for (int t = 0; t < TOPICS; t++) {
        String topic = "fresh-" + run + "-" + t;
        List<CompletableFuture<List<PublishReceipt>>> sends = new ArrayList<>();
        for (int b = 0; b < BATCHES; b++) {
          List<Event> batch = new ArrayList<>(BATCH);
          for (int i = 0; i < BATCH; i++) {
            batch.add(Event.builder().source("urn:test").type("fresh").key("k-" + i)
                .text(b + "-" + i).build());
          }
          sends.add(bus.publishAll(topic, batch));
        }
        for (CompletableFuture<List<PublishReceipt>> f : sends) {
          try {
            for (PublishReceipt r : f.get(90, TimeUnit.SECONDS)) {
              stored.add(r.topic() + "/" + r.eventId());
            }
          } catch (ExecutionException failed) {
            failures.add(topic + ": " + failed.getCause().getMessage());
          }
        }
      }
      assertThat(failures).as("failed publishes").isEmpty();
      assertThat(stored).hasSize(TOPICS * BATCHES * BATCH);
    }
  }
}
