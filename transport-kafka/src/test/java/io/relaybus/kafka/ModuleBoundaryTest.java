package io.relaybus.kafka;

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

/**
 * What the Kafka module exports is the transport and the schema registry API, and nothing of
 * the schema steps the transport runs on publish and consume.
 */
class ModuleBoundaryTest {

  private static ModuleDescriptor descriptor() throws IOException, URISyntaxException {
    Path root = Path.of(KafkaTransport.class.getProtectionDomain().getCodeSource().getLocation()
        .toURI());
    try (InputStream in = Files.newInputStream(root.resolve("module-info.class"))) {
      return ModuleDescriptor.read(in);
    }
  }

  @Test
  void exportsOnlyTheTransportAndTheSchemaApi() throws Exception {
    ModuleDescriptor d = descriptor();
    assertThat(d.name()).isEqualTo("io.relaybus.kafka");
    assertThat(d.exports().stream().map(e -> e.source() + (e.isQualified() ? " to " + e.targets() : ""))
        .collect(Collectors.toSet()))
        .containsExactlyInAnyOrder("io.relaybus.kafka", "io.relaybus.kafka.schema");
  }

  @Test
  void providesTheKafkaTransport() throws Exception {
    ModuleDescriptor d = descriptor();
    assertThat(d.provides()).singleElement().satisfies(p -> {
      assertThat(p.service()).isEqualTo(TransportProvider.class.getName());
      assertThat(p.providers()).containsExactly(KafkaTransportProvider.class.getName());
    });
  }
}
