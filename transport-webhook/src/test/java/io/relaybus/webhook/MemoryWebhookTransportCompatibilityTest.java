package io.relaybus.webhook;

import io.relaybus.EventBus;
import io.relaybus.spi.Instrumentation;
import io.relaybus.tck.TransportCompatibilityKit;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The compatibility kit on the webhook transport with the in-memory outbox: buses subscribe
 * through their embedded receivers (self-subscription over loopback HTTP).
 */
class MemoryWebhookTransportCompatibilityTest extends TransportCompatibilityKit {
  @Override
  protected EventBus createBus(Map<String, String> overrides) {
    return EventBus.create(config(overrides));
  }

  @Override
  protected EventBus createBus(Map<String, String> overrides, Instrumentation instrumentation) {
    return EventBus.builder().properties(config(overrides)).instrumentation(instrumentation)
        .build();
  }

  private Map<String, String> config(Map<String, String> overrides) {
    Map<String, String> config = new LinkedHashMap<>(WebhookTestConfig.TCK);
    config.put("relaybus.webhook.outbox", "memory");
    config.putAll(overrides);
    return config;
  }
}
