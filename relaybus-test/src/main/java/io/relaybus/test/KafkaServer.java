package io.relaybus.test;

import java.util.Map;

/**
 * A running Kafka broker, from {@link RelaybusServers#kafka()}.
 */
public interface KafkaServer {

  /**
   * The bootstrap servers for clients.
   *
   * @return {@code host:port[,host:port...]}
   */
  String bootstrapServers();

  /**
   * A bus configuration for this broker, ready for {@code EventBus.create}:
   * {@code relaybus.transport=kafka} and its bootstrap servers.
   *
   * @return a new, modifiable map
   */
  Map<String, String> relaybusProperties();
}
