package io.relaybus;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The README's quick start, line for line, so it cannot rot. */
class QuickStartTest {
  private static final String BEGIN = "// --- README quick start begins";
  private static final String END = "// --- README quick start ends";

  record OrderPlaced(String orderId, String customer, int cents) {}

  @Test
  void quickStartFromTheReadmeWorks() throws Exception {
    PrintStream original = System.out;
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
    try {
      quickStart();
    } finally {
      System.setOut(original);
    }
    assertThat(printed.toString(StandardCharsets.UTF_8))
        .as("the quick start prints its result on every run: it waits for the delivery before "
            + "closing the bus")
        .isEqualTo("billed o-1" + System.lineSeparator());
  }

  private static void quickStart() throws Exception {
    // --- README quick start begins
    CompletableFuture<String> billed = new CompletableFuture<>();
    try (EventBus bus = EventBus.create(Map.of("relaybus.transport", "memory"))) {
      bus.subscribe("orders", "billing", delivery -> {
        OrderPlaced order = delivery.data(OrderPlaced.class);
        billed.complete(order.orderId()); // throw to retry; exhausted retries become dead letters
      });
      bus.publish("orders", Event.builder()
          .source("/shop").type("order.placed").key("customer-7")
          .json(new OrderPlaced("o-1", "customer-7", 4200))
          .build()).join(); // completes once the transport has accepted the event
      // Handlers run on the bus's own threads: wait for the delivery before closing
      System.out.println("billed " + billed.get(10, TimeUnit.SECONDS));
    } // close() lets running handlers finish, then releases everything
    // --- README quick start ends
  }

  @Test
  void theReadmeShowsExactlyThisCode() throws IOException {
    List<String> readme = Files.readAllLines(Path.of("..", "README.md"));
    int start = readme.indexOf("## Quick start");
    int open = readme.subList(start, readme.size()).indexOf("```java") + start;
    int close = readme.subList(open, readme.size()).indexOf("```") + open;
    List<String> shown = new ArrayList<>(readme.subList(open + 1, close));
    assertThat(shown.subList(0, 2)).containsExactly(
        "record OrderPlaced(String orderId, String customer, int cents) {}", "");

    List<String> source = Files.readAllLines(
        Path.of("src", "test", "java", "io", "relaybus", "QuickStartTest.java"));
    int begin = indexOfTrimmed(source, BEGIN, 0);
    int end = indexOfTrimmed(source, END, begin);
    List<String> tested = new ArrayList<>();
    for (String line : source.subList(begin + 1, end)) {
      tested.add(line.startsWith("    ") ? line.substring(4) : line);
    }
    assertThat(shown.subList(2, shown.size())).isEqualTo(tested);
  }

  private static int indexOfTrimmed(List<String> lines, String wanted, int from) {
    for (int i = from; i < lines.size(); i++) {
      if (lines.get(i).trim().equals(wanted)) {
        return i;
      }
    }
    throw new AssertionError("No line '" + wanted + "' in QuickStartTest.java");
  }
}
