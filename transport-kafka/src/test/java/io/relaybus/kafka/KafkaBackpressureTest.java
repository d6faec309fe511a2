package io.relaybus.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.SubscribeOptions;
import io.relaybus.kafka.testing.KafkaBroker;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.management.ObjectName;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Backpressure: while the handlers are busy the member stops taking records from the Kafka
 * consumer once its partition's buffer is full (the partition is paused), so a stuck group
 * holds a bounded number of records however long the backlog behind them — although the poll
 * thread keeps polling every poll timeout; once the handler goes on, every event is delivered
 * exactly once.
 *
 * <p>What the member took is read from the consumer's own {@code records-consumed-total}
 * metric (JMX). kafka-clients adds a fetch response's records to it once {@code poll} has
 * returned all of them, so it may stay below what was taken, never above: a member that went
 * on polling without pausing would take the whole backlog and the metric would reach it.
 */
class KafkaBackpressureTest {
  private static final int EVENTS = 6_000;
  private static final int MAX_IN_FLIGHT = 64;
  private static final int MAX_POLL_RECORDS = 500;
  /** In the handler's window, buffered up to the pause threshold, plus one poll's worth. */
  private static final long BOUND = MAX_IN_FLIGHT + 1_000 + MAX_POLL_RECORDS;

  private EventBus bus;

  @AfterEach
  void close() {
    if (bus != null) {
      bus.close();
    }
  }

  @Test
  void aStuckHandlerStopsTheConsumerAtTheBufferLimitAndLosesNothing() throws Exception {
    String topic = "backpressure-" + Long.toHexString(ThreadLocalRandom.current().nextLong()
        >>> 16);
    String clientId = topic + "-member";
    bus = EventBus.create(KafkaBroker.shared().busConfig(Map.of(
        "relaybus.kafka.partitions", "1",
        "relaybus.kafka.consumer.client.id", clientId,
        "relaybus.kafka.consumer.max.poll.records", Integer.toString(MAX_POLL_RECORDS))));
    String data = "x".repeat(200);
    for (int from = 0; from < EVENTS; from += 500) {
      List<Event> batch = new ArrayList<>();
      for (int i = from; i < from + 500; i++) {
        batch.add(Event.builder().source("urn:test").type("backpressure").text(data + i)
            .build());
      }
      bus.publishAll(topic, batch).join();
    }

    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch go = new CountDownLatch(1);
    Set<String> seen = ConcurrentHashMap.newKeySet();
    AtomicInteger deliveries = new AtomicInteger();
    bus.subscribe(topic, SubscribeOptions.builder().group(topic).maxInFlight(MAX_IN_FLIGHT)
        .build(), d -> {
          started.countDown();
          go.await();
          seen.add(d.event().id());
          deliveries.incrementAndGet();
        });
    ObjectName metrics = new ObjectName(
        "kafka.consumer:type=consumer-fetch-manager-metrics,client-id=" + clientId);
    assertThat(started.await(60, TimeUnit.SECONDS)).isTrue();

    // 2 s = 20 poll timeouts, each a poll of up to 500 records were the partition not paused:
    // the whole backlog would be taken several times over.
    await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
        .until(() -> consumed(metrics) <= BOUND);
    assertThat(consumed(metrics)).isLessThan(EVENTS);

    go.countDown();
    await().atMost(Duration.ofSeconds(60)).until(() -> seen.size() == EVENTS);
    assertThat(deliveries.get()).isEqualTo(EVENTS);
    assertThat(consumed(metrics)).isEqualTo(EVENTS);
  }

  private static double consumed(ObjectName name) throws Exception {
    return ((Number) ManagementFactory.getPlatformMBeanServer()
        .getAttribute(name, "records-consumed-total")).doubleValue();
  }
}
