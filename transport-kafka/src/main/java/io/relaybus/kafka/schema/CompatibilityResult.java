package io.relaybus.kafka.schema;

import java.util.List;

/**
 * The outcome of a compatibility check: compatible or not, with the reasons.
 *
 * @param compatible whether the schema may be registered under the subject's level
 * @param reasons why not, each naming a JSON path (empty when compatible; a remote registry may
 *     also return none)
 */
public record CompatibilityResult(boolean compatible, List<String> reasons) {

  /**
   * Copies the reasons.
   *
   * @param compatible whether compatible
   * @param reasons the reasons, not null
   */
  public CompatibilityResult {
    reasons = List.copyOf(reasons);
  }

  /**
   * A compatible result.
   *
   * @return a result with no reasons
   */
  public static CompatibilityResult ok() {
    return new CompatibilityResult(true, List.of());
  }

  /**
   * A result computed from reasons: compatible exactly when there are none.
   *
   * @param reasons the incompatibilities found
   * @return the result
   */
  public static CompatibilityResult of(List<String> reasons) {
    return new CompatibilityResult(reasons.isEmpty(), reasons);
  }
}
