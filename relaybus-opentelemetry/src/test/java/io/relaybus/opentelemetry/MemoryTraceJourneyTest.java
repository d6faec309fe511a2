package io.relaybus.opentelemetry;

import java.util.HashMap;
import java.util.Map;

/**
 * The traced journey on the in-memory transport (one bus: its topics are its own, so the
 * two-bus case is skipped).
 */
class MemoryTraceJourneyTest extends TraceJourneyContract {
  @Override
  protected Map<String, String> busConfig() {
    return new HashMap<>(Map.of("relaybus.transport", "memory"));
  }

  @Override
  protected boolean busesShareTopics() {
    return false;
  }
}
