package io.relaybus.examples;

import io.relaybus.kafka.testing.KafkaBroker;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Kafka broker an example uses: the one named by {@code RELAYBUS_KAFKA_BOOTSTRAP_SERVERS},
 * or else a single-node KRaft broker started here in a child JVM (from the {@code kafka_2.13}
 * jar on the classpath) and removed on close.
 */
public final class KafkaServer implements AutoCloseable {
  /** The environment variable naming an existing broker. */
  public static final String BOOTSTRAP_ENV = "RELAYBUS_KAFKA_BOOTSTRAP_SERVERS";

  private final String bootstrap;
  private final KafkaBroker embedded;

  private KafkaServer(String bootstrap, KafkaBroker embedded) {
    this.bootstrap = bootstrap;
    this.embedded = embedded;
  }

  /**
   * Connects to the configured broker or starts an embedded one, and says which.
   *
   * @param console where to say it
   * @return the broker; close it when done
   */
  public static KafkaServer startOrConnect(Console console) {
    String env = System.getenv(BOOTSTRAP_ENV);
    if (env != null && !env.isBlank()) {
      console.step("using the Kafka broker of %s: %s", BOOTSTRAP_ENV, env.trim());
      return new KafkaServer(env.trim(), null);
    }
    long start = System.nanoTime();
    KafkaBroker broker = KafkaBroker.startEmbedded("examples");
    console.step("no %s set: started an embedded Kafka broker (KRaft, child JVM) at %s in "
        + "%.1f s", BOOTSTRAP_ENV, broker.bootstrapServers(), (System.nanoTime() - start) / 1e9);
    return new KafkaServer(broker.bootstrapServers(), broker);
  }

  /**
   * The bus configuration for this broker.
   *
   * @return {@code relaybus.transport=kafka} and the bootstrap servers
   */
  public Map<String, String> busConfig() {
    Map<String, String> config = new LinkedHashMap<>();
    config.put("relaybus.transport", "kafka");
    config.put("relaybus.kafka.bootstrap-servers", bootstrap);
    return config;
  }

  /**
   * Whether the broker was started here (fresh, no earlier topics).
   *
   * @return true for the embedded broker
   */
  public boolean isEmbedded() {
    return embedded != null;
  }

  @Override
  public void close() {
    if (embedded != null) {
      embedded.close();
    }
  }
}
