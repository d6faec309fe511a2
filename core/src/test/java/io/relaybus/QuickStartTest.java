package io.relaybus;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The README's quick start is {@code src/test/java/QuickStart.java}, a whole program with its
 * imports, so that what a reader copies compiles and runs as shown.
 */
class QuickStartTest {
  private static final Path PROGRAM = Path.of("src", "test", "java", "QuickStart.java");

  @Test
  void quickStartFromTheReadmeRunsAndPrintsItsResult() throws Exception {
    PrintStream original = System.out;
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
    try {
      // QuickStart is in the unnamed package, as a reader's first program would be.
      Class.forName("QuickStart").getMethod("main", String[].class)
          .invoke(null, (Object) new String[0]);
    } finally {
      System.setOut(original);
    }
    assertThat(printed.toString(StandardCharsets.UTF_8))
        .as("the quick start prints its result on every run: it waits for the delivery before "
            + "closing the bus")
        .isEqualTo("billed o-1" + System.lineSeparator());
  }

  @Test
  void theReadmeShowsExactlyThisProgram() throws IOException {
    List<String> readme = Files.readAllLines(Path.of("..", "README.md"));
    int start = readme.indexOf("## Quick start");
    int open = readme.subList(start, readme.size()).indexOf("```java") + start;
    int close = readme.subList(open, readme.size()).indexOf("```") + open;
    assertThat(readme.subList(open + 1, close)).isEqualTo(Files.readAllLines(PROGRAM));
  }
}
