package io.relaybus.examples;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress output of an example: each line names the example and the time since it started,
 * so a reader sees what happened and how long it took.
 */
public final class Console {
  private final PrintStream out;
  private final String name;
  private final long start = System.nanoTime();

  /**
   * Creates a console.
   *
   * @param out where lines go
   * @param name the example's name, printed on every line
   */
  public Console(PrintStream out, String name) {
    this.out = out;
    this.name = name;
  }

  /**
   * A console for another example on the same stream.
   *
   * @param example its name
   * @return a new console whose clock starts now
   */
  public Console forExample(String example) {
    return new Console(out, example);
  }

  /**
   * Prints one progress line.
   *
   * @param format a {@link String#format} pattern
   * @param args its arguments
   */
  public void step(String format, Object... args) {
    out.printf(Locale.ROOT, "[%s %6.2fs] %s%n", name, elapsedSeconds(),
        String.format(Locale.ROOT, format, args));
    out.flush();
  }

  /**
   * Prints a line as it is, for tables.
   *
   * @param line the text
   */
  public void raw(String line) {
    out.println(line);
    out.flush();
  }

  /**
   * Seconds since this console was created.
   *
   * @return the elapsed time
   */
  public double elapsedSeconds() {
    return (System.nanoTime() - start) / 1e9;
  }
}
