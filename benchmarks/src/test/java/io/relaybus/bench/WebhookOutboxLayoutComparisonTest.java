package io.relaybus.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Runs both layouts of the ADR 0020 comparison for one short round on the embedded server: each
 * drains exactly the events it published and records each success once (the program counts and
 * throws otherwise), including a last publish smaller than the others, and each gets a row in
 * the table.
 */
class WebhookOutboxLayoutComparisonTest {

  @Test
  void bothLayoutsDrainWhatTheyPublishAndAreReported() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    Map<String, Map<String, List<Double>>> rates = WebhookOutboxLayoutComparison.run(
        PostgresServer.get(), 250, 100, 1, new PrintStream(out, true, StandardCharsets.UTF_8));

    assertThat(rates.keySet()).containsExactly("outbox", "proposal");
    rates.forEach((layout, phases) -> {
      assertThat(phases.keySet()).as(layout).containsExactly("publish", "drain");
      phases.forEach((phase, samples) -> assertThat(samples).as(layout + " " + phase)
          .singleElement().satisfies(rate -> assertThat(rate).isPositive()));
    });
    String table = out.toString(StandardCharsets.UTF_8);
    assertThat(table).contains("| outbox |").contains("| proposal |");
  }

  @Test
  void aGroupLargerThanTheEventsIsRefusedWithTheValues() {
    assertThatThrownBy(() -> WebhookOutboxLayoutComparison.run(PostgresServer.get(), 10, 100, 1,
        System.out))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("10, 100, 1");
  }
}
