package io.relaybus;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/** The set of {@link Capability capabilities} a transport declares. Immutable. */
public final class Capabilities {
  private final Set<Capability> set;

  private Capabilities(Set<Capability> set) {
    this.set = Collections.unmodifiableSet(set);
  }

  /**
   * Creates a capability set.
   *
   * @param capabilities the declared capabilities
   * @return the set
   */
  public static Capabilities of(Capability... capabilities) {
    EnumSet<Capability> set = EnumSet.noneOf(Capability.class);
    for (Capability c : capabilities) {
      set.add(Objects.requireNonNull(c, "capability"));
    }
    return new Capabilities(set);
  }

  /**
   * Tells whether a capability is declared.
   *
   * @param capability the capability
   * @return {@code true} when declared
   */
  public boolean has(Capability capability) {
    return set.contains(capability);
  }

  /**
   * Returns every declared capability.
   *
   * @return an immutable set
   */
  public Set<Capability> all() {
    return set;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Capabilities && ((Capabilities) o).set.equals(set);
  }

  @Override
  public int hashCode() {
    return set.hashCode();
  }

  @Override
  public String toString() {
    return "Capabilities" + set;
  }
}
