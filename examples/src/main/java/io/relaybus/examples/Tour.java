package io.relaybus.examples;

import io.relaybus.examples.configupdates.ConfigUpdates;
import io.relaybus.examples.observability.Observability;
import io.relaybus.examples.orders.Orders;
import io.relaybus.examples.swap.Swap;
import io.relaybus.examples.webhooks.Webhooks;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Runs every example in turn on embedded servers (or the servers named by the
 * {@code RELAYBUS_*} environment variables) and prints a summary. Exits 0 when every example
 * ended as expected.
 *
 * <pre>
 * ./tour
 * </pre>
 */
public final class Tour {
  private Tour() {}

  /**
   * Runs the tour.
   *
   * @param args ignored
   * @throws Exception when an example cannot run
   */
  public static void main(String[] args) throws Exception {
    Console console = new Console(System.out, "tour");
    Map<String, Boolean> outcomes = new LinkedHashMap<>();
    try (PostgresServer postgres = PostgresServer.startOrConnect(console);
        KafkaServer kafka = KafkaServer.startOrConnect(console)) {
      outcomes.put("config-updates (PostgreSQL)",
          ConfigUpdates.run(postgres, console.forExample("config-updates")).asExpected());
      outcomes.put("orders (Kafka, JSON Schema, schema ids)",
          Orders.run(kafka, console.forExample("orders")).asExpected());
      outcomes.put("webhooks (signed, retried, forgeries refused)",
          Webhooks.run(postgres, console.forExample("webhooks")).asExpected());
      outcomes.put("observability (traces, meters, lag, dead-letter replay, health)",
          Observability.run(postgres, console.forExample("observability")).asExpected());
      var configs = Swap.configs(postgres, kafka);
      outcomes.put("swap (" + String.join(", ", configs.keySet()) + ")",
          Swap.sameResults(Swap.run(configs, console.forExample("swap"))));
    }
    console.raw("");
    outcomes.forEach((name, ok) -> console.step("%-4s %s", ok ? "OK" : "FAIL", name));
    boolean all = outcomes.values().stream().allMatch(Boolean::booleanValue);
    console.step(all ? "every example ended as expected" : "an example did not end as expected");
    System.exit(all ? 0 : 1);
  }
}
