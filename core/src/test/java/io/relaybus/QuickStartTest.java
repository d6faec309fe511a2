package io.relaybus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The README's quick start, line for line, so it cannot rot. */
class QuickStartTest {

  record OrderPlaced(String orderId, String customer, int cents) {}

  @Test
  void quickStartFromTheReadmeWorks() {
    // --- README quick start begins
    List<String> billed = new CopyOnWriteArrayList<>();
    EventBus bus = EventBus.create(Map.of("relaybus.transport", "memory"));
    bus.subscribe("orders", "billing", delivery -> {
      OrderPlaced order = delivery.data(OrderPlaced.class);
      billed.add(order.orderId()); // throw to retry; exhausted retries become dead letters
    });
    bus.publish("orders", Event.builder()
        .source("/shop").type("order.placed").key("customer-7")
        .json(new OrderPlaced("o-1", "customer-7", 4200))
        .build()).join(); // completes once the transport has accepted the event
    // --- README quick start ends
    await().atMost(Duration.ofSeconds(10)).until(() -> billed.size() == 1);
    bus.close(); // lets running handlers finish, then releases everything
    assertThat(billed).containsExactly("o-1");
  }
}
