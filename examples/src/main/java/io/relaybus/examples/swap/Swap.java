package io.relaybus.examples.swap;

import io.relaybus.EventBus;
import io.relaybus.examples.Console;
import io.relaybus.examples.KafkaServer;
import io.relaybus.examples.PostgresServer;
import io.relaybus.examples.WebhookSetup;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs {@link OrderApp} unchanged over every transport — only the configuration map differs —
 * and checks that each run computes the same result.
 *
 * <pre>
 * java -cp examples/target/relaybus-examples.jar io.relaybus.examples.swap.Swap
 * </pre>
 *
 * <p>Servers: {@code RELAYBUS_POSTGRES_URL} and {@code RELAYBUS_KAFKA_BOOTSTRAP_SERVERS} when
 * set, else an embedded PostgreSQL 17 and an embedded Kafka broker. Exits 0 when every transport
 * printed the same result.
 */
public final class Swap {
  /** Orders each run publishes. */
  public static final int ORDERS = 400;
  private static final Duration PATIENCE = Duration.ofSeconds(120);

  private Swap() {}

  /**
   * The result of one transport.
   *
   * @param transport the transport's name
   * @param config the configuration that selected it (secrets left out)
   * @param result what the application computed
   * @param seconds how long the run took
   */
  public record Run(String transport, Map<String, String> config, OrderApp.Result result,
      double seconds) {}

  /**
   * Runs the application over every transport.
   *
   * @param args ignored
   * @throws Exception when a run fails
   */
  public static void main(String[] args) throws Exception {
    Console console = new Console(System.out, "swap");
    boolean same;
    try (PostgresServer postgres = PostgresServer.startOrConnect(console);
        KafkaServer kafka = KafkaServer.startOrConnect(console)) {
      same = sameResults(run(configs(postgres, kafka), console));
    }
    System.exit(same ? 0 : 1);
  }

  /**
   * The configuration of each transport, in the order they run.
   *
   * @param postgres the PostgreSQL server
   * @param kafka the Kafka broker
   * @return transport name → bus configuration
   */
  public static Map<String, Map<String, String>> configs(PostgresServer postgres,
      KafkaServer kafka) {
    Map<String, Map<String, String>> configs = new LinkedHashMap<>();
    configs.put("memory", Map.of("relaybus.transport", "memory"));
    configs.put("postgres", postgres.busConfig());
    configs.put("kafka", kafka.busConfig());
    configs.put("webhook", WebhookSetup.swapConfig(postgres));
    return configs;
  }

  /**
   * Runs the application once per configuration and prints each result.
   *
   * @param configs transport name → bus configuration
   * @param console where progress goes
   * @return one run per transport
   * @throws InterruptedException when interrupted
   */
  public static List<Run> run(Map<String, Map<String, String>> configs, Console console)
      throws InterruptedException {
    List<Run> runs = new ArrayList<>();
    String topic = OrderApp.TOPIC + "." + System.currentTimeMillis();
    for (Map.Entry<String, Map<String, String>> e : configs.entrySet()) {
      long start = System.nanoTime();
      OrderApp.Result result;
      try (EventBus bus = EventBus.create(e.getValue())) {
        result = new OrderApp(bus).run(ORDERS, topic, PATIENCE);
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      Map<String, String> shown = new LinkedHashMap<>();
      e.getValue().forEach((k, v) -> shown.put(k, k.contains("password") ? "****" : v));
      console.step("%-8s %s", e.getKey(), shown);
      console.step("%-8s billed cents %s", "", result.billedCents());
      console.step("%-8s parcels %s, out of order %d, %.2f s", "", result.parcels(),
          result.outOfOrder(), seconds);
      runs.add(new Run(e.getKey(), shown, result, seconds));
    }
    boolean same = sameResults(runs);
    console.step(same ? "OK: the same application code computed the same result on %d "
        + "transports" : "DIFFERENT results on %d transports (see above)", runs.size());
    return runs;
  }

  /**
   * Whether every run computed the same result.
   *
   * @param runs the runs
   * @return true when all results are equal
   */
  public static boolean sameResults(List<Run> runs) {
    return runs.stream().map(Run::result).distinct().count() == 1;
  }
}
