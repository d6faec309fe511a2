package io.relaybus.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.relaybus.spi.TransportProvider;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * What the PostgreSQL module exports is the transport's API: its one package, whose public
 * types are the transport and its provider; and the bus finds it as a service.
 */
class ModuleBoundaryTest {

  private static ModuleDescriptor descriptor() throws Exception {
    Path root = Path.of(PostgresTransport.class.getProtectionDomain().getCodeSource()
        .getLocation().toURI());
    try (InputStream in = Files.newInputStream(root.resolve("module-info.class"))) {
      return ModuleDescriptor.read(in);
    }
  }

  @Test
  void exportsOnlyTheTransportPackage() throws Exception {
    ModuleDescriptor d = descriptor();
    assertThat(d.name()).isEqualTo("io.relaybus.postgres");
    assertThat(d.exports().stream()
        .map(e -> e.source() + (e.isQualified() ? " to " + e.targets() : ""))
        .collect(Collectors.toSet()))
        .containsExactly("io.relaybus.postgres");
  }

  @Test
  void providesTheTransport() throws Exception {
    ModuleDescriptor d = descriptor();
    assertThat(d.provides()).singleElement().satisfies(p -> {
      assertThat(p.service()).isEqualTo(TransportProvider.class.getName());
      assertThat(p.providers())
          .containsExactly(PostgresTransportProvider.class.getName());
    });
  }
}
