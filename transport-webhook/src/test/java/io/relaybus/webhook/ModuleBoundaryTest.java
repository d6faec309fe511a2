package io.relaybus.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import io.relaybus.spi.TransportProvider;
import io.relaybus.tck.ModuleBoundary;
import org.junit.jupiter.api.Test;

/**
 * What the webhook module exports is what its users call: the transport and endpoint API, the
 * receiver, signatures, payload formats and the SSRF guard; never the outbox, the dispatcher or
 * the group-member receiver.
 */
class ModuleBoundaryTest {

  @Test
  void exportsOnlyTheApiPackages() {
    ModuleBoundary boundary = ModuleBoundary.of(WebhookTransport.class);
    assertThat(boundary.name()).isEqualTo("io.relaybus.webhook");
    assertThat(boundary.exports()).containsExactlyInAnyOrder("io.relaybus.webhook",
        "io.relaybus.webhook.net", "io.relaybus.webhook.payload", "io.relaybus.webhook.receiver",
        "io.relaybus.webhook.signature");
  }

  @Test
  void providesTheTransportAndNothingElse() {
    ModuleBoundary boundary = ModuleBoundary.of(WebhookTransport.class);
    assertThat(boundary.descriptor().provides()).hasSize(1);
    assertThat(boundary.providers(TransportProvider.class))
        .containsExactly(WebhookTransportProvider.class.getName());
  }
}
