package io.relaybus.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.relaybus.examples.configupdates.ConfigUpdates;
import io.relaybus.examples.configupdates.ConfigUpdates.Outcome;
import io.relaybus.examples.configupdates.ConfigUpdates.Row;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Runs the config-updates example on PostgreSQL and checks its outcome, not only its exit. */
class ConfigUpdatesTest {

  @Test
  void everyUpdateEndsCompleteOrFailedAndTheRestartedWorkerTakesBacklog() throws Exception {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    Outcome outcome;
    try (PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8)) {
      Console console = new Console(out, "config-updates");
      try (PostgresServer server = PostgresServer.startOrConnect(console)) {
        outcome = ConfigUpdates.run(server, console);
      }
    }
    String text = printed.toString(StandardCharsets.UTF_8);

    assertThat(outcome.rows()).hasSize(60);
    assertThat(outcome.rows()).filteredOn(r -> r.destination().equals(ConfigUpdates.UNREACHABLE))
        .hasSize(3).allSatisfy(r -> {
          assertThat(r.status()).isEqualTo("failed");
          assertThat(r.attempts()).isEqualTo(3);
        });
    assertThat(outcome.rows()).filteredOn(r -> !r.destination().equals(ConfigUpdates.UNREACHABLE))
        .extracting(Row::status).containsOnly("complete");
    assertThat(outcome.deadLetters()).isEqualTo(3);
    assertThat(outcome.completedByWorker()).containsKeys("worker-1", "worker-2");
    assertThat(outcome.handledAfterRestart()).isPositive();
    assertThat(outcome.rolledBackDelivered()).isFalse();
    assertThat(outcome.asExpected()).isTrue();
    assertThat(text).contains("worker-2 stopped", "worker-2 restarted", "OK: nothing lost")
        .contains("dest-unreachable").contains("failed");
  }
}
