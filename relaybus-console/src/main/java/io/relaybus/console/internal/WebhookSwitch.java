package io.relaybus.console.internal;

import io.relaybus.EventBus;
import io.relaybus.webhook.WebhookTransport;

/**
 * Disables and enables webhook endpoints: the console's one transport-specific call, through
 * {@code bus.unwrap(WebhookTransport.class)}, because the operations API reads endpoints but
 * does not switch them. Absent when the bus is not on webhooks or the webhook module is not
 * on the class or module path.
 */
final class WebhookSwitch {
  private final WebhookTransport transport;

  private WebhookSwitch(WebhookTransport transport) {
    this.transport = transport;
  }

  static WebhookSwitch of(EventBus bus) {
    try {
      return new WebhookSwitch(bus.unwrap(WebhookTransport.class));
    } catch (IllegalArgumentException | LinkageError e) {
      return null;
    }
  }

  void enable(String endpoint) {
    transport.endpoints().enable(endpoint);
  }

  void disable(String endpoint) {
    transport.endpoints().disable(endpoint);
  }
}
