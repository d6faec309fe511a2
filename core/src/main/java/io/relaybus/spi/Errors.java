package io.relaybus.spi;

/** Formats failures for dead letters and logs. */
public final class Errors {
  private Errors() {}

  /**
   * Describes a failure as {@code ClassName: message}, following causes that add information.
   *
   * @param t the failure
   * @return a one-line description, at most 2000 characters
   */
  public static String describe(Throwable t) {
    if (t == null) {
      return "unknown";
    }
    StringBuilder sb = new StringBuilder();
    Throwable current = t;
    for (int depth = 0; current != null && depth < 4; depth++) {
      if (depth > 0) {
        sb.append("; caused by ");
      }
      sb.append(current.getClass().getName());
      if (current.getMessage() != null) {
        sb.append(": ").append(current.getMessage());
      }
      if (current.getCause() == current) {
        break;
      }
      current = current.getCause();
    }
    return sb.length() <= 2000 ? sb.toString() : sb.substring(0, 2000) + "...";
  }
}
