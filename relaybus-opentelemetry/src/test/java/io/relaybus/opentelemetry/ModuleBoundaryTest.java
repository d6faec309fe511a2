package io.relaybus.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;

import io.relaybus.tck.ModuleBoundary;
import org.junit.jupiter.api.Test;

/** The module exports its API package only and provides no transport. */
class ModuleBoundaryTest {

  @Test
  void exportsOnlyTheApiPackage() {
    ModuleBoundary boundary = ModuleBoundary.of(RelaybusTelemetry.class);
    assertThat(boundary.name()).isEqualTo("io.relaybus.opentelemetry");
    assertThat(boundary.exports()).containsExactly("io.relaybus.opentelemetry");
    assertThat(boundary.descriptor().provides()).isEmpty();
  }
}
