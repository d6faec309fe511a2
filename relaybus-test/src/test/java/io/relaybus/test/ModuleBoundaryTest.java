package io.relaybus.test;

import static org.assertj.core.api.Assertions.assertThat;

import io.relaybus.tck.ModuleBoundary;
import org.junit.jupiter.api.Test;

/** What the module exports is its API: the one package with the servers and the extension. */
class ModuleBoundaryTest {

  @Test
  void exportsOnlyTheApiPackage() {
    ModuleBoundary boundary = ModuleBoundary.of(RelaybusServers.class);
    assertThat(boundary.name()).isEqualTo("io.relaybus.test");
    assertThat(boundary.exports()).containsExactly("io.relaybus.test");
  }
}
