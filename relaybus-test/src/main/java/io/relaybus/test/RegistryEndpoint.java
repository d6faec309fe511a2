package io.relaybus.test;

import java.util.LinkedHashMap;
import java.util.Map;

/** A schema registry's URL, and how to stop it if this JVM started it. */
final class RegistryEndpoint implements SchemaRegistryServer, AutoCloseable {
  private final String url;
  private final String origin;
  private final Runnable stop;

  RegistryEndpoint(String url, String origin, Runnable stop) {
    this.url = url;
    this.origin = origin;
    this.stop = stop;
  }

  @Override
  public String url() {
    return url;
  }

  @Override
  public Map<String, String> relaybusProperties() {
    Map<String, String> properties = new LinkedHashMap<>();
    properties.put("relaybus.kafka.schema-registry.url", url);
    return properties;
  }

  @Override
  public void close() {
    stop.run();
  }

  @Override
  public String toString() {
    return "schema registry " + url + " (" + origin + ")";
  }
}
