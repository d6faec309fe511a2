package io.relaybus.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.SubscribeOptions;
import io.relaybus.kafka.testing.KafkaBroker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The poll thread must not miss the wake-up of its own handlers: a backlog larger than
 * {@code maxInFlight} is consumed window after window as fast as the handlers finish, never one
 * window per {@code poll-timeout}.
 *
 * <p>Regression: the poll thread read the progress counter only when it was about to wait, after
 * it had handed a window to the bus; handlers that had finished the whole window by then gave no
 * further signal, so every window cost a full {@code poll-timeout}. With a 5 s poll timeout and
 * 20 windows or more that is 100 s or more; the bound below is a coarse liveness check (a
 * fraction of that), not a performance assertion.
 */
class KafkaPollWakeupTest {
  private static final Duration POLL_TIMEOUT = Duration.ofSeconds(5);

  private final List<EventBus> buses = new ArrayList<>();

  @AfterEach
  void close() {
    buses.forEach(EventBus::close);
  }

  private EventBus bus(int partitions) {
    EventBus bus = EventBus.create(KafkaBroker.shared().busConfig(Map.of(
        "relaybus.kafka.partitions", Integer.toString(partitions),
        "relaybus.kafka.poll-timeout", POLL_TIMEOUT.toMillis() + "ms")));
    buses.add(bus);
    return bus;
  }

  @Test
  void aBacklogIsConsumedWithoutWaitingAPollTimeoutPerWindow() {
    consumeBacklog(1, 4, 64, 1_280);
  }

  @Test
  void smallWindowsOfOneWorkerAreConsumedWithoutStalling() {
    consumeBacklog(3, 1, 8, 320);
  }

  /** {@code events / maxInFlight} windows; one poll timeout per window would be 100 s or more. */
  private void consumeBacklog(int partitions, int concurrency, int maxInFlight, int events) {
    String topic = "wakeup-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
    EventBus bus = bus(partitions);
    List<Event> batch = new ArrayList<>();
    for (int i = 0; i < events; i++) {
      batch.add(Event.builder().source("urn:test").type("wakeup").key("k-" + (i % 16))
          .text(Integer.toString(i)).build());
    }
    bus.publishAll(topic, batch).join();

    Set<String> seen = ConcurrentHashMap.newKeySet();
    AtomicInteger invocations = new AtomicInteger();
    bus.subscribe(topic, SubscribeOptions.builder().group("wakeup-group")
        .concurrency(concurrency).maxInFlight(maxInFlight).build(), d -> {
          invocations.incrementAndGet();
          seen.add(d.event().id());
        });

    await().atMost(Duration.ofSeconds(30)).untilAsserted(
        () -> assertThat(seen).as("events handled").hasSize(events));
    assertThat(invocations.get()).as("handled more than once").isEqualTo(events);
  }
}
