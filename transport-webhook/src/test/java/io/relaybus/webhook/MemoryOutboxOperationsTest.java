package io.relaybus.webhook;

import java.util.Map;

/** The operations API on the in-memory outbox. */
class MemoryOutboxOperationsTest extends OperationsContract {
  @Override
  Map<String, String> outboxConfig() {
    return Map.of("relaybus.webhook.outbox", "memory");
  }
}
