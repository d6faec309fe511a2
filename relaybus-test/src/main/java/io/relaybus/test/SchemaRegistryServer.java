package io.relaybus.test;

import java.util.Map;

/**
 * A running Confluent-compatible schema registry, from {@link RelaybusServers#schemaRegistry()}.
 */
public interface SchemaRegistryServer {

  /**
   * The base URL of the Confluent-compatible API, which the Kafka transport's
   * {@code relaybus.kafka.schema-registry.url} takes.
   *
   * @return for Apicurio Registry, {@code http://host:port/apis/ccompat/v7}
   */
  String url();

  /**
   * The configuration key that points a Kafka bus at this registry, to add to
   * {@link KafkaServer#relaybusProperties()}.
   *
   * @return {@code relaybus.kafka.schema-registry.url} and {@link #url()}
   */
  Map<String, String> relaybusProperties();
}
