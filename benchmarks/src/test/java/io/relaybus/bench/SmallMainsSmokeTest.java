package io.relaybus.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The small measurement programs run to the end with tiny counts and print their lines. */
class SmallMainsSmokeTest {

  @Test
  void instrumentationCostPrintsBothModules() {
    String out = stdout(() -> InstrumentationCost.main(new String[] {"2000", "1"}));
    assertThat(out).contains("metrics  publish (single)").contains("tracing  publish (single)")
        .contains("spans created: 8,040");
  }

  @Test
  void largeEventPaceDeliversEverySize() {
    String out = stdout(() -> LargeEventPace.main(new String[] {"20", "9000"}));
    assertThat(out).contains("data 9,000 bytes, ordered (1 connection):")
        .contains("data 9,000 bytes, concurrency 8:");
  }

  @Test
  void orderedBehindBacklogDeliversWithAndWithoutTheBacklog() {
    String out = stdout(() -> OrderedBehindBacklog.main(new String[] {"500", "50"}));
    assertThat(out).contains("ordered endpoint, 0 deliveries of a disabled endpoint before it:")
        .contains("ordered endpoint, 500 deliveries of a disabled endpoint before it:");
  }

  @Test
  void transactionalPublishPaceMeasuresEachKindAgainstRaw() {
    String out = stdout(() -> TransactionalPublishPace.main(new String[] {"100", "2", "1"}));
    assertThat(out).contains("raw      median").contains("postgres median")
        .contains("webhook  median");
  }

  private interface Main {
    void run() throws Exception;
  }

  /** Runs {@code main} with standard output captured (the programs print to it). */
  private static String stdout(Main main) {
    PrintStream original = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      main.run();
    } catch (Exception e) {
      throw new AssertionError(e);
    } finally {
      System.setOut(original);
    }
    return captured.toString(StandardCharsets.UTF_8);
  }
}
