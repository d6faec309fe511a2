package io.relaybus.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Runs every layout of the ADR 0012 comparison for one short round on the embedded server: each
 * stores exactly the events it counted (the program checks and throws otherwise) and gets a row
 * in the table.
 */
class PostgresRowLayoutComparisonTest {

  @Test
  void everyLayoutStoresWhatItCountsAndIsReported() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    Map<String, List<Double>> rates = PostgresRowLayoutComparison.run(PostgresServer.get(),
        PostgresRowLayoutComparison.LAYOUTS, 1, 1,
        new PrintStream(out, true, StandardCharsets.UTF_8));

    assertThat(rates.keySet()).containsExactlyElementsOf(PostgresRowLayoutComparison.LAYOUTS);
    rates.forEach((layout, samples) -> assertThat(samples).as(layout).singleElement()
        .satisfies(rate -> assertThat(rate).isPositive()));
    String table = out.toString(StandardCharsets.UTF_8);
    for (String layout : PostgresRowLayoutComparison.LAYOUTS) {
      assertThat(table).contains("| " + layout + " |");
    }
  }
}
