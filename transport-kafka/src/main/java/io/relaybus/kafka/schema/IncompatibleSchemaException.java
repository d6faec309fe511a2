package io.relaybus.kafka.schema;

import java.util.List;

/**
 * The schema breaks the subject's compatibility level, so it was not registered (HTTP 409; error
 * code 409 from current Confluent-compatible servers, 40901 "incompatible schema" from others).
 * The message names the subject and lists each reason with its JSON path when they are known.
 */
public class IncompatibleSchemaException extends SchemaRegistryException {
  private static final long serialVersionUID = 1L;

  private final List<String> reasons;

  /**
   * Creates the exception.
   *
   * @param subject the subject the schema was registered under
   * @param level the level that was enforced, or null when the registry did not say
   * @param reasons the incompatibilities, each naming a JSON path; may be empty when a remote
   *     registry gave none
   * @param errorCode the registry error code (409 or 40901)
   */
  public IncompatibleSchemaException(String subject, CompatibilityLevel level,
      List<String> reasons, int errorCode) {
    super(format(subject, level, reasons), 409, errorCode, subject, null);
    this.reasons = List.copyOf(reasons);
  }

  /**
   * The reasons the schema is incompatible.
   *
   * @return an immutable list, possibly empty when the registry gave none
   */
  public List<String> reasons() {
    return reasons;
  }

  private static String format(String subject, CompatibilityLevel level, List<String> reasons) {
    StringBuilder sb = new StringBuilder("Schema is incompatible with subject '").append(subject)
        .append('\'');
    if (level != null) {
      sb.append(" under compatibility level ").append(level);
    }
    if (reasons.isEmpty()) {
      return sb.append("; the registry gave no details").toString();
    }
    sb.append(':');
    for (String reason : reasons) {
      sb.append("\n  - ").append(reason);
    }
    return sb.toString();
  }
}
