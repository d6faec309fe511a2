package io.relaybus.bench;

import io.relaybus.EventBus;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The in-memory transport ({@code --transport memory}) against its raw counterpart, a JDK
 * blocking queue between a producer thread and consumer threads.
 */
public final class MemoryTarget implements TransportTarget {

  /** Creates the target; used by {@link java.util.ServiceLoader}. */
  public MemoryTarget() {}

  @Override
  public String name() {
    return "memory";
  }

  @Override
  public String description() {
    return "Relaybus EventBus, in-memory transport (publish/publishAll, one consumer group)";
  }

  @Override
  public EventBus createBus(Map<String, String> settings) {
    Map<String, String> props = new LinkedHashMap<>(settings);
    props.keySet().removeIf(key -> key.startsWith("relaybus.bench."));
    return BenchInstrumentation.apply(EventBus.builder(), settings).transport("memory")
        .properties(props).build();
  }

  @Override
  public RawBaseline rawBaseline() {
    return new JdkQueueBaseline();
  }
}
