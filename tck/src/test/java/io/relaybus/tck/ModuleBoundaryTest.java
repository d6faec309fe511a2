package io.relaybus.tck;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleDescriptor.Requires;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The kit's module exports its one package, opens it only to the libraries that reach into it
 * reflectively, and passes on the modules its API is written in.
 */
class ModuleBoundaryTest {

  @Test
  void exportsTheKitAndOpensItToJunitAndJackson() {
    ModuleBoundary boundary = ModuleBoundary.of(TransportCompatibilityKit.class);
    assertThat(boundary.name()).isEqualTo("io.relaybus.tck");
    assertThat(boundary.exports()).containsExactly("io.relaybus.tck");
    ModuleDescriptor d = boundary.descriptor();
    assertThat(d.opens()).singleElement().satisfies(o -> {
      assertThat(o.source()).isEqualTo("io.relaybus.tck");
      assertThat(o.targets()).containsExactlyInAnyOrder("org.junit.platform.commons",
          "com.fasterxml.jackson.databind");
    });
    assertThat(d.provides()).isEmpty();
  }

  @Test
  void passesOnCoreAndJunitToTheTransportsTests() {
    assertThat(ModuleBoundary.of(TransportCompatibilityKit.class).descriptor().requires().stream()
        .filter(r -> r.modifiers().contains(Requires.Modifier.TRANSITIVE))
        .map(Requires::name).collect(Collectors.toSet()))
        .containsExactlyInAnyOrder("io.relaybus", "org.junit.jupiter.api");
  }
}
