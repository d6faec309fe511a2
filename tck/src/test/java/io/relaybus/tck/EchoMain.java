package io.relaybus.tck;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * The child process of {@link ChildJvmTest}. Prints {@code READY <pid>}, then obeys its
 * arguments and stdin until stdin ends.
 *
 * <ul>
 *   <li>argument {@code env=NAME}: prints {@code VALUE <value of NAME>};
 *   <li>argument {@code fail}: prints {@code BOOM} to stderr and exits with 2;
 *   <li>stdin {@code echo <text>}: prints {@code ECHO <text>};
 *   <li>stdin {@code exit <code>}: exits with that code.
 * </ul>
 */
public final class EchoMain {

  private EchoMain() {
  }

  /**
   * Runs the child.
   *
   * @param args see the class comment
   * @throws IOException if stdin cannot be read
   */
  public static void main(String[] args) throws IOException {
    for (String arg : args) {
      if (arg.equals("fail")) {
        System.err.println("BOOM");
        System.exit(2);
      }
    }
    System.out.println("READY " + ProcessHandle.current().pid());
    for (String arg : args) {
      if (arg.startsWith("env=")) {
        System.out.println("VALUE " + System.getenv(arg.substring("env=".length())));
      }
    }
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      if (line.startsWith("echo ")) {
        System.out.println("ECHO " + line.substring("echo ".length()));
      } else if (line.startsWith("exit ")) {
        System.exit(Integer.parseInt(line.substring("exit ".length())));
      }
    }
  }
}
