package io.relaybus.console;

import static org.assertj.core.api.Assertions.assertThat;

import io.relaybus.tck.ModuleBoundary;
import org.junit.jupiter.api.Test;

/** What the console module exports is what its users call: the handler and its runner. */
class ModuleBoundaryTest {

  @Test
  void exportsOnlyTheApiPackage() {
    ModuleBoundary boundary = ModuleBoundary.of(Console.class);
    assertThat(boundary.name()).isEqualTo("io.relaybus.console");
    assertThat(boundary.exports()).containsExactly("io.relaybus.console");
  }
}
