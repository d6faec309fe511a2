package io.relaybus.bench;

import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** Finds {@link TransportTarget}s registered through {@link ServiceLoader}. */
final class TransportTargets {
  private TransportTargets() {}

  /** Every registered target by name. */
  static Map<String, TransportTarget> available() {
    Map<String, TransportTarget> targets = new TreeMap<>();
    for (TransportTarget t : ServiceLoader.load(TransportTarget.class,
        TransportTargets.class.getClassLoader())) {
      targets.putIfAbsent(t.name(), t);
    }
    return targets;
  }

  /**
   * The target of a name.
   *
   * @throws IllegalArgumentException naming the available ones when there is none
   */
  static TransportTarget find(String name) {
    Map<String, TransportTarget> targets = available();
    TransportTarget target = targets.get(name);
    if (target == null) {
      throw new IllegalArgumentException("--transport '" + name + "' has no benchmark; "
          + "available: " + String.join(", ", targets.keySet()));
    }
    return target;
  }
}
