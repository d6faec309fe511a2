package io.relaybus.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.relaybus.spi.TransportProvider;
import io.relaybus.tck.ModuleBoundary;
import org.junit.jupiter.api.Test;

/**
 * What the Kafka module exports is the transport and the schema registry API, and nothing of
 * the schema steps the transport runs on publish and consume.
 */
class ModuleBoundaryTest {

  @Test
  void exportsOnlyTheTransportAndTheSchemaApi() {
    ModuleBoundary boundary = ModuleBoundary.of(KafkaTransport.class);
    assertThat(boundary.name()).isEqualTo("io.relaybus.kafka");
    assertThat(boundary.exports()).containsExactlyInAnyOrder("io.relaybus.kafka", "io.relaybus.kafka.schema");
  }

  @Test
  void providesTheTransportAndNothingElse() {
    ModuleBoundary boundary = ModuleBoundary.of(KafkaTransport.class);
    assertThat(boundary.descriptor().provides()).hasSize(1);
    assertThat(boundary.providers(TransportProvider.class))
        .containsExactly(KafkaTransportProvider.class.getName());
  }
}
