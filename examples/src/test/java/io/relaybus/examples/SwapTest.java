package io.relaybus.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.relaybus.examples.swap.Swap;
import io.relaybus.examples.swap.Swap.Run;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Runs the swap example and checks that every transport computed the identical result. */
class SwapTest {

  @Test
  void theSameApplicationComputesTheSameResultOnEveryTransport() throws Exception {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    List<Run> runs;
    try (PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8)) {
      Console console = new Console(out, "swap");
      try (PostgresServer postgres = PostgresServer.startOrConnect(console);
          KafkaServer kafka = KafkaServer.startOrConnect(console)) {
        runs = Swap.run(Swap.configs(postgres, kafka), console);
      }
    }

    assertThat(runs).extracting(Run::transport).containsExactly("memory", "postgres", "kafka", "webhook");
    Run first = runs.get(0);
    assertThat(first.result().parcels().values().stream().mapToInt(Integer::intValue).sum())
        .isEqualTo(Swap.ORDERS);
    assertThat(first.result().billedCents()).hasSize(8);
    assertThat(first.result().outOfOrder()).isZero();
    assertThat(runs).allSatisfy(r -> assertThat(r.result()).isEqualTo(first.result()));
    assertThat(Swap.sameResults(runs)).isTrue();
    assertThat(printed.toString(StandardCharsets.UTF_8)).contains("OK: the same application");
  }
}
