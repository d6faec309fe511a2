import io.relaybus.Event;
import io.relaybus.EventBus;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

public class QuickStart {
  record OrderPlaced(String orderId, String customer, int cents) {}

  public static void main(String[] args) throws Exception {
    CompletableFuture<String> billed = new CompletableFuture<>();
    try (EventBus bus = EventBus.create(Map.of("relaybus.transport", "memory"))) {
      bus.subscribe("orders", "billing", delivery -> {
        OrderPlaced order = delivery.data(OrderPlaced.class);
        billed.complete(order.orderId()); // throw to retry; exhausted retries: dead letters
      });
      bus.publish("orders", Event.builder()
          .source("/shop").type("order.placed").key("customer-7")
          .json(new OrderPlaced("o-1", "customer-7", 4200))
          .build()).join(); // completes once the transport has accepted the event
      // Handlers run on the bus's own threads: wait for the delivery before closing
      System.out.println("billed " + billed.get(10, TimeUnit.SECONDS));
    } // close() lets running handlers finish, then releases everything
  }
}
