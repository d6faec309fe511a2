package io.relaybus.test;

import static org.assertj.core.api.Assertions.assertThat;

import io.relaybus.Event;
import io.relaybus.EventBus;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/** Publishes one event through a bus and waits until its subscriber has it. */
final class BusRoundTrip {
  private BusRoundTrip() {}

  static String topic(String hint) {
    return hint + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
  }

  static void publishAndConsume(EventBus bus, String topic) throws Exception {
    CompletableFuture<String> received = new CompletableFuture<>();
    bus.subscribe(topic, "readers", delivery -> received.complete(
        new String(delivery.event().data(), StandardCharsets.UTF_8)));
    bus.publish(topic, Event.builder().source("/relaybus-test").type("test.sent")
        .dataContentType("application/json")
        .data("{\"id\":\"e-1\",\"quantity\":2}".getBytes(StandardCharsets.UTF_8)).build()).join();
    assertThat(received.get(60, TimeUnit.SECONDS)).isEqualTo("{\"id\":\"e-1\",\"quantity\":2}");
  }
}
