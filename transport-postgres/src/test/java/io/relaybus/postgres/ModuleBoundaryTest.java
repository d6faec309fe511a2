package io.relaybus.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.relaybus.spi.TransportProvider;
import io.relaybus.tck.ModuleBoundary;
import org.junit.jupiter.api.Test;

/**
 * What the PostgreSQL module exports is the transport's API: its one package, whose public
 * types are the transport and its provider; and the bus finds it as a service.
 */
class ModuleBoundaryTest {

  @Test
  void exportsOnlyTheTransportPackage() {
    ModuleBoundary boundary = ModuleBoundary.of(PostgresTransport.class);
    assertThat(boundary.name()).isEqualTo("io.relaybus.postgres");
    assertThat(boundary.exports()).containsExactlyInAnyOrder("io.relaybus.postgres");
  }

  @Test
  void providesTheTransportAndNothingElse() {
    ModuleBoundary boundary = ModuleBoundary.of(PostgresTransport.class);
    assertThat(boundary.descriptor().provides()).hasSize(1);
    assertThat(boundary.providers(TransportProvider.class))
        .containsExactly(PostgresTransportProvider.class.getName());
  }
}
