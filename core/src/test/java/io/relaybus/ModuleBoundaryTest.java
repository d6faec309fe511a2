package io.relaybus;

import static org.assertj.core.api.Assertions.assertThat;

import io.relaybus.spi.TransportProvider;
import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** What core's module exports is its API and SPI, and nothing of its implementation. */
class ModuleBoundaryTest {

  static ModuleDescriptor descriptor(Class<?> ofModule) throws IOException, URISyntaxException {
    Path root = Path.of(ofModule.getProtectionDomain().getCodeSource().getLocation().toURI());
    try (InputStream in = Files.newInputStream(root.resolve("module-info.class"))) {
      return ModuleDescriptor.read(in);
    }
  }

  @Test
  void exportsOnlyTheApiAndTheSpi() throws Exception {
    ModuleDescriptor d = descriptor(EventBus.class);
    assertThat(d.name()).isEqualTo("io.relaybus");
    assertThat(d.exports().stream().map(e -> e.source() + (e.isQualified() ? " to " + e.targets() : ""))
        .collect(Collectors.toSet()))
        .containsExactlyInAnyOrder("io.relaybus", "io.relaybus.ops", "io.relaybus.spi");
  }

  @Test
  void findsTransportsAndProvidesTheInMemoryOne() throws Exception {
    ModuleDescriptor d = descriptor(EventBus.class);
    assertThat(d.uses()).containsExactly(TransportProvider.class.getName());
    assertThat(d.provides()).singleElement().satisfies(p -> {
      assertThat(p.service()).isEqualTo(TransportProvider.class.getName());
      assertThat(p.providers()).containsExactly("io.relaybus.memory.MemoryTransportProvider");
    });
  }
}
