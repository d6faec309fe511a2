package io.relaybus.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import io.relaybus.tck.ModuleBoundary;
import org.junit.jupiter.api.Test;

/** What the module exports is its API: the one package with the meters; it provides nothing. */
class ModuleBoundaryTest {

  @Test
  void exportsOnlyTheApiPackage() {
    ModuleBoundary boundary = ModuleBoundary.of(RelaybusMetrics.class);
    assertThat(boundary.name()).isEqualTo("io.relaybus.micrometer");
    assertThat(boundary.exports()).containsExactly("io.relaybus.micrometer");
    assertThat(boundary.descriptor().provides()).isEmpty();
  }
}
