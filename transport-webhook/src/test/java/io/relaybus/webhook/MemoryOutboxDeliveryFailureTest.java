package io.relaybus.webhook;

import java.util.Map;

/** The failing-receiver contract on the in-memory outbox. */
class MemoryOutboxDeliveryFailureTest extends DeliveryFailureContract {
  @Override
  Map<String, String> outboxConfig() {
    return Map.of("relaybus.webhook.outbox", "memory");
  }
}
