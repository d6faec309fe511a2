package io.relaybus.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.relaybus.tck.ModuleBoundary;
import org.junit.jupiter.api.Test;

/** The starter exports its API package only, and provides no transport. */
class ModuleBoundaryTest {

  @Test
  void exportsOnlyTheApiPackage() {
    ModuleBoundary boundary = ModuleBoundary.of(RelaybusAutoConfiguration.class);
    assertThat(boundary.name()).isEqualTo("io.relaybus.spring.boot");
    assertThat(boundary.exports()).containsExactlyInAnyOrder("io.relaybus.spring.boot");
    assertThat(boundary.descriptor().provides()).isEmpty();
  }
}
