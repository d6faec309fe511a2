package io.relaybus.test;

import java.util.LinkedHashMap;
import java.util.Map;

/** A Kafka broker's bootstrap servers, and how to stop it if this JVM started it. */
final class KafkaEndpoint implements KafkaServer, AutoCloseable {
  private final String bootstrapServers;
  private final String origin;
  private final Runnable stop;

  KafkaEndpoint(String bootstrapServers, String origin, Runnable stop) {
    this.bootstrapServers = bootstrapServers;
    this.origin = origin;
    this.stop = stop;
  }

  @Override
  public String bootstrapServers() {
    return bootstrapServers;
  }

  @Override
  public Map<String, String> relaybusProperties() {
    Map<String, String> properties = new LinkedHashMap<>();
    properties.put("relaybus.transport", "kafka");
    properties.put("relaybus.kafka.bootstrap-servers", bootstrapServers);
    return properties;
  }

  @Override
  public void close() {
    stop.run();
  }

  @Override
  public String toString() {
    return "Kafka " + bootstrapServers + " (" + origin + ")";
  }
}
