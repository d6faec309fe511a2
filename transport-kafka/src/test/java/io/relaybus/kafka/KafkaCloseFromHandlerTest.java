package io.relaybus.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.SubscribeOptions;
import io.relaybus.Subscription;
import io.relaybus.kafka.testing.KafkaBroker;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A handler may close its own subscription: the member leaves the group without waiting for
 * the rebalance timeout on the very handler that is closing it.
 */
class KafkaCloseFromHandlerTest {

  @Test
  void aHandlerClosingItsOwnSubscriptionDoesNotWaitForItself() {
    String topic = "selfclose-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
    AtomicReference<Subscription> self = new AtomicReference<>();
    AtomicBoolean closedInside = new AtomicBoolean();
    // A rebalance timeout far above the wait below: waiting for the closing handler would show.
    try (EventBus bus = EventBus.create(KafkaBroker.shared().busConfig(Map.of(
        "relaybus.kafka.rebalance-timeout", "5m")))) {
      self.set(bus.subscribe(topic, SubscribeOptions.group(topic + "-g"), d -> {
        self.get().close();
        closedInside.set(true);
      }));
      bus.publish(topic, Event.builder().source("urn:test").type("t").build()).join();
      await().atMost(Duration.ofSeconds(60)).untilTrue(closedInside);
      assertThat(self.get().isClosed()).isTrue();
    }
  }
}
