package io.relaybus.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.relaybus.examples.orders.Orders;
import io.relaybus.examples.orders.Orders.Outcome;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Runs the orders example on a real Kafka broker and checks its outcome. */
class OrdersExampleTest {

  @Test
  void bothGroupsGetEveryOrderInOrderAndBadSchemasAndPayloadsAreRefused() throws Exception {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    Outcome outcome;
    try (PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8)) {
      Console console = new Console(out, "orders");
      try (KafkaServer kafka = KafkaServer.startOrConnect(console)) {
        outcome = Orders.run(kafka, console);
      }
    }

    assertThat(outcome.perGroup()).containsEntry("billing", 60).containsEntry("shipping", 60);
    assertThat(outcome.outOfOrder()).containsEntry("billing", 0).containsEntry("shipping", 0);
    assertThat(outcome.partitionsByCustomer()).hasSize(6)
        .allSatisfy((customer, partitions) -> assertThat(partitions).hasSize(1));
    assertThat(outcome.versions()).hasSize(2);
    assertThat(outcome.versions().get(0).id()).isNotEqualTo(outcome.versions().get(1).id());
    assertThat(outcome.incompatibleRefusal()).contains("order-created", "-value", "customerId");
    assertThat(outcome.invalidRefusal()).contains("amountCents");
    assertThat(outcome.asExpected()).isTrue();
    assertThat(printed.toString(StandardCharsets.UTF_8)).contains("refused", "OK: every order");
  }
}
