package io.relaybus;

import java.util.List;

/**
 * Thrown when configuration is invalid. The message lists every problem found at once, each
 * naming the configuration key and what is allowed; {@link #problems()} gives them one by one.
 */
public class ConfigurationException extends RelaybusException {
  private static final long serialVersionUID = 1L;

  private final List<String> problems;

  /**
   * Creates an exception for one or more configuration problems.
   *
   * @param problems each problem, naming its key and the allowed values; not empty
   */
  public ConfigurationException(List<String> problems) {
    super(format(problems));
    this.problems = List.copyOf(problems);
  }

  /**
   * Creates an exception for a single configuration problem.
   *
   * @param problem the problem, naming its key and the allowed values
   */
  public ConfigurationException(String problem) {
    this(List.of(problem));
  }

  /**
   * Returns the problems, one entry per bad key.
   *
   * @return an immutable, non-empty list
   */
  public List<String> problems() {
    return problems;
  }

  private static String format(List<String> problems) {
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("problems must not be empty");
    }
    if (problems.size() == 1) {
      return "Invalid Relaybus configuration: " + problems.get(0);
    }
    StringBuilder sb = new StringBuilder("Invalid Relaybus configuration (")
        .append(problems.size()).append(" problems):");
    for (String p : problems) {
      sb.append("\n  - ").append(p);
    }
    return sb.toString();
  }
}
