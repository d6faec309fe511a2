package io.relaybus.tck;

import io.relaybus.EventBus;
import io.relaybus.spi.Instrumentation;
import java.util.Map;

/** The in-memory transport passes the whole kit. */
class MemoryTransportCompatibilityTest extends TransportCompatibilityKit {

  @Override
  protected EventBus createBus(Map<String, String> overrides) {
    return EventBus.builder().transport("memory").properties(overrides).build();
  }

  @Override
  protected EventBus createBus(Map<String, String> overrides, Instrumentation instrumentation) {
    return EventBus.builder().transport("memory").properties(overrides)
        .instrumentation(instrumentation).build();
  }
}
