package io.relaybus.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import io.relaybus.spi.TransportProvider;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * What the webhook module exports is what its users call: the transport and endpoint API, the
 * receiver, signatures, payload formats and the SSRF guard; never the outbox, the dispatcher or
 * the group-member receiver.
 */
class ModuleBoundaryTest {

  private static ModuleDescriptor descriptor() throws Exception {
    Path root = Path.of(WebhookTransport.class.getProtectionDomain().getCodeSource().getLocation()
        .toURI());
    try (InputStream in = Files.newInputStream(root.resolve("module-info.class"))) {
      return ModuleDescriptor.read(in);
    }
  }

  @Test
  void exportsOnlyTheApiPackages() throws Exception {
    ModuleDescriptor d = descriptor();
    assertThat(d.name()).isEqualTo("io.relaybus.webhook");
    assertThat(d.exports().stream()
        .map(e -> e.source() + (e.isQualified() ? " to " + e.targets() : ""))
        .collect(Collectors.toSet()))
        .containsExactlyInAnyOrder("io.relaybus.webhook", "io.relaybus.webhook.net",
            "io.relaybus.webhook.payload", "io.relaybus.webhook.receiver",
            "io.relaybus.webhook.signature");
  }

  @Test
  void providesTheWebhookTransport() throws Exception {
    assertThat(descriptor().provides()).singleElement().satisfies(p -> {
      assertThat(p.service()).isEqualTo(TransportProvider.class.getName());
      assertThat(p.providers()).containsExactly(WebhookTransportProvider.class.getName());
    });
  }
}
