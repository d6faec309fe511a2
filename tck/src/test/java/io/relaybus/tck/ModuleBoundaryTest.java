package io.relaybus.tck;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleDescriptor.Requires;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The kit's module exports its one package, opens it only to the libraries that reach into it
 * reflectively, and passes on the modules its API is written in.
 */
class ModuleBoundaryTest {

  static ModuleDescriptor descriptor(Class<?> ofModule) throws IOException, URISyntaxException {
    Path root = Path.of(ofModule.getProtectionDomain().getCodeSource().getLocation().toURI());
    try (InputStream in = Files.newInputStream(root.resolve("module-info.class"))) {
      return ModuleDescriptor.read(in);
    }
  }

  @Test
  void exportsTheKitAndOpensItToJunitAndJackson() throws Exception {
    ModuleDescriptor d = descriptor(TransportCompatibilityKit.class);
    assertThat(d.name()).isEqualTo("io.relaybus.tck");
    assertThat(d.exports().stream().map(e -> e.source() + (e.isQualified() ? " to " + e.targets() : ""))
        .collect(Collectors.toSet()))
        .containsExactly("io.relaybus.tck");
    assertThat(d.opens()).singleElement().satisfies(o -> {
      assertThat(o.source()).isEqualTo("io.relaybus.tck");
      assertThat(o.targets()).containsExactlyInAnyOrder("org.junit.platform.commons",
          "com.fasterxml.jackson.databind");
    });
    assertThat(d.provides()).isEmpty();
  }

  @Test
  void passesOnCoreAndJunitToTheTransportsTests() throws Exception {
    ModuleDescriptor d = descriptor(TransportCompatibilityKit.class);
    assertThat(d.requires().stream()
        .filter(r -> r.modifiers().contains(Requires.Modifier.TRANSITIVE))
        .map(Requires::name).collect(Collectors.toSet()))
        .containsExactlyInAnyOrder("io.relaybus", "org.junit.jupiter.api");
  }
}
